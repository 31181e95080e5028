"""Scores that stay honest when a user edits plan.json.

A slot's ``score`` says how well the backbone thought *that* clip fits *that* sentence. Once
a user swaps the clip or rewrites the sentence and runs ``autocut render plan.json``, the
number describes a pairing that no longer exists, and showing it (summary, contact sheet,
timeline markers) would be a lie. So every plan AutoCut writes seals each scored slot with a
fingerprint of what was scored (:func:`seal`), and a plan read back is checked against it
(:func:`mark_edited`): a slot that no longer matches loses its score and is marked edited.

The fingerprint covers the clip id, the source file, the in/out points and the sentence.
AutoCut re-seals after its own refits (voice lines fitted again), so only a hand edit breaks
a seal. A slot without a seal (a plan written by hand, or by an older AutoCut) keeps its
score: there is nothing to check it against.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

from autocut_core.types import EditPlan, Slot

#: Hex digits of the fingerprint: enough that an edit never matches by chance.
FINGERPRINT_DIGITS = 16


def fingerprint(slot: Slot) -> str:
    """What a slot's score is about: clip, source, in/out (to the millisecond) and sentence."""
    facts = [slot.clip_id, slot.source_path, round(slot.source_in, 3),
             round(slot.source_out, 3), slot.sentence]  # fmt: skip
    data = json.dumps(facts, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
    return hashlib.sha256(data).hexdigest()[:FINGERPRINT_DIGITS]


def seal(plan: EditPlan) -> EditPlan:
    """The plan with every scored slot's fingerprint recorded (unscored slots carry none)."""
    slots = tuple(
        replace(slot, scored_for=fingerprint(slot) if slot.score is not None else None)
        for slot in plan.slots
    )
    return replace(plan, slots=slots)


def mark_edited(plan: EditPlan) -> tuple[EditPlan, list[int]]:
    """The plan with hand-edited slots' scores dropped and ``edited`` set, and their indices.

    A slot is edited when it carries a seal that its clip, in/out or sentence no longer
    match; one marked edited before stays edited.
    """
    slots, changed = [], []
    for index, slot in enumerate(plan.slots):
        if slot.scored_for is not None and slot.scored_for != fingerprint(slot):
            slots.append(replace(slot, score=None, scored_for=None, edited=True))
            changed.append(index)
        else:
            slots.append(slot)
    return replace(plan, slots=tuple(slots)), changed


def score_label(slot: Slot, digits: int = 3) -> str:
    """How a slot's score is shown: the number, ``edited``, or nothing."""
    if slot.edited:
        return "edited"
    return "" if slot.score is None else f"{slot.score:.{digits}f}"
