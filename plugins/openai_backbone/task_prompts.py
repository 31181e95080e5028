"""The four editing tasks as chat messages for a general-purpose (vision) language model.

The paper evaluates general models (GPT-4o, Qwen3) with "the same instruction templates" as
AutoCut, each clip shown to text-only models as a caption (§4.3). The trained templates write
clips as ``<v_h_c>`` tokens, which a general model cannot read, and ask for music as audio
tokens, which it cannot write; so this module keeps the tasks' wording and answer formats
(indices for ``select`` and ``sort``, one line per clip for ``script``) and shows each clip as
its caption and, optionally, its middle frame. Music is chosen by number from the tracks'
titles and file names.

The wording is the paper's task prompts as the public reference implementation writes them
(:mod:`autocut_core.editing.reference_prompts`: "你是专业的视频剪辑师。请你根据商品信息和广告
台词，从提供的素材池中选择相关的视频片段……", with its 【输出要求】), in Chinese for a Chinese ad
and in English otherwise, so the model is asked in the language of the facts and script it
reads. Product facts leave empty fields out (a general model would read ``【类目】无`` as a
fact).

Every user turn ends with one request sentence that states the exact answer wanted (how many
indices, from which number to which). The answer readers in :mod:`.answers` check exactly
that, and :func:`requested` lets a test server (:mod:`.rehearsal`) read it back in either
language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocut_core.editing.prompts import product_facts
from autocut_core.llm.chat import REASK
from autocut_core.types import MusicCandidate, Product

Part = str | dict[str, Any]

_INTRO = {
    "en": (
        "You are a professional video editor of short product advertisements. You are given "
        "the product's facts and video clips, each shown as {shown}. Follow the output "
        "requirements exactly and write nothing else: no explanation, no code fence."
    ),
    "zh": (
        "你是专业的视频剪辑师，负责短视频商品广告。你会看到商品信息和若干视频片段，每个片段以{shown}"
        "给出。请严格按照输出要求作答，不要输出任何其他内容：不要解释，不要代码块。"
    ),
}
_SHOWN = {
    "en": {
        False: "a short caption of what it shows",
        True: "its middle frame (an image) with a caption when one exists",
    },
    "zh": {False: "一句画面描述", True: "中间一帧画面（图片）及其画面描述（如有）"},
}
_RULES = {
    "en": {
        "select": "Based on the product information and the ad script, select the relevant "
        "video clips from the pool provided and output their numbers. Output requirements: "
        "1) output exactly as many clip numbers as asked; 2) no number may repeat. Answer "
        "only with the numbers, for example {example}.",
        "sort": "Order the video clips following the order of the ad script, so that the i-th "
        "clip plays under the i-th line. Output requirements: 1) output every clip number "
        "exactly once; 2) in playing order. Answer only with the numbers, for example "
        "{example}.",
        "script": "Write one line of ad script for each video clip: natural spoken language, "
        "coherent, true to the picture and to the product and brand. Output requirements: "
        "1) exactly as many lines as there are clips; 2) each line belongs to one clip, in "
        "the clips' order. Answer only with those lines, without numbers or quotes.",
        "music": "Based on the ad's product information, script and video clips, choose the "
        "background music from the numbered tracks. Output requirements: 1) output only the "
        "number of one track, for example {example}; 2) no explanation, quotes or extra "
        "symbols.",
    },
    "zh": {
        "select": "请你根据商品信息和广告台词，从提供的素材池中选择相关的视频片段，并输出它们的编号。"
        "【输出要求】1）只输出要求数量的视频片段编号；2）输出的视频片段编号不能有重复。"
        "只输出编号，例如 {example}。",
        "sort": "请你根据提供的广告台词顺序，将视频片段进行排序，使第 i 个片段配合第 i 句台词播放。"
        "【输出要求】1）每个视频片段编号恰好输出一次；2）按播放顺序排列。只输出编号，例如 {example}。",
        "script": "请为每个视频片段写一句中文台词，要求口语自然连贯、贴合画面、符合商品和品牌信息。"
        "【输出要求】1）只输出与视频片段数量相同的台词行数；2）每行对应一个视频片段，"
        "顺序与视频片段顺序一致。只输出台词，不要编号或引号。",
        "music": "请根据广告的商品信息、台词以及视频片段，从编号的曲目中选择背景音乐。"
        "【输出要求】1）只输出一首曲目的编号，例如 {example}；2）禁止输出任何解释、引号或额外符号。",
    },
}
_EXAMPLES = {
    0: {"select": "[0, 2, 5]", "sort": "[2, 0, 1]", "music": "0"},
    1: {"select": "[1, 3, 6]", "sort": "[3, 1, 2]", "music": "1"},
}
#: Headings and small words of the user turn.
_WORDS = {
    "en": {
        "script": "Ad script ({n} lines):",
        "pool": "Candidate clips ({n}, some of them unrelated):",
        "shuffled": "Clips in random order ({n}):",
        "ordered": "Clips in playing order ({n}):",
        "tracks": "Music tracks ({n}):",
        "no caption": "(no caption)",
        "seconds": " ({seconds:.1f} s)",
    },
    "zh": {
        "script": "【广告台词如下】共{n}句",
        "pool": "【视频片段素材（含不相关的样本）】共{n}个",
        "shuffled": "【视频片段如下】（顺序已打乱）共{n}个",
        "ordered": "【视频片段如下】（按播放顺序）共{n}个",
        "tracks": "【背景音乐曲目】共{n}首",
        "no caption": "（无画面描述）",
        "seconds": "（{seconds:.1f} 秒）",
    },
}
#: The closing request sentence of each task and language: what the answer must satisfy.
_REQUESTS = {
    "en": {
        "select": "Select the {count} clips that belong in this ad. Answer with a list of "
        "{count} different indices from {lo} to {hi}.",
        "sort": "Order these {n} clips to match the script. Answer with a list of all {n} "
        "indices from {lo} to {hi}, each once, in playing order.",
        "script": "Write {n} lines, one for each clip, in clip order. Answer with exactly {n} "
        "lines.",
        "music": "Choose the background music for this ad. Answer with the number of one "
        "track, from {lo} to {hi}.",
    },
    "zh": {
        "select": "【现在请输出相关的视频片段编号】共{count}个，互不相同，范围 {lo} 到 {hi}。",
        "sort": "【现在请输出按正确顺序排列的视频片段编号序列】全部{n}个编号，范围 {lo} 到 {hi}，"
        "每个一次。",
        "script": "【现在开始输出台词】请恰好输出{n}行台词。",
        "music": "【现在请输出背景音乐曲目的编号】一首，范围 {lo} 到 {hi}。",
    },
}
LANGUAGES = tuple(_REQUESTS)
#: The re-ask after an unreadable answer. The reason is the answer reader's (English, exact:
#: "index 9 is out of range 0..5"); in Chinese the task's own request sentence says what to give.
_REASK = {
    "en": REASK,
    "zh": "这个回答无法使用（{reason}）。请重新回答，只输出要求的内容。{request}",
}


def _request_pattern(sentence: str) -> re.Pattern[str]:
    """A request sentence as a regex whose named groups are its numbers (a name used twice
    must repeat the same number)."""
    pattern, seen = re.escape(sentence), set()
    for name in re.findall(r"\{(\w+)\}", sentence):
        placeholder = re.escape("{" + name + "}")
        group = f"(?P={name})" if name in seen else rf"(?P<{name}>\d+)"
        pattern = pattern.replace(placeholder, group, 1)
        seen.add(name)
    return re.compile(pattern)


_PATTERNS = {
    task: [_request_pattern(_REQUESTS[lang][task]) for lang in LANGUAGES] for task in _RULES["en"]
}


def requested(task: str, text: str) -> dict[str, int] | None:
    """The numbers of ``task``'s request sentence found in ``text`` (either language)."""
    for pattern in _PATTERNS[task]:
        if match := pattern.search(text):
            return {key: int(value) for key, value in match.groupdict().items()}
    return None


