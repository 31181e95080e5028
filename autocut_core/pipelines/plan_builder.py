"""From decisions to an :class:`EditPlan`: slots, voice lines fitted, music cue.

Both pipelines end the same way: an ordered list of clips, one sentence each, and maybe a
track. This module turns that into the timeline the renderer reads, so the two pipelines
cannot drift apart in how they trim, voice or time an ad.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from autocut_core.components import Voice
from autocut_core.editing.timeline import fit_plan_to_voice
from autocut_core.errors import InputError
from autocut_core.media.errors import display_path
from autocut_core.text import count_units, detect_language
from autocut_core.types import (
    Candidate,
    EditPlan,
    MusicCue,
    Product,
    RenderSettings,
    Role,
    Slot,
    Track,
)

#: Reading speed for silent ads (no voice): words per second, CJK characters per second.
WORDS_PER_SECOND = 2.6
CJK_CHARS_PER_SECOND = 4.5
#: Slots of one source may share this much footage (float noise at a common boundary).
_SHARED_FOOTAGE_S = 1e-6


def trim(candidate: Candidate, strategy: str, source_duration: float) -> tuple[float, float]:
    """A clip's in/out points by the paper's two strategies (§7.2), never outside the clip.

    ``by-clip`` uses the visual clip's exact boundaries (native frame times, see
    :mod:`autocut_core.materials.cut_refine`). ``by-frame`` starts at the clip's first 1 fps
    frame, the first whole second at or after its start (as the public reference does when
    a model answers with frame ids), and may run to the clip's end. Starting at the whole
    second *before* the clip's start, as a frame id's second reads, would open the slot with
    up to a second of the previous shot; running on past the clip's end, with the next one.
    """
    clip = candidate.clip
    end = clip.end
    if clip.start < source_duration < end:
        end = source_duration  # the file is shorter than the database says
    if strategy == "by-clip":
        return clip.start, end
    # A start a float's breadth past a whole second is that second (and never before it).
    start = max(clip.start, float(math.ceil(clip.start - 1e-6)))
    return (start, end) if end > start else (clip.start, end)


def build_slots(
    candidates: Sequence[Candidate],
    sentences: Sequence[str],
    render: RenderSettings,
    source_durations: Mapping[str, float],
    scores: Sequence[float | None] = (),
    roles: Sequence[Role] = (),
) -> tuple[Slot, ...]:
    """One slot per (clip, sentence) pair, in playing order; each knows where its shot ends.

    The shot ends where the clip does: a clip boundary is a cut, or an even split of a shot
    longer than ``max_clip_seconds`` (15 s or more on either side), and the database does
    not say which, so a slot never runs on into the next clip.
    """
    if len(candidates) != len(sentences):
        raise InputError(f"{len(candidates)} clips but {len(sentences)} sentences")
    slots = []
    for index, (candidate, sentence) in enumerate(zip(candidates, sentences, strict=True)):
        start, end = trim(candidate, render.trim, source_durations.get(candidate.source_path, 0.0))
        slots.append(
            Slot(
                clip_id=candidate.clip.clip_id,
                source_path=candidate.source_path,
                source_in=start,
                source_out=end,
                sentence=sentence,
                score=scores[index] if index < len(scores) else None,
                shot_end=end,
                role=roles[index] if index < len(roles) else "",
            )
        )
    return tuple(slots)


def check_distinct_footage(slots: Sequence[Slot]) -> None:
    """Refuse a plan that shows the same stretch of footage in two slots.

    An ad that repeats a shot looks like an editing mistake. The pipelines cannot cause it
    any more (a backbone picks distinct clips, and slots stay inside their clips), so this
    guards the rule for new pipelines and backbones, naming the slots and the seconds.
    """
    by_source: dict[str, list[tuple[int, Slot]]] = {}
    for number, slot in enumerate(slots, start=1):
        by_source.setdefault(slot.source_path, []).append((number, slot))
    for path, placed in by_source.items():
        placed.sort(key=lambda item: item[1].source_in)
        for (first, a), (second, b) in itertools.pairwise(placed):
            if b.source_in < a.source_out - _SHARED_FOOTAGE_S:
                shared_from, shared_to = b.source_in, min(a.source_out, b.source_out)
                raise InputError(
                    f"slots {min(first, second)} and {max(first, second)} both show "
                    f"{shared_from:.2f}-{shared_to:.2f} s of {display_path(path)}: "
                    "the same footage twice (choose another clip for one of them)"
                )


def speaking_time(sentence: str) -> float:
    """Seconds a viewer needs to read ``sentence`` when nobody speaks it."""
    rate = CJK_CHARS_PER_SECOND if detect_language(sentence) in {"zh", "ja"} else WORDS_PER_SECOND
    return max(1.5, count_units(sentence) / rate)


def add_voice(slots: Sequence[Slot], voice: Voice | None, folder: Path) -> tuple[Slot, ...]:
    """Speak each sentence into ``folder`` (or, without a voice, time it for reading)."""
    if voice is None:
        return tuple(
            replace(
                slot, voice_path=None, voice_duration=speaking_time(slot.sentence), voice_words=()
            )
            for slot in slots
        )
    lines = voice.synthesize_batch([slot.sentence for slot in slots], folder)
    return tuple(
        replace(
            slot,
            voice_path=str(Path(line.path).resolve()),
            voice_duration=line.duration,
            voice_text=slot.sentence,
            voice_words=(),  # the words of an earlier line are not this line's
        )
        for slot, line in zip(slots, lines, strict=True)
    )


def music_cue(track: Track | None) -> MusicCue | None:
    return None if track is None else MusicCue(track_id=track.track_id, path=track.path)


def assemble(
    slots: Sequence[Slot],
    music: MusicCue | None,
    render: RenderSettings,
    product: Product,
    pipeline: str,
    source_durations: Mapping[str, float],
) -> EditPlan:
    """The final plan: slots fitted to their voice lines, so no voice is ever cut, and no
    footage shown twice."""
    plan = EditPlan(
        slots=tuple(slots), music=music, render=render, product=product, pipeline=pipeline
    )
    fitted = fit_plan_to_voice(plan, source_durations)
    check_distinct_footage(fitted.slots)
    return fitted
