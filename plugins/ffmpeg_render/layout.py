"""The plan's timeline in whole output frames and samples.

:func:`autocut_core.editing.timeline.place` says in seconds where each slot starts and ends. A video
has whole frames, so every boundary is rounded to the nearest frame *once*, here, and every
length is a difference of rounded boundaries: lengths add up to the rounded total exactly, no
error accumulates over many slots, and picture, voice and subtitles never drift apart by more
than half a frame. The audio gets exactly as many samples as the frames last.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from autocut_core.editing.timeline import place
from autocut_core.errors import InputError
from autocut_core.types import EditPlan, Slot

#: Rates written as decimals that mean the NTSC fractions.
_NTSC_RATES = (Fraction(24000, 1001), Fraction(30000, 1001), Fraction(60000, 1001))


@dataclass(frozen=True)
class SlotFrames:
    """One slot in output frames."""

    index: int
    slot: Slot
    #: First output frame.
    start: int
    #: Frames the slot fills on the output (footage and held frame).
    frames: int
    #: Frames read from the source; the rest repeat its last frame.
    footage: int


@dataclass(frozen=True)
class FrameLayout:
    fps: Fraction
    slots: tuple[SlotFrames, ...]
    #: overlaps[i]: frames slot i and slot i+1 share (a crossfade); 0 is a cut.
    overlaps: tuple[int, ...]
    total_frames: int
    #: Frames of the end card after the last slot (0: none).
    card_frames: int = 0

    def seconds(self, frames: int) -> float:
        return float(frames / self.fps)

    def samples(self, frames: int, rate: int) -> int:
        """Audio samples at ``rate`` that last as long as ``frames`` frames."""
        return round(Fraction(frames) / self.fps * rate)

    @property
    def duration(self) -> float:
        return self.seconds(self.total_frames)


def frame_rate(fps: float) -> Fraction:
    """``fps`` as an exact fraction; 29.97 and the like mean 30000/1001."""
    if not fps > 0:
        raise InputError(f"render fps must be positive, got {fps}")
    for rate in _NTSC_RATES:
        if abs(fps - float(rate)) < 0.006:
            return rate
    return Fraction(fps).limit_denominator(1000)


def frame_layout(plan: EditPlan) -> FrameLayout:
    """Round the placements of ``plan`` to frames (see the module docs)."""
    fps = frame_rate(plan.render.fps)
    placements = place(plan)

    def frame_at(seconds: float) -> int:
        return math.floor(seconds * fps + Fraction(1, 2) + Fraction(1, 10**6))

    slots = []
    for placement in placements:
        start, end = frame_at(placement.start), frame_at(placement.end)
        frames = end - start
        slot = placement.slot
        if frames < 1:
            raise InputError(
                f"slot {placement.index + 1} ({slot.clip_id}) lasts {slot.duration:.3f} s, "
                f"less than one frame at {float(fps):g} fps"
            )
        footage = frames
        if slot.hold > 0:
            footage = max(1, min(frames, frame_at(slot.source_out - slot.source_in)))
        slots.append(SlotFrames(placement.index, slot, start, frames, footage))
    overlaps = tuple(
        max(0, slots[i].start + slots[i].frames - slots[i + 1].start) for i in range(len(slots) - 1)
    )
    total = slots[-1].start + slots[-1].frames if slots else 0
    card = 0
    if plan.end_card is not None and placements:
        card = frame_at(placements[-1].end + plan.end_card.duration) - total
        if card < 1:
            raise InputError(
                f"the end card lasts {plan.end_card.duration:.3f} s, less than one frame"
            )
    return FrameLayout(fps, tuple(slots), overlaps, total + card, card)
