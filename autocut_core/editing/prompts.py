"""The prompts of the four editing tasks and the one definition of their answers.

The paper (§3.1, §7.6.3) trains one language model on four tasks, each a ShareGPT exchange of
a system prompt, one human turn and one answer:

``select``  product facts, the script and a shuffled pool of candidate clips (each as its
            video tokens only) -> the indices of the clips that belong in the ad,
            ascending: ``[2, 5, 7]``;
``sort``    product facts, the ordered script and the ad's clips shuffled -> a permutation,
            ``order[i]`` = the index of the clip that plays i-th: ``[3, 0, 2, 1]``;
``script``  product facts and the clips in playing order -> one line per clip;
``music``   product facts, the script and the clips in order -> the audio tokens of the
            background music: ``<|audio_start|><a_0_12>...<a_7_3><|audio_end|>``.

The training-data builder (:mod:`autocut_core.dataset`) and the language-model backbone at
inference time both build their prompts with :func:`build_prompt` and read answers with
:func:`parse_answer`, so a model is always asked exactly what it was trained on, and a
trained answer always parses. :func:`format_answer` writes the answers; for every valid
answer ``x``, ``parse_answer(task, format_answer(task, x)) == x``.

No task's prompt shows a clip's own transcript sentence. In a finished ad that sentence is a
script line for every clip of the ad, so a ``select`` prompt that showed it would turn the
task into matching text to text (a text matcher scores CSA 1.0 on it) and the model would
never learn to select by what the clips show; real footage has no transcript at inference
time either. The public reference shows video tokens only. The only text a clip carries is in
the alignment corpus (:func:`clip_block` with ``text``), whose task is pairing the two.
:func:`leaked_sentences` finds a prompt that breaks this, for the evaluation to refuse.

English and Chinese templates exist; the Chinese ones follow the bracketed layout of the
public reference (``【商品】【品牌】【卖点】``). :func:`prompt_language` picks one from the script.

These are the templates of the ``autocut`` profile. The ``reference`` profile (the public
reference implementation's format) has its own wording in
:mod:`autocut_core.editing.reference_prompts` and spells indices 1-based without brackets
(:class:`IndexSpelling`); :mod:`autocut_core.editing.profiles` picks one by name, and
:func:`format_answer` and :func:`parse_answer` take the spelling as ``indices``.

Parsing is strict on purpose: an answer that is not exactly in the trained format raises
:class:`AnswerParseError` naming the task, the problem and where it is, instead of being
guessed at. Only whitespace around the answer and around list items is tolerated, and a
selection may be written in any order (it is a set; it is returned ascending).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

from autocut_core.errors import InputError
from autocut_core.text import detect_language
from autocut_core.types import Candidate, Product, Script

TASKS: tuple[str, ...] = ("select", "sort", "script", "music")
LANGUAGES: tuple[str, ...] = ("en", "zh")
#: The key of each task's answer in a training record's ``meta["answer"]``.
ANSWER_KEYS: dict[str, str] = {
    "select": "indices",
    "sort": "order",
    "script": "lines",
    "music": "tokens",
}

AUDIO_START, AUDIO_END = "<|audio_start|>", "<|audio_end|>"


@dataclass(frozen=True)
class IndexSpelling:
    """How ``select``/``sort`` answers write clip indices.

    AutoCut's own answers are 0-based bracketed lists (``[2, 5, 7]``); the public reference
    writes 1-based comma lists without spaces (``3,6,8``). Answers are read and returned as
    0-based indices whatever the spelling, so only the text differs between profiles
    (:mod:`autocut_core.editing.profiles`).
    """

    #: The number written for the first clip.
    base: int = 0
    #: ``[...]`` around the list.
    brackets: bool = True
    #: Between two indices.
    separator: str = ", "

    def write(self, values: Sequence[int]) -> str:
        body = self.separator.join(str(value + self.base) for value in values)
        return f"[{body}]" if self.brackets else body

    @property
    def example(self) -> str:
        return self.write([0, 2, 5])


#: AutoCut's spelling: ``[0, 2, 5]``.
BRACKETED = IndexSpelling()

_INTRO = {
    "en": (
        "You are AutoCut, an editor of short-form product advertisements. Video clips are "
        "written as visual tokens: every frame, sampled once per second, is <|frame_start|>, "
        "a fixed number of <v_HEAD_CODE> tokens, then <|frame_end|>; a clip is "
        "<|clip_start|> ... <|clip_end|> with its frames between <|video_start|> and "
        "<|video_end|>. Background music is written as audio tokens <a_HEAD_CODE> between "
        "<|audio_start|> and <|audio_end|>."
    ),
    "zh": (
        "你是 AutoCut，一名短视频商品广告剪辑师。视频片段用视觉 token 表示：每秒采样一帧，"
        "每帧为 <|frame_start|>、固定数量的 <v_HEAD_CODE> token 和 <|frame_end|>；一个片段为 "
        "<|clip_start|> ... <|clip_end|>，其帧位于 <|video_start|> 与 <|video_end|> 之间。"
        "背景音乐用 <|audio_start|> 与 <|audio_end|> 之间的音频 token <a_HEAD_CODE> 表示。"
    ),
}

_TASK_RULES = {
    "en": {
        "select": "Task: from a pool of candidate clips, select the clips that belong in the "
        "ad described by the product facts and the script. Answer only with the indices of the "
        "selected clips as a list in ascending order, for example [0, 2, 5].",
        "sort": "Task: order the given clips so that the i-th clip plays under the i-th "
        "sentence of the script. Answer only with the clip indices in playing order as a list, "
        "for example [2, 0, 1].",
        "script": "Task: write the ad's script for the clips in their playing order: exactly "
        "one sentence per clip, one per line, in clip order. Answer only with those lines.",
        "music": "Task: choose background music that fits the product, the script and the "
        "clips. Answer only with the music's audio tokens: <|audio_start|>, the tokens, "
        "<|audio_end|>.",
    },
    "zh": {
        "select": "任务：从候选片段中选出属于这条广告（由商品信息和脚本描述）的片段。"
        "只输出所选片段的编号，按从小到大排列成列表，例如 [0, 2, 5]。",
        "sort": "任务：为给定片段排序，使第 i 个片段配合脚本的第 i 句播放。"
        "只输出按播放顺序排列的片段编号列表，例如 [2, 0, 1]。",
        "script": "任务：按片段的播放顺序为这条广告撰写脚本：每个片段恰好一句，每句一行，"
        "顺序与片段一致。只输出这些句子。",
        "music": "任务：选择与商品、脚本和片段相配的背景音乐。只输出音乐的音频 token："
        "<|audio_start|>、token、<|audio_end|>。",
    },
}

_LABELS = {
    "en": {
        "product": "Product: ",
        "brand": "Brand: ",
        "category": "Category: ",
        "points": "Selling points: ",
        "description": "Description: ",
        "none": "-",
        "separator": "; ",
        "script": "Script ({n} sentences):",
        "pool": "Candidate clips ({n}):",
        "shuffled": "Clips in random order ({n}):",
        "ordered": "Clips in playing order ({n}):",
    },
    "zh": {
        "product": "【商品】",
        "brand": "【品牌】",
        "category": "【类目】",
        "points": "【卖点】",
        "description": "【描述】",
        "none": "无",
        "separator": "；",
        "script": "【脚本】共{n}句",
        "pool": "【候选片段】共{n}个",
        "shuffled": "【片段】（顺序已打乱）共{n}个",
        "ordered": "【片段】（按播放顺序）共{n}个",
    },
}

_REQUESTS = {
    "en": {
        "select": "Select the {count} clips that belong in this ad.",
        "sort": "Order these {n} clips to match the script.",
        "script": "Write {n} lines, one for each clip.",
        "music": "Choose the background music for this ad.",
    },
    "zh": {
        "select": "请选出属于这条广告的{count}个片段。",
        "sort": "请按脚本为这{n}个片段排序。",
        "script": "请写出{n}行文案，每个片段一行。",
        "music": "请为这条广告选择背景音乐。",
    },
}


class AnswerParseError(InputError):
    """A model's answer that is not exactly in the trained format.

    ``task`` is the task, ``reason`` the problem and ``offset`` the character offset in the
    answer where it was found (None when the answer as a whole is wrong, e.g. its length).
    """

    def __init__(self, task: str, text: str, reason: str, offset: int | None = None):
        self.task = task
        self.reason = reason
        self.offset = offset
        where = ""
        if offset is not None:
            excerpt = text[max(0, offset - 20) : offset + 20].replace("\n", "\\n")
            where = f" at offset {offset} (near {excerpt!r})"
        super().__init__(f"{task} answer: {reason}{where}")


# --- prompts -------------------------------------------------------------------------------


def prompt_language(script: Script | Sequence[str] | str) -> str:
    """``"zh"`` for a script written mainly in Chinese, else ``"en"``."""
    text = script if isinstance(script, str) else " ".join(_sentences(script))
    return "zh" if detect_language(text) == "zh" else "en"


def system_prompt(task: str, lang: str = "en") -> str:
    """The system turn of ``task``: who the model is, what tokens mean, the answer format."""
    _check_task(task)
    _check_language(lang)
    return f"{_INTRO[lang]}\n{_TASK_RULES[lang][task]}"


def product_facts(product: Product, lang: str = "en", *, omit_empty: bool = False) -> str:
    """Product facts as labelled lines (``【商品】...`` in Chinese).

    The trained prompts always list the four fields, an empty one saying so (``-``/``无``),
    because a model is asked exactly as it was trained; ``omit_empty`` leaves empty fields
    out instead, for a general model that would read ``【类目】无`` as a fact.
    """
    _check_language(lang)
    labels = _LABELS[lang]

    def value(text: str) -> str:
        return " ".join(text.split()) or labels["none"]

    points = labels["separator"].join(" ".join(p.split()) for p in product.selling_points if p)
    fields = [
        ("product", product.name),
        ("brand", product.brand),
        ("category", product.category),
        ("points", points),
    ]
    lines = [labels[key] + value(text) for key, text in fields if text.strip() or not omit_empty]
    if product.description.strip():
        lines.append(labels["description"] + value(product.description))
    return "\n".join(lines)


def ad_opening(product: Product, lang: str) -> str:
    """What every alignment sequence starts with: ``<|ad_start|>``, the facts, a newline
    (here, beside the prompts, because the ``lm`` backbone scores text after it too)."""
    return f"<|ad_start|>{product_facts(product, lang)}\n"


def clip_block(tokens: str, text: str | None = None) -> str:
    """One clip as the model reads it: ``<|clip_start|>`` [``<|text_start|>`` sentence
    ``<|text_end|>``] ``<|video_start|>`` frames ``<|video_end|><|clip_end|>``.

    ``tokens`` is the clip's frames as :func:`autocut_core.tokens.strings.format_frames` writes them
    (``<|frame_start|><v_0_1>...<|frame_end|>`` per frame). The same layout is used in the
    alignment corpus, so a clip looks the same in both training stages.
    """
    spoken = "" if text is None else f"<|text_start|>{' '.join(text.split())}<|text_end|>"
    return f"<|clip_start|>{spoken}<|video_start|>{tokens}<|video_end|><|clip_end|>"


def build_prompt(
    task: str,
    product: Product,
    script: Script | Sequence[str] | None,
    candidates: Sequence[Candidate],
    lang: str = "en",
    *,
    count: int | None = None,
) -> tuple[str, str]:
    """``(system, human)`` for one task.

    ``candidates`` are shown in the given order and numbered from 0 (the local indices the
    answers use); only their ``tokens`` (frame tokens) are shown, never their ``caption``
    (see the module's docstring). ``script`` is needed
    by ``select``, ``sort`` and ``music`` and ignored by ``script``. ``count`` is how many
    clips ``select`` asks for (default: one per script sentence).
    """
    _check_task(task)
    _check_language(lang)
    if not candidates:
        raise ValueError(f"{task} prompt: needs at least one candidate clip")
    labels = _LABELS[lang]
    parts = [product_facts(product, lang)]
    sentences = _sentences(script) if script is not None else []
    if task != "script":
        if not sentences:
            raise ValueError(f"{task} prompt: needs the script")
        numbered = "\n".join(f"{i}. {' '.join(s.split())}" for i, s in enumerate(sentences, 1))
        parts.append(labels["script"].format(n=len(sentences)) + "\n" + numbered)
    heading = {"select": "pool", "sort": "shuffled"}.get(task, "ordered")
    shown = [f"[{i}] " + clip_block(c.tokens) for i, c in enumerate(candidates)]
    parts.append(labels[heading].format(n=len(candidates)) + "\n" + "\n".join(shown))
    wanted = len(sentences) if count is None else count
    parts.append(_REQUESTS[lang][task].format(count=wanted, n=len(candidates)))
    return system_prompt(task, lang), "\n\n".join(parts)


_SHOWN_TEXT = re.compile(r"<\|text_start\|>(.*?)<\|text_end\|>", re.DOTALL)


def leaked_sentences(human: str, sentences: Sequence[str]) -> list[str]:
    """The ``sentences`` that a prompt's clips carry as their own text (``<|text_start|>``).

    Whitespace is normalised as :func:`clip_block` writes it. A prompt built by
    :func:`build_prompt` leaks none; one built by an older builder (which showed each
    ``select`` candidate's transcript) leaks every positive's sentence.
    """
    shown = {" ".join(text.split()) for text in _SHOWN_TEXT.findall(human)}
    return [s for s in sentences if " ".join(s.split()) in shown]


# --- answers -------------------------------------------------------------------------------


def format_answer(task: str, answer: Any, *, indices: IndexSpelling = BRACKETED) -> str:
    """The answer text of ``task`` (the ``gpt`` turn).

    ``select``: indices (any order, no repeats; written ascending) -> ``[2, 5, 7]``
    (or as ``indices`` spells them: the reference profile writes ``3,6,8``);
    ``sort``: a permutation of ``0..n-1`` -> ``[3, 0, 2, 1]``; ``script``: lines (one
    sentence each, non-blank, no line breaks; outer spaces are dropped) -> the lines joined
    by ``"\\n"``; ``music``: audio tokens ``<a_0_12>...`` -> ``<|audio_start|>...<|audio_end|>``.
    """
    _check_task(task)
    if task in ("select", "sort"):
        values = _indices(task, answer)
        if task == "select":
            if not values:
                raise ValueError("select answer: needs at least one index")
            if len(set(values)) != len(values):
                raise ValueError(f"select answer: repeated indices in {values}")
            values = sorted(values)
        elif sorted(values) != list(range(len(values))):
            raise ValueError(f"sort answer: {values} is not a permutation of 0..{len(values) - 1}")
        return indices.write(values)
    if task == "script":
        if isinstance(answer, str) or not isinstance(answer, Sequence) or not answer:
            raise ValueError("script answer: needs a non-empty list of lines")
        lines = []
        for number, line in enumerate(answer, start=1):
            if not isinstance(line, str) or not line.strip():
                raise ValueError(f"script answer: line {number} is blank or not text")
            if len(line.strip().splitlines()) != 1:
                raise ValueError(f"script answer: line {number} contains a line break")
            lines.append(line.strip())
        return "\n".join(lines)
    if not isinstance(answer, str) or not _AUDIO_TOKENS.fullmatch(answer):
        raise ValueError(f"music answer: expected audio tokens <a_HEAD_CODE>..., got {answer!r}")
    return f"{AUDIO_START}{answer}{AUDIO_END}"


# The answer's type follows the task, so each caller gets indices, lines or tokens typed.
@overload
def parse_answer(
    task: Literal["select", "sort"],
    text: str,
    *,
    candidates: int | None = None,
    count: int | None = None,
    lines: int | None = None,
    heads: int | None = None,
    codebook_size: int | None = None,
    indices: IndexSpelling = BRACKETED,
) -> list[int]: ...
@overload
def parse_answer(
    task: Literal["script"],
    text: str,
    *,
    candidates: int | None = None,
    count: int | None = None,
    lines: int | None = None,
    heads: int | None = None,
    codebook_size: int | None = None,
    indices: IndexSpelling = BRACKETED,
) -> list[str]: ...
@overload
def parse_answer(
    task: Literal["music"],
    text: str,
    *,
    candidates: int | None = None,
    count: int | None = None,
    lines: int | None = None,
    heads: int | None = None,
    codebook_size: int | None = None,
    indices: IndexSpelling = BRACKETED,
) -> str: ...
@overload
def parse_answer(
    task: str,
    text: str,
    *,
    candidates: int | None = None,
    count: int | None = None,
    lines: int | None = None,
    heads: int | None = None,
    codebook_size: int | None = None,
    indices: IndexSpelling = BRACKETED,
) -> list[int] | list[str] | str: ...
def parse_answer(
    task: str,
    text: str,
    *,
    candidates: int | None = None,
    count: int | None = None,
    lines: int | None = None,
    heads: int | None = None,
    codebook_size: int | None = None,
    indices: IndexSpelling = BRACKETED,
) -> list[int] | list[str] | str:
    """Read a model's answer strictly; :class:`AnswerParseError` on anything else.

    ``select`` -> ascending indices (``candidates``: the pool size they must lie below;
    ``count``: how many must be chosen); ``sort`` -> the permutation (``candidates``: its
    length); ``script`` -> the lines (``lines``: how many there must be); ``music`` -> the
    audio tokens between the markers, without them (``heads`` and ``codebook_size``: check
    that they are exactly one track's codes of that tokenizer). ``indices`` is how the
    answer spells clip indices; they come back 0-based either way.
    """
    _check_task(task)
    if not isinstance(text, str):
        raise TypeError(f"parse_answer takes a str, not {type(text).__name__}")
    if task in ("select", "sort"):
        return _parse_indices(task, text, candidates, count, indices)
    if task == "script":
        return _parse_lines(text, lines)
    return _parse_music(text, heads, codebook_size)


_LIST = re.compile(r"\s*\[\s*(.*?)\s*\]\s*", re.DOTALL)
_NUMBER = re.compile(r"0|[1-9][0-9]*")
_AUDIO_TOKENS = re.compile(r"(?:<a_(?:0|[1-9][0-9]*)_(?:0|[1-9][0-9]*)>)+")


def _parse_indices(
    task: str, text: str, candidates: int | None, count: int | None, spelling: IndexSpelling
) -> list[int]:
    inner, start = _index_body(task, text, spelling)
    base = spelling.base
    values: list[int] = []
    position = 0
    for item in inner.split(","):
        offset = start + position + (len(item) - len(item.lstrip()))
        position += len(item) + 1
        stripped = item.strip()
        if not _NUMBER.fullmatch(stripped):
            what = "an empty item" if not stripped else f"{stripped!r} is not an index"
            raise AnswerParseError(task, text, what, offset)
        written = int(stripped)
        value = written - base
        if value < 0 or (candidates is not None and value >= candidates):
            last = "" if candidates is None else str(candidates - 1 + base)
            raise AnswerParseError(
                task, text, f"index {written} out of range (clips {base}..{last})", offset
            )
        if value in values:
            raise AnswerParseError(task, text, f"index {written} appears twice", offset)
        values.append(value)
    if task == "select":
        if count is not None and len(values) != count:
            raise AnswerParseError(task, text, f"{len(values)} clips chosen, {count} wanted")
        return sorted(values)
    size = len(values) if candidates is None else candidates
    if len(values) != size or max(values) >= size:
        raise AnswerParseError(
            task,
            text,
            f"not a permutation of {base}..{size - 1 + base} ({len(values)} indices given)",
        )
    return values


def _index_body(task: str, text: str, spelling: IndexSpelling) -> tuple[str, int]:
    """The text between the brackets (or the whole answer) and where it starts."""
    first = _first_not_space(text)
    if first == len(text):
        raise AnswerParseError(task, text, "the answer is empty")
    if not spelling.brackets:
        return text.strip(), first
    match = _LIST.fullmatch(text)
    if match is None:
        if text[first] != "[":
            raise AnswerParseError(
                task, text, f"expected a list of clip indices like {spelling.example}", first
            )
        close = text.find("]", first)
        if close < 0:
            raise AnswerParseError(task, text, "the list has no closing ']'", len(text))
        raise AnswerParseError(task, text, "unexpected text after the list", close + 1)
    inner, start = match.group(1), match.start(1)
    if not inner:
        raise AnswerParseError(task, text, "the list is empty", start)
    return inner, start


def _parse_lines(text: str, wanted: int | None) -> list[str]:
    body = text.replace("\r\n", "\n").strip()
    if not body:
        raise AnswerParseError("script", text, "the answer is empty")
    result = []
    for number, line in enumerate(body.split("\n"), start=1):
        if not line.strip():
            raise AnswerParseError("script", text, f"line {number} is blank")
        if len(line.splitlines()) != 1:
            raise AnswerParseError("script", text, f"line {number} holds another line break")
        result.append(line.strip())
    if wanted is not None and len(result) != wanted:
        raise AnswerParseError("script", text, f"{len(result)} lines written, {wanted} wanted")
    return result


def _parse_music(text: str, heads: int | None, codebook_size: int | None) -> str:
    body = text.strip()
    begin = len(text) - len(text.lstrip())
    if not body.startswith(AUDIO_START):
        raise AnswerParseError("music", text, f"expected {AUDIO_START} first", begin)
    if not body.endswith(AUDIO_END) or len(body) < len(AUDIO_START) + len(AUDIO_END):
        raise AnswerParseError("music", text, f"expected {AUDIO_END} last", begin + len(body))
    inner = body[len(AUDIO_START) : len(body) - len(AUDIO_END)]
    inner_start = begin + len(AUDIO_START)
    if heads is not None or codebook_size is not None:
        from autocut_core.tokens.strings import TokenParseError, format_codes, parse_codes

        if heads is None or codebook_size is None:
            raise ValueError("music answer: give both heads and codebook_size, or neither")
        try:
            codes = parse_codes(inner, "a", heads, codebook_size)
        except TokenParseError as error:
            raise AnswerParseError(
                "music", text, error.reason, inner_start + error.offset
            ) from None
        if len(codes) != 1:
            raise AnswerParseError(
                "music", text, f"{len(codes)} vectors of {heads} tokens; one track is one vector"
            )
        canonical = format_codes(codes[0], "a")
        if canonical != inner:
            raise AnswerParseError("music", text, "unexpected text between the audio tokens")
        return canonical
    match = _AUDIO_TOKENS.match(inner)
    end = match.end() if match else 0
    if not inner or end != len(inner):
        reason = "no audio tokens" if not inner else "expected only <a_HEAD_CODE> tokens"
        raise AnswerParseError("music", text, reason, inner_start + end)
    return inner


# --- helpers -------------------------------------------------------------------------------


def _sentences(script: Script | Sequence[str]) -> list[str]:
    return list(script.sentences if isinstance(script, Script) else script)


def _indices(task: str, answer: Any) -> list[int]:
    if isinstance(answer, str) or not isinstance(answer, Sequence):
        raise ValueError(f"{task} answer: expected a list of indices, got {answer!r}")
    values = []
    for value in answer:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{task} answer: {value!r} is not a non-negative integer index")
        values.append(int(value))
    return values


def _first_not_space(text: str) -> int:
    return len(text) - len(text.lstrip())


def _check_task(task: str) -> None:
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; tasks are {', '.join(TASKS)}")


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown prompt language {lang!r}; languages are {', '.join(LANGUAGES)}")
