"""The four tasks' prompts in the public reference implementation's wording (Chinese only).

The reference (AdAutoCut/Autocut, ``data_preprocess/sft_data_generator_CT2.py``) trains its
released checkpoint on ShareGPT records with an empty system prompt and one human turn per
task. A model trained there is asked here exactly as it was trained, so the wording, the
bracketed headings with their full-width colons, the ``N)`` numbering from 1 and the line
breaks are reproduced character for character; only the builder is AutoCut's. Its task
names map onto AutoCut's: ``vid_select`` -> ``select``, ``vid_sort`` -> ``sort``,
``vid2text`` -> ``script``, ``vid2aud`` -> ``music``.

What the reference shows of an ad: the product name, brand and selling points
(``【商品】：...`` with ``无`` for an empty field; AutoCut's category and description have no
place there), the script (``select``, ``sort``, and for ``music`` inside each clip as
``<|text_start|>...<|text_end|>``), and each clip as its frame tokens inside
``<|clip_start|><|video_start|>...<|video_end|><|clip_end|>``. ``select`` candidates never
carry their own sentence, as in AutoCut's own prompts.
"""

from __future__ import annotations

from collections.abc import Sequence

from autocut_core.editing.prompts import clip_block
from autocut_core.types import Candidate, Product

#: What the reference writes for a clip without frame tokens, and for a blank sentence.
EMPTY_FRAMES = "<|frame_start|><|frame_end|>"
NO_LINE = "（无台词）"
NONE = "无"
#: Between two selling points (the reference stores them as one string).
POINTS_SEPARATOR = "；"

_RULES_PICK = (
    "【输出要求】\n"
    " 1）只输出与下方台词句数相同数量的视频片段编号；\n"
    " 2）输出的视频片段编号不能有重复；\n"
)

_SELECT_HEAD = (
    "你是专业的视频剪辑师。请你根据商品信息和广告台词，从提供的素材池中选择相关的视频片段，"
    "并输出它们的编号。\n"
)
_SELECT_POOL = "【视频片段素材（含不相关的样本，正样本约占一半）】\n"
_SELECT_ASK = "\n【现在请输出相关的视频片段编号】"

_SORT_HEAD = "你是专业的视频剪辑师。请你根据提供的广告台词顺序，将视频片段进行排序。\n"
_SORT_CLIPS = "【视频片段如下】\n"
_SORT_ASK = "\n【现在请输出按正确顺序排列的视频片段编号序列】"

_SCRIPT_HEAD = (
    "你是专业广告台词助手。看到每个视频片段的视频帧 token 后，为该视频片段写一句中文台词，"
    "要求口语自然连贯、贴合画面、符合商品和品牌信息。\n"
    "【输出要求】\n"
    " 1) 只输出与下方视频片段数量相同的台词行数；\n"
    " 2) 每行对应一个视频片段，顺序与视频 tokens 中的视频片段顺序一致；\n"
)
_SCRIPT_COUNT = "【本次片段总数】：{n} 段；请严格输出 {n} 行台词（每行一句）。\n"
_SCRIPT_CLIPS = "【视频片段如下】"
_SCRIPT_ASK = "\n【现在开始输出台词】"

_MUSIC_HEAD = (
    "你是专业的广告背景音乐生成助手。请根据广告的商品信息、台词、以及视频片段，"
    "输出对应广告的背景音频。\n"
    "【输出要求】\n"
    "1) 只输出一行，且仅包含 <|audio_start|>…<|audio_end|>；\n"
    "2) 禁止输出任何解释、编号、引号或额外符号。\n\n"
)
_MUSIC_CLIPS = "【台词和视频片段如下】\n"
_MUSIC_ASK = "\n【现在请输出相关的背景音乐】"


def facts(product: Product) -> str:
    """``【商品】：...``, ``【品牌】：...``, ``【卖点】：...``, each line ending in ``\\n``."""

    def value(text: str) -> str:
        return " ".join(text.split()) or NONE

    points = POINTS_SEPARATOR.join(" ".join(p.split()) for p in product.selling_points if p)
    return (
        f"【商品】：{value(product.name)}\n"
        f"【品牌】：{value(product.brand)}\n"
        f"【卖点】：{value(points)}\n"
    )


def line(text: str) -> str:
    """A script line as the reference writes it: spaces folded, ``（无台词）`` when blank."""
    return " ".join(text.split()) or NO_LINE


def clip(tokens: str, text: str | None = None) -> str:
    """One clip: :func:`~autocut_core.editing.prompts.clip_block`, with the reference's empty
    frame for a clip without tokens."""
    return clip_block(tokens or EMPTY_FRAMES, None if text is None else line(text))


def numbered(candidates: Sequence[Candidate]) -> str:
    """``1)<|clip_start|>...`` per clip, one per line, numbered from 1."""
    return "\n".join(f"{i}){clip(c.tokens)}" for i, c in enumerate(candidates, start=1))


def human(
    task: str,
    product: Product,
    sentences: Sequence[str],
    candidates: Sequence[Candidate],
    count: int,
) -> str:
    """The human turn of ``task`` (the system turn is empty in the reference)."""
    script = "\n".join(line(s) for s in sentences)
    if task == "select":
        return (
            _SELECT_HEAD + _RULES_PICK + f"【本次台词总句数】：{count} 段；\n" + facts(product)
            + "【广告台词如下】\n" + f"{script}\n\n" + _SELECT_POOL + numbered(candidates)
            + _SELECT_ASK
        )  # fmt: skip
    if task == "sort":
        return (
            _SORT_HEAD + _RULES_PICK + f"【本次台词总句数】：{len(candidates)} 段；\n"
            + facts(product) + "【广告台词如下】\n" + f"{script}\n\n" + _SORT_CLIPS
            + numbered(candidates) + _SORT_ASK
        )  # fmt: skip
    if task == "script":
        return (
            _SCRIPT_HEAD + _SCRIPT_COUNT.format(n=len(candidates)) + facts(product)
            + _SCRIPT_CLIPS + "\n" + numbered(candidates) + _SCRIPT_ASK
        )  # fmt: skip
    if len(sentences) != len(candidates):
        raise ValueError(
            f"music prompt (reference profile): each clip is shown with its sentence, but "
            f"there are {len(sentences)} sentences for {len(candidates)} clips"
        )
    blocks = "\n".join(clip(c.tokens, s) for c, s in zip(candidates, sentences, strict=True))
    return _MUSIC_HEAD + facts(product) + _MUSIC_CLIPS + blocks + _MUSIC_ASK
