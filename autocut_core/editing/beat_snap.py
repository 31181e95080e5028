"""Cut on the beat: move each cut of a plan onto the nearest beat of its music.

A cut (the start of slot k+1, or of the end card) moves to the nearest beat within
``tolerance`` seconds, by giving time from one side of the cut to the other, so the ad's
length does not change. A move is taken only when both sides keep their voice line whole
with :data:`~autocut_core.editing.timeline.MIN_TAIL` of silence after it (and the end card
keeps :data:`MIN_CARD` seconds): a beat never cuts a sentence's voice. Cuts are settled left
to right; one with no such beat stays where it was and is counted as missed.

Beats are given in seconds of the track; the music plays from ``cue.offset`` and loops when
shorter than the ad (the renderer's ``-stream_loop``), so output time ``t`` hears track time
``offset + t`` modulo the track's length.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from autocut_core.editing.timeline import minimum_length, place, transition_overlap, with_length
from autocut_core.types import EditPlan

#: The end card is never made shorter than this by a beat.
MIN_CARD = 1.0
#: How far a cut may move to reach a beat, by default (a quarter of a second at 120 BPM).
DEFAULT_TOLERANCE = 0.25


@dataclass(frozen=True)
class Snapped:
    """The plan with its cuts on beats, and how many cuts were moved or missed."""

    plan: EditPlan
    cuts: tuple[float, ...]
    moved: int
    missed: int


def output_beats(
    beats: Sequence[float], offset: float, track_duration: float, length: float
) -> list[float]:
    """The beats heard at output seconds ``0 .. length``, the track looped as the renderer does."""
    if not beats or track_duration <= 0:
        return []
    found = [b - offset for b in beats if b >= offset]
    shift = track_duration - offset  # the loop starts the file again from 0
    while shift < length:
        found += [b + shift for b in beats]
        shift += track_duration
    return sorted({round(b, 4) for b in found if 0 <= b <= length})


def snap_cuts(
    plan: EditPlan,
    beats: Sequence[float],
    durations: Mapping[str, float],
    tolerance: float = DEFAULT_TOLERANCE,
) -> Snapped:
    """``plan`` with each cut on the nearest reachable beat (output seconds, sorted)."""
    slots = list(plan.slots)
    card = plan.end_card
    overlap = transition_overlap(plan.render, slots)
    cut_count = len(slots) - 1 + (1 if card is not None else 0)
    moved = missed = 0
    for cut in range(cut_count):
        starts = [p.start for p in place(replace(plan, slots=tuple(slots)))]
        if cut + 1 < len(slots):
            at = starts[cut + 1]
            after_room = slots[cut + 1].duration - minimum_length(slots[cut + 1], overlap)
        else:
            at = starts[-1] + slots[-1].duration
            assert card is not None
            after_room = card.duration - MIN_CARD
        before_room = slots[cut].duration - minimum_length(slots[cut], overlap)
        beat = _nearest(beats, at, tolerance, -before_room, after_room)
        if beat is None:
            missed += 1
            continue
        shift = beat - at
        if abs(shift) > 1e-6:
            moved += 1
        before = slots[cut]
        slots[cut] = with_length(before, before.duration + shift, durations.get(before.source_path))
        if cut + 1 < len(slots):
            after = slots[cut + 1]
            slots[cut + 1] = with_length(
                after, after.duration - shift, durations.get(after.source_path)
            )
        else:
            assert card is not None
            card = replace(card, duration=card.duration - shift)
    snapped = replace(plan, slots=tuple(slots), end_card=card)
    return Snapped(plan=snapped, cuts=tuple(cut_times(snapped)), moved=moved, missed=missed)


def cut_times(plan: EditPlan) -> list[float]:
    """Output seconds of every cut: each slot's start after the first, and the end card's."""
    placements = place(plan)
    cuts = [p.start for p in placements[1:]]
    if plan.end_card is not None and placements:
        cuts.append(placements[-1].end)
    return cuts


def _nearest(
    beats: Sequence[float], at: float, tolerance: float, earliest: float, latest: float
) -> float | None:
    """The beat nearest ``at`` within ``tolerance`` and ``at + earliest .. at + latest``."""
    low, high = at + max(-tolerance, earliest), at + min(tolerance, latest)
    if high < low:
        return None
    first = bisect.bisect_left(beats, low - 1e-9)
    inside = [b for b in beats[first:] if b <= high + 1e-9]
    return min(inside, key=lambda b: (abs(b - at), b)) if inside else None