@dataclass(frozen=True)
class ClipView:
    """What the model is shown of one clip: a caption, its length, and maybe an image part."""

    caption: str
    #: Seconds, or None when the clip's span is not known (caption data without times).
    duration: float | None
    image: dict[str, Any] | None = None


@dataclass(frozen=True)
class TaskPrompt:
    """The messages of one task and the facts its answer is checked against."""

    task: str
    system: str
    user: tuple[Part, ...]
    #: How many items (clips or tracks) are numbered, and the first number shown.
    size: int
    base: int
    #: ``select``: how many clips to choose; ``script``: how many lines to write.
    count: int | None
    #: The answer wanted, in words, for error messages and the English re-ask.
    expected: str
    #: The language the prompt is written in, and its closing request sentence: a re-ask
    #: repeats that sentence in the same language, so a Chinese ad is not told off in English.
    lang: str = "en"
    request: str = ""

    @property
    def messages(self) -> list[dict[str, Any]]:
        from autocut_core.llm.chat import user_message

        return [{"role": "system", "content": self.system}, user_message(list(self.user))]

    def reask(self, reason: str) -> str:
        """The message that sends an unusable answer back: what was wrong (the reader's own
        words) and what to answer instead, in the prompt's language."""
        if self.lang == "zh" and self.request:
            return _REASK["zh"].format(reason=reason, request=self.request)
        return _REASK["en"].format(reason=reason, expected=self.expected)


