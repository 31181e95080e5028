"""Ad craft after the plan is built: end card, target length, cuts on the beat, rules.

Both pipelines end here (:func:`autocut_core.pipelines.steps.conclude`), in this order:
the end card is added (its seconds count towards the target), the plan is fitted to
``--duration`` (:mod:`autocut_core.editing.target`), its cuts are moved onto the music's
beats (:mod:`autocut_core.editing.beat_snap`; the length does not change) and the ad rules
are checked (:mod:`autocut_core.editing.ad_rules`) on the plan as it will be rendered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from autocut_core.editing.ad_rules import AdRules
from autocut_core.editing.beat_snap import DEFAULT_TOLERANCE
from autocut_core.progress import Reporter
from autocut_core.types import EditPlan, EndCard, Product, Slot


@dataclass(frozen=True)
class AdCraft:
    """What a run asks of the ad beyond its clips: all off by default."""

    #: Seconds the ad must last (within a frame), or None for its natural length.
    duration: float | None = None
    beat_sync: bool = False
    beat_tolerance: float = DEFAULT_TOLERANCE
    end_card: EndCard | None = None
    rules: AdRules = field(default_factory=AdRules)


@dataclass(frozen=True)
class Crafted:
    plan: EditPlan
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def apply_craft(
    craft: AdCraft,
    plan: EditPlan,
    durations: Mapping[str, float],
    assets: Path,
    progress: Reporter,
) -> Crafted:
    """``plan`` with the end card, fitted, on the beat and checked (see the module docs)."""
    from autocut_core.editing.ad_rules import check_rules

    notes: list[str] = []
    warnings: list[str] = []
    if craft.end_card is not None:
        plan = replace(plan, end_card=craft.end_card)
    if craft.duration is not None:
        from autocut_core.editing.target import fit_to_length

        with progress.stage(f"fit to {craft.duration:g} s"):
            fit = fit_to_length(plan, craft.duration, durations,
                                lambda slot, rate: retime(slot, rate, assets),
                                keep_points=craft.rules.selling_points_once)  # fmt: skip
        plan = fit.plan
        notes += fit.notes
        warnings += fit.warnings
    if craft.beat_sync:
        plan, said = _on_the_beat(craft, plan, durations, progress)
        notes += said
    check_rules(plan, craft.rules)
    return Crafted(plan=plan, notes=tuple(notes), warnings=tuple(warnings))


def _on_the_beat(
    craft: AdCraft, plan: EditPlan, durations: Mapping[str, float], progress: Reporter
) -> tuple[EditPlan, list[str]]:
    from autocut_core.editing.beat_snap import output_beats, snap_cuts
    from autocut_core.editing.timeline import total_duration
    from autocut_core.media.beats import track_beats

    if plan.music is None:
        return plan, ["--beat-sync: the ad has no music, so there are no beats to cut on"]
    length = total_duration(plan)
    with progress.stage("beats of the music"):
        beats = track_beats(plan.music.path)
    heard = output_beats(beats.times, plan.music.offset, beats.duration, length)
    snapped = snap_cuts(plan, heard, durations, craft.beat_tolerance)
    cuts = snapped.moved + snapped.missed
    name = Path(plan.music.path).name
    note = (f"beat sync: {cuts - snapped.missed} of {cuts} cuts on the beats of {name} "
            f"({beats.bpm:g} BPM)")  # fmt: skip
    if snapped.missed:
        note += (f"; {snapped.missed} left where they were (no beat within "
                 f"{craft.beat_tolerance:g} s that keeps the voice whole)")  # fmt: skip
    return snapped.plan, [note]


def lines_for_length(
    craft: AdCraft, sentences: Sequence[str], product: Product
) -> list[int] | None:
    """Which written lines (by index) an ad of ``craft.duration`` has time for, or None for all.

    The footage-driven pipeline asks the backbone again for this many lines, over the kept
    clips, rather than dropping spoken lines afterwards: the selling points are then shared
    out over the clips that stay. Each line is estimated at its reading time
    (:func:`~autocut_core.pipelines.plan_builder.speaking_time`) spoken at the fastest voice
    rate, plus the tail; the first and last lines are kept, and lines that say no selling
    point go first, later ones before earlier ones.
    """
    from autocut_core.editing.roles import mentions
    from autocut_core.editing.target import MAX_VOICE_RATE
    from autocut_core.editing.timeline import VOICE_TAIL
    from autocut_core.pipelines.plan_builder import speaking_time

    if craft.duration is None or len(sentences) <= 2:
        return None
    card = craft.end_card.duration if craft.end_card is not None else 0.0
    cost = {
        i: speaking_time(text) / MAX_VOICE_RATE + VOICE_TAIL for i, text in enumerate(sentences)
    }
    kept = list(range(len(sentences)))

    def says_a_point(index: int) -> bool:
        return any(mentions(sentences[index], point) for point in product.selling_points)

    order = sorted(kept[1:-1], key=lambda i: (says_a_point(i), -i))
    while order and card + sum(cost[i] for i in kept) > craft.duration:
        kept.remove(order.pop(0))
    return kept if len(kept) < len(sentences) else None


def retime(slot: Slot, rate: float, folder: Path) -> Slot:
    """``slot`` with its voice line spoken ``rate`` times as fast (a new WAV in ``folder``);
    a slot timed for reading (no voice) just reads faster."""
    if slot.voice_duration is None:
        return slot
    if slot.voice_path is None:
        return replace(slot, voice_duration=slot.voice_duration / rate)
    from autocut_core.media.tempo import retime_wav

    source = Path(slot.voice_path)
    target = folder / f"{source.stem}.x{rate:.3f}.wav"
    seconds = retime_wav(source, rate, target)
    # The words are spoken ``rate`` times as fast too (a tempo change keeps their order).
    words = tuple(replace(w, start=w.start / rate, end=w.end / rate) for w in slot.voice_words)
    return replace(slot, voice_path=str(target.resolve()), voice_duration=seconds,
                   voice_words=words)  # fmt: skip
