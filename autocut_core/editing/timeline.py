"""Where each slot of an :class:`EditPlan` lands on the output timeline.

The renderer, the subtitle writers, the OTIO export and the contact sheet all need the same
answer to "when does slot i start and end in the finished ad?"; computing it once here keeps
them in agreement (a subtitle that drifts from its picture is the classic bug of hand-built
edit pipelines). Fitting slots to their voice lines lives here too, because it is the one
place where the timeline's length is decided; a slot never runs on past the end of its shot
(the next frame would belong to another shot), it holds its last frame instead.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from autocut_core.types import EditPlan, RenderSettings, Slot

#: Silence kept after a voice line before the next slot starts, in seconds.
VOICE_TAIL = 0.25
#: The shortest slot worth showing; shorter ones flash by unreadably.
MIN_SLOT = 0.5
#: Silence kept after a voice line when a slot gives up time to a target length or a beat
#: (below :data:`VOICE_TAIL`, the silence a slot is fitted with).
MIN_TAIL = 0.1


@dataclass(frozen=True)
class Placement:
    """One slot on the output timeline; ``start``/``end`` are output seconds."""

    index: int
    slot: Slot
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def transition_overlap(render: RenderSettings, slots: Sequence[Slot]) -> float:
    """Seconds consecutive slots overlap: 0 for cuts, the crossfade length otherwise.

    The crossfade is clamped to half the shortest slot so that a fade never swallows a
    whole clip (ffmpeg's xfade would fail or show a single frame).
    """
    if render.transition != "crossfade" or len(slots) < 2:
        return 0.0
    shortest = min(slot.duration for slot in slots)
    return max(0.0, min(render.transition_duration, shortest / 2))


def place(plan: EditPlan) -> list[Placement]:
    """Output start and end of every slot, in plan order.

    With a crossfade of ``d`` seconds slot i+1 starts ``d`` before slot i ends, so the total
    is ``sum(durations) - (n - 1) * d``.
    """
    overlap = transition_overlap(plan.render, plan.slots)
    placements: list[Placement] = []
    start = 0.0
    for index, slot in enumerate(plan.slots):
        end = start + slot.duration
        placements.append(Placement(index=index, slot=slot, start=start, end=end))
        start = end - overlap
    return placements


def slots_end(plan: EditPlan) -> float:
    """Where the last slot ends on the output: the end card (if any) starts here."""
    placements = place(plan)
    return placements[-1].end if placements else 0.0


def total_duration(plan: EditPlan) -> float:
    """Length of the rendered ad in seconds: the slots, then the end card."""
    card = plan.end_card.duration if plan.end_card is not None else 0.0
    return slots_end(plan) + card


def with_length(slot: Slot, length: float, source_duration: float | None) -> Slot:
    """``slot`` lasting ``length`` output seconds, footage first, then a held last frame.

    Longer footage is trimmed from its end. Shorter footage runs on to the end of its shot
    (``slot.shot_end``; without one, the end of its source, ``source_duration``, when known)
    and the last frame is held for whatever is still missing: running on past a cut would
    show the next shot under this sentence. Fitting to a voice line, to a target length and
    to a beat all change a slot's length this one way.
    """
    footage = slot.source_out - slot.source_in
    if footage >= length:
        return replace(slot, source_out=slot.source_in + length, hold=0.0)
    limit = slot.shot_end if slot.shot_end is not None else source_duration
    available_end = slot.source_out if limit is None else max(slot.source_out, limit)
    source_out = min(available_end, slot.source_in + length)
    hold = length - (source_out - slot.source_in)
    return replace(slot, source_out=source_out, hold=round(max(0.0, hold), 6))


def fit_slot_to_voice(
    slot: Slot, source_duration: float | None, overlap: float = 0.0, tail: float = VOICE_TAIL
) -> Slot:
    """Make ``slot`` last exactly as long as its voice line needs, never cutting the voice.

    The slot must cover the voice, the tail of silence and the part the next slot's
    crossfade hides (:func:`with_length` says how footage and a held frame make it up).
    Slots without a voice line are left as they are.
    """
    if slot.voice_duration is None:
        return slot
    return with_length(slot, voice_length(slot, overlap, tail), source_duration)


def voice_length(slot: Slot, overlap: float = 0.0, tail: float = VOICE_TAIL) -> float:
    """The shortest a voiced slot may last: its line, the tail and the crossfade's share."""
    return max(MIN_SLOT, (slot.voice_duration or 0.0) + tail + overlap)


def minimum_length(slot: Slot, overlap: float = 0.0) -> float:
    """The shortest ``slot`` may be made: its voice and :data:`MIN_TAIL` (or :data:`MIN_SLOT`)."""
    if slot.voice_duration is None:
        return MIN_SLOT
    return voice_length(slot, overlap, MIN_TAIL)


def fit_plan_to_voice(
    plan: EditPlan,
    source_durations: Mapping[str, float],
    tail: float = VOICE_TAIL,
    keep: Collection[int] = (),
) -> EditPlan:
    """Fit every voiced slot of ``plan``; ``source_durations`` maps source paths to seconds.

    Slots whose index is in ``keep`` keep their length when it already covers their voice
    line: a re-render leaves alone what was not edited, so a plan fitted to a target length
    or to the beats (:mod:`autocut_core.editing.target`, :mod:`~autocut_core.editing.beat_snap`)
    keeps its timing; one that would now cut its voice is fitted all the same.

    The crossfade overlap is decided from the fitted lengths, which depend on the overlap;
    one more pass with the final overlap settles it (the clamp only ever shrinks it).
    """
    overlap = plan.render.transition_duration if plan.render.transition == "crossfade" else 0.0
    slots = plan.slots
    for _ in range(2):
        slots = tuple(
            slot
            if index in keep and slot.duration >= minimum_length(slot, overlap) - 1e-6
            else fit_slot_to_voice(slot, source_durations.get(slot.source_path), overlap, tail)
            for index, slot in enumerate(plan.slots)
        )
        overlap = transition_overlap(plan.render, slots)
    return replace(plan, slots=slots)
