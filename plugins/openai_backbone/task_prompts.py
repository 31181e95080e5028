"""The four editing tasks as chat messages for a general-purpose (vision) language model.

The paper evaluates general models (GPT-4o, Qwen3) with "the same instruction templates" as
AutoCut, each clip shown to text-only models as a caption (§4.3). The templates in
:mod:`autocut_core.editing.prompts` write clips as trained ``<v_h_c>`` tokens, which a general model
cannot read, and ask for music as audio tokens, which it cannot write; so this module keeps
their task definitions and answer formats (a list of indices for ``select`` and ``sort``, one
line per clip for ``script``) and their product-facts block, and shows each clip as its
caption and, optionally, its middle frame. Music is chosen by number from the tracks' titles
and file names.

Every user turn ends with one request sentence that states the exact answer wanted (how many
indices, from which number to which). The answer readers in :mod:`.answers` check exactly
that, and the ``REQUEST_*`` patterns let a test server (:mod:`.rehearsal`) read it back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocut_core.editing.prompts import product_facts
from autocut_core.types import MusicCandidate, Product

Part = str | dict[str, Any]

_INTRO = (
    "You are an editor of short-form product advertisements. You are given the product's "
    "facts and video clips, each shown as {shown}. Follow the answer format exactly and "
    "write nothing else: no explanation, no code fence."
)
_SHOWN = {
    False: "a short caption of what it shows",
    True: "its middle frame (an image) with a caption when one exists",
}
_RULES = {
    "select": "Task: from a pool of candidate clips, select the clips that belong in the ad "
    "described by the product facts and the script. Answer only with the indices of the "
    "selected clips as a list in ascending order, for example {example}.",
    "sort": "Task: order the given clips so that the i-th clip plays under the i-th sentence "
    "of the script. Answer only with the clip indices in playing order as a list, for "
    "example {example}.",
    "script": "Task: write the ad's script for the clips in their playing order: exactly one "
    "sentence per clip, one per line, in clip order, each short enough to be spoken over its "
    "clip. Answer only with those lines, without numbers or quotes.",
    "music": "Task: choose the background music that fits the product, the script and the "
    "clips from a numbered list of tracks. Answer only with the number of the chosen track, "
    "for example {example}.",
}
_EXAMPLES = {
    0: {"select": "[0, 2, 5]", "sort": "[2, 0, 1]", "music": "0"},
    1: {"select": "[1, 3, 6]", "sort": "[3, 1, 2]", "music": "1"},
}

#: The closing request sentence of each task; the groups are what the answer must satisfy.
REQUEST_SELECT = re.compile(
    r"Answer with a list of (?P<count>\d+) different indices from (?P<lo>\d+) to (?P<hi>\d+)\."
)
REQUEST_SORT = re.compile(
    r"Answer with a list of all (?P<n>\d+) indices from (?P<lo>\d+) to (?P<hi>\d+), each once"
)
REQUEST_SCRIPT = re.compile(r"Answer with exactly (?P<n>\d+) lines")
REQUEST_MUSIC = re.compile(
    r"Answer with the number of one track, from (?P<lo>\d+) to (?P<hi>\d+)\."
)


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
    #: The answer wanted, in words, for error messages and the re-ask.
    expected: str

    @property
    def messages(self) -> list[dict[str, Any]]:
        from autocut_core.llm.chat import user_message

        return [{"role": "system", "content": self.system}, user_message(list(self.user))]


def system_prompt(task: str, images: bool, base: int) -> str:
    rule = _RULES[task].format(example=_EXAMPLES[base].get(task, ""))
    return _INTRO.format(shown=_SHOWN[images]) + "\n" + rule


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
    parts += _clips(f"Candidate clips ({len(clips)}):", clips, base)
    parts.append(
        f"\n\nSelect the {count} clips that belong in this ad. Answer with a list of {count} "
        f"different indices from {lo} to {hi}."
    )
    expected = f"a list of {count} different clip indices from {lo} to {hi}, like {_EXAMPLES[base]['select']}"
    return TaskPrompt(
        "select",
        system_prompt("select", images, base),
        tuple(parts),
        len(clips),
        base,
        count,
        expected,
    )


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
    parts += _clips(f"Clips in random order ({n}):", clips, base)
    parts.append(
        f"\n\nOrder these {n} clips to match the script. Answer with a list of all {n} indices "
        f"from {lo} to {hi}, each once, in playing order."
    )
    expected = f"a list of all {n} clip indices from {lo} to {hi}, each exactly once"
    return TaskPrompt(
        "sort", system_prompt("sort", images, base), tuple(parts), n, base, None, expected
    )


def script_prompt(
    product: Product, clips: Sequence[ClipView], *, base: int, lang: str, images: bool
) -> TaskPrompt:
    n = len(clips)
    parts: list[Part] = [product_facts(product, lang)]
    parts += _clips(f"Clips in playing order ({n}):", clips, base)
    language = " Write the lines in Chinese." if lang == "zh" else ""
    parts.append(
        f"\n\nWrite {n} lines, one for each clip, in clip order.{language} Answer with exactly "
        f"{n} lines."
    )
    expected = f"exactly {n} non-empty lines of script, one per clip"
    return TaskPrompt(
        "script", system_prompt("script", images, base), tuple(parts), n, base, n, expected
    )


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
    parts += _clips(f"Clips in playing order ({len(clips)}):", clips, base)
    listed = "\n".join(f"{i} {describe_track(t)}" for i, t in enumerate(tracks, start=base))
    parts.append(f"\n\nMusic tracks ({n}):\n{listed}")
    parts.append(
        f"\n\nChoose the background music for this ad. Answer with the number of one track, "
        f"from {lo} to {hi}."
    )
    expected = f"the number of one track from {lo} to {hi}, like {_EXAMPLES[base]['music']}"
    return TaskPrompt(
        "music", system_prompt("music", images, base), tuple(parts), n, base, None, expected
    )


def describe_track(candidate: MusicCandidate) -> str:
    """``"Title" (file.ogg, 30.0 s)``: all a text model knows of a track."""
    track = candidate.track
    title = " ".join(track.title.split())
    name = Path(track.path).name
    facts = f"({name}, {track.duration:.1f} s)" if name else f"({track.duration:.1f} s)"
    return f'"{title}" {facts}' if title else facts


def _head(product: Product, script: Sequence[str], lang: str) -> list[Part]:
    numbered = "\n".join(f"{i}. {' '.join(s.split())}" for i, s in enumerate(script, start=1))
    return [f"{product_facts(product, lang)}\n\nScript ({len(script)} sentences):\n{numbered}"]


def _clips(heading: str, clips: Sequence[ClipView], base: int) -> list[Part]:
    parts: list[Part] = [f"\n\n{heading}"]
    for number, clip in enumerate(clips, start=base):
        caption = " ".join(clip.caption.split()) or "(no caption)"
        length = "" if clip.duration is None else f" ({clip.duration:.1f} s)"
        parts.append(f"\n[{number}] {caption}{length}")
        if clip.image is not None:
            parts.append(clip.image)
    return parts
