"""What a model setting names, turned into local files: a card, a hub id or a path.

Every model encoder takes one string for its weights (``pretrained``): the name of one of
its model cards (``autocut models list``), a Hugging Face Hub id (``hf-hub:org/name`` or
``org/name``), or a local file or folder. Cards and hub ids come from the standard caches
(fetched once when the network is allowed, see :func:`autocut_core.models.ensure`); a path
is used as it is, as before there were cards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from autocut_core.checks import Check
from autocut_core.errors import MissingWeightsError
from autocut_core.models import HubFile, HubFiles, ModelCard, human_size

_HUB_ID = re.compile(r"^(?:hf-hub:)?([A-Za-z0-9][\w.-]*/[\w.-]+)$")


def hub_id(value: str) -> str | None:
    """``org/name`` when ``value`` names a hub repository, else None."""
    match = _HUB_ID.match(value.strip())
    return match.group(1) if match else None


def hub_card(repo: str, files: Sequence[HubFile], setting: str, what: str) -> ModelCard:
    """A card for a hub repository no card lists (its size is unknown until fetched)."""
    return ModelCard(
        name=f"hf-hub:{repo}",
        summary=what,
        licence="see the repository",
        size=1,
        sources=(HubFiles(repo, tuple(files)),),
        setting=setting,
    )


def choose(
    value: str | None,
    cards: Sequence[ModelCard],
    default: ModelCard | None,
    for_hub: Callable[[str], ModelCard],
    setting: str,
) -> ModelCard | Path:
    """The card (or local path) ``value`` names; ``default`` when it is unset."""
    if value is None or not value.strip():
        if default is None:
            names = ", ".join(card.name for card in cards) or "none"
            raise MissingWeightsError(
                f"No {setting} is configured and there is no default model (cards: {names}); "
                f"set {setting} to a model name, a hub id or a local file"
            )
        return default
    for card in cards:
        if card.name == value:
            return card
    path = Path(value).expanduser()
    if path.exists():
        return path
    repo = hub_id(value)
    if repo is not None:
        return for_hub(repo)
    names = ", ".join(card.name for card in cards)
    raise MissingWeightsError(
        f"{setting} = {value!r} is not a local file or folder ({path} does not exist), a model "
        f"name ({names}) or a Hugging Face hub id (org/name)"
    )


def cache_check(label: str, card: ModelCard) -> Check:
    """``autocut doctor``'s line for a card: ok when cached, else what fetches it."""
    from autocut_core import models

    found = models.locate(card)
    if found is not None:
        return Check(label, "ok", f"{card.name} at {found[0]}")
    fix = models.not_cached(card, "is not fetched yet").args[0]
    if models.offline():
        return Check(label, "fail", f"{card.name} is not in the cache (offline)", fix)
    size = human_size(card.size) if card.size > 1 else "its files"
    return Check(label, "warn", f"{card.name} not cached: first use downloads {size}", fix)