def system_prompt(task: str, images: bool, base: int, lang: str = "en") -> str:
    rule = _RULES[lang][task].format(example=_EXAMPLES[base].get(task, ""))
    return _INTRO[lang].format(shown=_SHOWN[lang][images]) + "\n" + rule


def select_prompt(
    product: Product,
    script: Sequence[str],
    clips: Sequence[ClipView],
    count: int,
    *,
    base: int,
    lang: str,
    images: bool,
) -> TaskPrompt:
    lo, hi = base, base + len(clips) - 1
    parts = _head(product, script, lang)
    parts += _clips(_WORDS[lang]["pool"].format(n=len(clips)), clips, base, lang)
    request = _REQUESTS[lang]["select"].format(count=count, lo=lo, hi=hi)
    parts.append("\n\n" + request)
    example = _EXAMPLES[base]["select"]
    expected = f"a list of {count} different clip indices from {lo} to {hi}, like {example}"
    system = system_prompt("select", images, base, lang)
    return TaskPrompt("select", system, tuple(parts), len(clips), base, count, expected,
                      lang, request)  # fmt: skip


def sort_prompt(
    product: Product,
    script: Sequence[str],
    clips: Sequence[ClipView],
    *,
    base: int,
    lang: str,
    images: bool,
) -> TaskPrompt:
    n, lo, hi = len(clips), base, base + len(clips) - 1
    parts = _head(product, script, lang)
    parts += _clips(_WORDS[lang]["shuffled"].format(n=n), clips, base, lang)
    request = _REQUESTS[lang]["sort"].format(n=n, lo=lo, hi=hi)
    parts.append("\n\n" + request)
    expected = f"a list of all {n} clip indices from {lo} to {hi}, each exactly once"
    system = system_prompt("sort", images, base, lang)
    return TaskPrompt("sort", system, tuple(parts), n, base, None, expected, lang, request)


def script_prompt(
    product: Product, clips: Sequence[ClipView], *, base: int, lang: str, images: bool
) -> TaskPrompt:
    n = len(clips)
    parts: list[Part] = [product_facts(product, lang, omit_empty=True)]
    parts += _clips(_WORDS[lang]["ordered"].format(n=n), clips, base, lang)
    request = _REQUESTS[lang]["script"].format(n=n)
    parts.append("\n\n" + request)
    expected = f"exactly {n} non-empty lines of script, one per clip"
    system = system_prompt("script", images, base, lang)
    return TaskPrompt("script", system, tuple(parts), n, base, n, expected, lang, request)


def music_prompt(
    product: Product,
    script: Sequence[str],
    clips: Sequence[ClipView],
    tracks: Sequence[MusicCandidate],
    *,
    base: int,
    lang: str,
    images: bool,
) -> TaskPrompt:
    n, lo, hi = len(tracks), base, base + len(tracks) - 1
    parts = _head(product, script, lang)
    parts += _clips(_WORDS[lang]["ordered"].format(n=len(clips)), clips, base, lang)
    listed = "\n".join(f"{i} {describe_track(t)}" for i, t in enumerate(tracks, start=base))
    parts.append(f"\n\n{_WORDS[lang]['tracks'].format(n=n)}\n{listed}")
    request = _REQUESTS[lang]["music"].format(lo=lo, hi=hi)
    parts.append("\n\n" + request)
    expected = f"the number of one track from {lo} to {hi}, like {_EXAMPLES[base]['music']}"
    system = system_prompt("music", images, base, lang)
    return TaskPrompt("music", system, tuple(parts), n, base, None, expected, lang, request)


def describe_track(candidate: MusicCandidate) -> str:
    """``"Title" (file.ogg, 30.0 s)``: all a text model knows of a track."""
    track = candidate.track
    title = " ".join(track.title.split())
    name = Path(track.path).name
    facts = f"({name}, {track.duration:.1f} s)" if name else f"({track.duration:.1f} s)"
    return f'"{title}" {facts}' if title else facts


def _head(product: Product, script: Sequence[str], lang: str) -> list[Part]:
    numbered = "\n".join(f"{i}. {' '.join(s.split())}" for i, s in enumerate(script, start=1))
    heading = _WORDS[lang]["script"].format(n=len(script))
    return [f"{product_facts(product, lang, omit_empty=True)}\n\n{heading}\n{numbered}"]


def _clips(heading: str, clips: Sequence[ClipView], base: int, lang: str) -> list[Part]:
    words = _WORDS[lang]
    parts: list[Part] = [f"\n\n{heading}"]
    for number, clip in enumerate(clips, start=base):
        caption = " ".join(clip.caption.split()) or words["no caption"]
        length = "" if clip.duration is None else words["seconds"].format(seconds=clip.duration)
        parts.append(f"\n[{number}] {caption}{length}")
        if clip.image is not None:
            parts.append(clip.image)
    return parts
