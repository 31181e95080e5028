"""Fit a plan to a target length (``--duration``), within a frame of it.

The plan arrives fitted to its voice lines (:func:`~autocut_core.editing.timeline.fit_plan_to_voice`),
end card included. In order:

1. **Too long even at the fastest voice** (:data:`MAX_VOICE_RATE`): drop the least relevant
   slot and try again. Least relevant is the lowest backbone score, then (no score) proof
   before an unknown role before a selling point, then the later one. A hook or a call to
   action is never dropped, nor (under ``selling-points-once``) the only slot that says a
   selling point. When nothing is left to drop it is an error that says by how much the
   shortest possible plan is over.
2. **Still too long**: speak every voice line faster by one factor, the smallest that fits
   (1.0 to :data:`MAX_VOICE_RATE`); the lines are re-timed, never cut.
3. **Short of the target**: every slot runs its footage on to the end of its shot first
   (shared out evenly), then holds its last frame for the rest. A still frame longer than
   :data:`COMFORT_HOLD` in one slot is reported as a warning with the seconds.

The last slot takes up the rounding, so the plan lasts the target to a millisecond; the
renderer's frame grid makes it within half a frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from autocut_core.editing.roles import covering
from autocut_core.editing.timeline import (
    MIN_SLOT,
    fit_plan_to_voice,
    minimum_length,
    total_duration,
    transition_overlap,
    with_length,
)
from autocut_core.errors import InputError
from autocut_core.types import EditPlan, Product, Slot

#: The fastest the voice is spoken to make a target (15 % faster is still natural speech).
MAX_VOICE_RATE = 1.15
#: A still frame longer than this in one slot is worth a warning.
COMFORT_HOLD = 1.5
#: Roles never dropped to make a target.
PROTECTED = frozenset({"hook", "cta"})
#: Drop order among unscored slots: proof first, a selling point last.
_DROP_RANK = {"proof": 0, "": 1, "selling-point": 2}
_EPS = 1e-4

#: ``retime(slot, rate)``: the slot with its voice spoken ``rate`` times as fast.
Retime = Callable[[Slot, float], Slot]


@dataclass(frozen=True)
class LengthFit:
    """The fitted plan and what it took."""

    plan: EditPlan
    rate: float = 1.0
    dropped: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def fit_to_length(
    plan: EditPlan,
    target: float,
    durations: Mapping[str, float],
    retime: Retime,
    keep_points: bool = False,
) -> LengthFit:
    """``plan`` lasting ``target`` seconds (see the module docs)."""
    card = plan.end_card.duration if plan.end_card is not None else 0.0
    if target < card + MIN_SLOT:
        raise InputError(
            f"--duration {target:g}: too short for an ad with a {card:g} s end card "
            f"(at least {card + MIN_SLOT:g} s)"
        )
    slots = list(plan.slots)
    dropped: list[str] = []
    while (shortest := _length_at(plan, slots, MAX_VOICE_RATE, durations)) > target + _EPS:
        victim = least_relevant(slots, plan.product, keep_points)
        if victim is None:
            raise InputError(
                f"--duration {target:g}: the shortest this ad can be is {shortest:.2f} s "
                f"({shortest - target:.2f} s over) with its voice {MAX_VOICE_RATE:g}x as fast "
                f"and only the slots it must keep ({_kept_roles(slots)}); raise --duration or "
                "shorten those sentences"
            )
        dropped.append(slots.pop(victim).sentence)
    rate = _lowest_rate(plan, slots, target, durations)
    if rate > 1 + 1e-3:
        slots = [retime(slot, rate) if slot.voice_duration is not None else slot for slot in slots]
    fitted = fit_plan_to_voice(replace(plan, slots=tuple(slots)), durations)
    fitted = settle(fitted, target, durations)
    return LengthFit(plan=fitted, rate=rate, dropped=tuple(dropped),
                     notes=_notes(rate, target), warnings=_warnings(fitted, dropped, target))  # fmt: skip


def least_relevant(slots: Sequence[Slot], product: Product | None, keep_points: bool) -> int | None:
    """The index of the slot to drop first, or None when every slot must stay."""
    if len(slots) <= 1:
        return None
    needed: set[int] = set()
    if keep_points and product is not None:
        sentences = [slot.sentence for slot in slots]
        for point in product.selling_points:
            found = covering(sentences, point)
            if len(found) == 1:
                needed.update(found)
    options = [i for i, slot in enumerate(slots) if slot.role not in PROTECTED and i not in needed]
    if not options:
        return None

    def key(index: int) -> tuple[float, int, int]:
        slot = slots[index]
        score = slot.score if slot.score is not None else math.inf
        return score, _DROP_RANK.get(slot.role, 1), -index

    return min(options, key=key)


def settle(plan: EditPlan, target: float, durations: Mapping[str, float]) -> EditPlan:
    """Lengthen (footage first, then holds) or shorten (down to each voice's minimum) the
    slots until the plan lasts ``target``; the crossfade clamp may move, hence the passes."""
    for _ in range(6):
        difference = target - total_duration(plan)
        if abs(difference) < _EPS:
            break
        slots = (
            _lengthen(plan, difference, durations)
            if difference > 0
            else _shorten(plan, -difference, durations)
        )
        plan = replace(plan, slots=slots)
    return plan


def _lengthen(plan: EditPlan, extra: float, durations: Mapping[str, float]) -> tuple[Slot, ...]:
    slots = list(plan.slots)
    lengths = [slot.duration for slot in slots]
    room = [_footage_room(slot, durations) for slot in slots]
    left = extra
    while left > _EPS:  # water-filling: even shares, capped by each slot's footage
        open_slots = [i for i, r in enumerate(room) if r > _EPS]
        if not open_slots:
            break
        share = left / len(open_slots)
        for i in open_slots:
            give = min(share, room[i])
            lengths[i] += give
            room[i] -= give
            left -= give
    if left > _EPS:
        for i in range(len(lengths)):
            lengths[i] += left / len(lengths)
    return tuple(
        with_length(s, n, durations.get(s.source_path)) for s, n in zip(slots, lengths, strict=True)
    )


def _shorten(plan: EditPlan, excess: float, durations: Mapping[str, float]) -> tuple[Slot, ...]:
    slots = list(plan.slots)
    overlap = transition_overlap(plan.render, slots)
    spare = [max(0.0, slot.duration - minimum_length(slot, overlap)) for slot in slots]
    total = sum(spare)
    if total <= _EPS:
        return tuple(slots)
    cut = min(1.0, excess / total)
    return tuple(
        with_length(slot, slot.duration - spare[i] * cut, durations.get(slot.source_path))
        for i, slot in enumerate(slots)
    )


def _footage_room(slot: Slot, durations: Mapping[str, float]) -> float:
    """Seconds of this slot's shot not yet shown (0 once it holds a frame)."""
    if slot.hold > 0:
        return 0.0
    limit = slot.shot_end if slot.shot_end is not None else durations.get(slot.source_path)
    return max(0.0, (limit or slot.source_out) - slot.source_out)


def _length_at(
    plan: EditPlan, slots: Sequence[Slot], rate: float, durations: Mapping[str, float]
) -> float:
    """The plan's voice-fitted length with every line spoken ``rate`` times as fast."""
    scaled = tuple(
        slot
        if slot.voice_duration is None
        else replace(slot, voice_duration=slot.voice_duration / rate)
        for slot in slots
    )
    return total_duration(fit_plan_to_voice(replace(plan, slots=scaled), durations))


def _lowest_rate(
    plan: EditPlan, slots: Sequence[Slot], target: float, durations: Mapping[str, float]
) -> float:
    if _length_at(plan, slots, 1.0, durations) <= target + _EPS:
        return 1.0
    low, high = 1.0, MAX_VOICE_RATE
    for _ in range(30):
        middle = (low + high) / 2
        low, high = (
            (low, middle)
            if _length_at(plan, slots, middle, durations) <= target
            else (middle, high)
        )
    return round(high, 4)


def _kept_roles(slots: Sequence[Slot]) -> str:
    return ", ".join(f"{i + 1}: {slot.role or 'no role'}" for i, slot in enumerate(slots))


def _notes(rate: float, target: float) -> tuple[str, ...]:
    if rate <= 1 + 1e-3:
        return ()
    return (f"the voice is spoken {rate:.2f}x as fast to fit {target:g} s",)


def _warnings(plan: EditPlan, dropped: Sequence[str], target: float) -> tuple[str, ...]:
    warnings = []
    if dropped:
        said = "; ".join(repr(s) for s in dropped)
        warnings.append(
            f"to fit {target:g} s, {len(dropped)} least relevant sentence(s) were dropped: {said}"
        )
    holds = [(slot.hold, i) for i, slot in enumerate(plan.slots)]
    longest, where = max(holds) if holds else (0.0, 0)
    if longest > COMFORT_HOLD:
        total = sum(h for h, _ in holds)
        warnings.append(
            f"to fill {target:g} s the ad holds still frames for {total:.1f} s in all "
            f"(slot {where + 1}: {longest:.1f} s); add sentences or longer footage"
        )
    return tuple(warnings)
