"""`autocut doctor`'s model lines: which evidence the installed models give, and the one
command that would add the evidence that is missing.

A zero-shot edit is only as good as what it can see (see docs/backbones.md): frames in an
image-text space, captions written by a captioner, file names last. Whether the first two
are available is a question of which model files are in the caches, which
:mod:`autocut_core.models` already answers for every card a registered component declares;
this module groups those cards by the evidence they give and picks, for each missing kind,
the smallest card that would give it (the cheapest download that helps). Nothing is
imported beyond the registry and the cards, so the lines cost a few ``stat`` calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from autocut_core.checks import Check
from autocut_core.models import ModelCard, human_size
from autocut_core.registry import Registration


def _joint_space(registration: Registration) -> bool:
    """An image encoder with its own text tower: sentences can be matched to frames."""
    cls = registration.cls
    return getattr(cls, "modality", None) == "image" and callable(getattr(cls, "encode_text", None))


def _cards_of(names: Iterable[str], cards: Iterable[ModelCard]) -> list[ModelCard]:
    wanted = set(names)
    return [card for card in cards if wanted & set(card.used_by)]


def evidence_check(
    label: str,
    cards: list[ModelCard],
    installed: Callable[[ModelCard], bool],
    use: str,
    missing: str,
) -> Check:
    """ok naming what is cached and how to use it; else a warn with the smallest card's pull."""
    if not cards:
        return Check(label, "warn", f"no registered component declares a model for it ({missing})")
    have = [card.name for card in cards if installed(card)]
    if have:
        return Check(label, "ok", f"{', '.join(have)} cached; {use}")
    smallest = min(cards, key=lambda card: (card.size, card.name))
    names = [card.name for card in cards]
    absent = (
        f"none of {', '.join(names)} is cached" if len(names) > 1 else f"{names[0]} is not cached"
    )
    return Check(
        label,
        "warn",
        f"{missing}: {absent}",
        f"autocut models pull {smallest.name} ({human_size(smallest.size)})",
    )


def check_model_evidence(captioner: str | None) -> list[Check]:
    """One line per kind of evidence (image-text, captions) plus a count of cached models."""
    from autocut_core import models
    from autocut_core.plugins import get_registry

    registry = get_registry()
    cards = models.all_cards()
    state = {card.name: models.installed(card) for card in cards}

    def installed(card: ModelCard) -> bool:
        return state[card.name]

    joint = sorted(r.name for r in registry if r.kind == "encoder" and _joint_space(r))
    joint_cards = _cards_of(joint, cards)
    first = next((card for card in joint_cards if installed(card)), None)
    encoder = next((name for name in first.used_by if name in joint), "clip") if first else "clip"
    checks = [
        evidence_check(
            "image-text evidence",
            joint_cards,
            installed,
            f"set image_encoder = '{encoder}' in [backbones.similarity] to match sentences to "
            "frames",
            "frames cannot be matched to sentences",
        )
    ]
    if captioner is not None and captioner in registry.names("captioner"):
        caption_cards = _cards_of([captioner], cards)
        if caption_cards:
            checks.append(
                evidence_check(
                    "captions",
                    caption_cards,
                    installed,
                    f"`autocut caption FOOTAGE...` describes clips with captioner '{captioner}'",
                    f"captioner '{captioner}' has no model cached, clips are known by file name",
                )
            )
        else:
            detail = f"captioner '{captioner}' declares no local model (an endpoint or a folder)"
            checks.append(Check("captions", "ok", detail))
    cached = sum(state.values())
    checks.append(
        Check("models", "ok", f"{cached} of {len(cards)} known models cached (autocut models list)")
    )
    return checks
