"""From decisions to an :class:`EditPlan`: slots, voice lines fitted, music cue.

Both pipelines end the same way: an ordered list of clips, one sentence each, and maybe a
track. This module turns that into the timeline the renderer reads, so the two pipelines
cannot drift apart in how they trim, voice or time an ad.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from autocut_core.components import Voice
from autocut_core.editing.timeline import fit_plan_to_voice
from autocut_core.errors import InputError
from autocut_core.text import count_units, detect_language
from autocut_core.types import (
    Candidate,
    EditPlan,
    MusicCue,
    Product,
    RenderSettings,
    Slot,
    Track,
)

#: Reading speed for silent ads (no voice): words per second, CJK characters per second.
WORDS_PER_SECOND = 2.6
CJK_CHARS_PER_SECOND = 4.5


def trim(candidate: Candidate, strategy: str, source_duration: float) -> tuple[float, float]:
    """A clip's in/out points by the paper's two strategies (§7.2).

    ``by-clip`` uses the visual clip's exact boundaries; ``by-frame`` starts at the clip's
    1 fps frame (its whole second) and runs for the stored clip length, as the public
    reference does when a model answers with frame ids.
    """
    clip = candidate.clip
    if strategy == "by-clip":
        return clip.start, clip.end
    start = float(int(clip.start))
    end = start + max(1.0, round(clip.duration))
    if source_duration > 0:
        end = min(end, source_duration)
    return (start, end) if end > start else (clip.start, clip.end)


def build_slots(
    candidates: Sequence[Candidate],
    sentences: Sequence[str],
    render: RenderSettings,
    source_durations: Mapping[str, float],
    scores: Sequence[float] = (),
) -> tuple[Slot, ...]:
    """One slot per (clip, sentence) pair, in playing order."""
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
            )
        )
    return tuple(slots)


def speaking_time(sentence: str) -> float:
    """Seconds a viewer needs to read ``sentence`` when nobody speaks it."""
    rate = CJK_CHARS_PER_SECOND if detect_language(sentence) in {"zh", "ja"} else WORDS_PER_SECOND
    return max(1.5, count_units(sentence) / rate)


def add_voice(slots: Sequence[Slot], voice: Voice | None, folder: Path) -> tuple[Slot, ...]:
    """Speak each sentence into ``folder`` (or, without a voice, time it for reading)."""
    if voice is None:
        return tuple(
            replace(slot, voice_path=None, voice_duration=speaking_time(slot.sentence))
            for slot in slots
        )
    lines = voice.synthesize_batch([slot.sentence for slot in slots], folder)
    return tuple(
        replace(
            slot,
            voice_path=str(Path(line.path).resolve()),
            voice_duration=line.duration,
            voice_text=slot.sentence,
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
    """The final plan: slots fitted to their voice lines, so no voice is ever cut."""
    plan = EditPlan(
        slots=tuple(slots), music=music, render=render, product=product, pipeline=pipeline
    )
    return fit_plan_to_voice(plan, source_durations)
