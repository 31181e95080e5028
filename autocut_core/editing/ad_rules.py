"""The ad-structure rules a user can ask a plan to keep, checked with messages that say
which slot breaks which rule and by how much.

- ``hook-within=S``: a hook is spoken, start to end, within the first S seconds.
- ``selling-points-once``: every selling point of the product is said by exactly one slot.
- ``cta-last``: the ad ends on the call to action: the last slot is a ``cta``, or the end card
  carries a CTA text.

They are written ``--rule hook-within=3 --rule selling-points-once --rule cta-last``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from autocut_core.editing.roles import covering
from autocut_core.editing.timeline import place
from autocut_core.errors import InputError
from autocut_core.types import EditPlan

RULE_NAMES = ("hook-within", "selling-points-once", "cta-last")


@dataclass(frozen=True)
class AdRules:
    """Which rules a plan must keep; all off by default."""

    hook_within: float | None = None
    selling_points_once: bool = False
    cta_last: bool = False

    @property
    def any(self) -> bool:
        return self.hook_within is not None or self.selling_points_once or self.cta_last


def parse_rules(texts: Iterable[str]) -> AdRules:
    """``--rule`` values (``hook-within=3``, ``selling-points-once``, ``cta-last``)."""
    hook, points, cta = None, False, False
    for text in texts:
        name, _, value = text.strip().partition("=")
        if name == "hook-within":
            try:
                hook = float(value) if value else 3.0
            except ValueError:
                raise InputError(
                    f"--rule {text!r}: hook-within takes seconds, e.g. hook-within=3"
                ) from None
            if not hook > 0:
                raise InputError(f"--rule {text!r}: the seconds must be positive")
        elif name == "selling-points-once" and not value:
            points = True
        elif name == "cta-last" and not value:
            cta = True
        else:
            raise InputError(
                f"unknown --rule {text!r}: choose {', '.join(RULE_NAMES)} (hook-within=SECONDS)"
            )
    return AdRules(hook_within=hook, selling_points_once=points, cta_last=cta)


def rule_problems(plan: EditPlan, rules: AdRules) -> list[str]:
    """Every rule ``plan`` breaks, one message each (empty: all kept)."""
    problems: list[str] = []
    placements = place(plan)
    if rules.hook_within is not None:
        hooks = [p for p in placements if p.slot.role == "hook"]
        if not hooks:
            problems.append("hook-within: no sentence is a hook (mark one [hook] or put it first)")
        else:
            first = hooks[0]
            ends = first.start + (first.slot.voice_duration or first.duration)
            if ends > rules.hook_within + 1e-6:
                problems.append(
                    f"hook-within: the hook (slot {first.index + 1}, {first.slot.sentence!r}) "
                    f"ends at {ends:.2f} s, {ends - rules.hook_within:.2f} s after "
                    f"{rules.hook_within:g} s; put it first or shorten it"
                )
    if rules.selling_points_once:
        points = plan.product.selling_points if plan.product is not None else ()
        sentences = [slot.sentence for slot in plan.slots]
        for point in points:
            found = covering(sentences, point)
            if not found:
                problems.append(f"selling-points-once: no slot says {point!r}")
            elif len(found) > 1:
                slots = ", ".join(str(i + 1) for i in found)
                problems.append(
                    f"selling-points-once: {point!r} is said {len(found)} times (slots {slots})"
                )
    if rules.cta_last:
        card_cta = plan.end_card is not None and bool(plan.end_card.cta.strip())
        last = plan.slots[-1] if plan.slots else None
        if not card_cta and (last is None or last.role != "cta"):
            role = last.role or "no role" if last is not None else "nothing"
            problems.append(
                f"cta-last: the ad ends on a {role} slot, not a call to action "
                "(mark the last sentence [cta] or give the end card a --cta text)"
            )
    return problems


def check_rules(plan: EditPlan, rules: AdRules) -> None:
    """Raise one :class:`InputError` listing every broken rule."""
    problems = rule_problems(plan, rules)
    if problems:
        raise InputError("the plan breaks the ad rules: " + "; ".join(problems))
