"""Every model the registered components can use, read from their ``model_cards``.

A card belongs to the components that list it (``clip`` and ``clip-text`` list the same
ones); two different cards under one name are a plugin bug, reported with both owners.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from typing import Any

from autocut_core.errors import AutocutError, RegistrationError
from autocut_core.models import caches
from autocut_core.models.cards import HubFiles, ModelCard, PackageFiles, UrlFile, human_size
from autocut_core.registry import Registration


class UnknownModelError(AutocutError):
    exit_code = 2


def collect(registrations: Iterable[Registration]) -> list[ModelCard]:
    """The cards of ``registrations``, one per name, each with the components using it."""
    found: dict[str, ModelCard] = {}
    owners: dict[str, list[str]] = {}
    for registration in registrations:
        declared: Any = getattr(registration.cls, "model_cards", ())
        where = f"{registration.kind} {registration.name} (plugin '{registration.plugin.name}')"
        if not isinstance(declared, tuple) or not all(
            isinstance(card, ModelCard) for card in declared
        ):
            raise RegistrationError(f"{where}: model_cards must be a tuple of ModelCard")
        for card in declared:
            problems = card.problems()
            if problems:
                raise RegistrationError(f"{where}: model card {card.name!r}: {'; '.join(problems)}")
            known = found.get(card.name)
            if known is not None and known != card:
                raise RegistrationError(
                    f"model card {card.name!r} is declared differently by {owners[card.name][0]} "
                    f"and by {where}"
                )
            found.setdefault(card.name, card)
            owners.setdefault(card.name, []).append(where)
            users = found[card.name].used_by
            if registration.name not in users:
                found[card.name] = dataclasses.replace(
                    found[card.name], used_by=(*users, registration.name)
                )
    return sorted(found.values(), key=lambda card: card.name)


def all_cards() -> list[ModelCard]:
    from autocut_core.plugins import get_registry

    return collect(get_registry())


def find(name: str, cards: Iterable[ModelCard] | None = None) -> ModelCard:
    """The card called ``name``; an error with the closest names otherwise."""
    listed = list(all_cards() if cards is None else cards)
    for card in listed:
        if card.name == name:
            return card
    names = [card.name for card in listed]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownModelError(
        f"Unknown model {name!r}.{hint} `autocut models list` shows the {len(names)} known ones."
    )


def source_text(card: ModelCard) -> str:
    return " + ".join(source.describe() for source in card.sources)


def row(card: ModelCard) -> dict[str, Any]:
    """What `autocut models list --json` says about ``card``."""
    from autocut_core.models.install import locate

    found = locate(card)
    checksums = []
    for source in card.sources:
        if isinstance(source, HubFiles):
            named = [f.name for f in source.files if f.sha256]
            checksums.append("hub sha256 (LFS ETag)" + (f" + card: {named}" if named else ""))
        elif isinstance(source, UrlFile):
            checksums.append(f"sha256 {source.sha256}" if source.sha256 else "size only")
        elif isinstance(source, PackageFiles):
            checksums.append("pip (wheel hashes)")
    return {
        "name": card.name,
        "summary": card.summary,
        "licence": card.licence,
        "size_bytes": card.size,
        "size": human_size(card.size) + (f" ({card.size_note})" if card.size_note else ""),
        "source": source_text(card),
        "checksum": "; ".join(checksums),
        "cache": [str(caches.cache_path(source)) for source in card.sources],
        "installed": found is not None,
        "path": [str(path) for path in found] if found is not None else None,
        "used_by": list(card.used_by),
        "setting": card.setting,
    }
