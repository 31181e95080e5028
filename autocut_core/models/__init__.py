"""Models that install themselves: cards, caches, downloads (``autocut models``).

Components declare the models they can use as ``model_cards`` (see
:mod:`autocut_core.models.cards`); :func:`ensure` gives an encoder a card's local files
(from the standard caches, fetched once when the network is allowed), and
``autocut models list|pull|path`` shows and fetches them. The card types are imported
eagerly (plugins build cards at import time; they are plain dataclasses); the rest, on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocut_core.lazy import lazy_exports
from autocut_core.models.cards import (
    HubFile,
    HubFiles,
    ModelCard,
    PackageFiles,
    UrlFile,
    human_size,
)

if TYPE_CHECKING:
    from autocut_core.models.caches import hub_cache, hub_file, offline, repo_folder
    from autocut_core.models.catalog import UnknownModelError, all_cards, find
    from autocut_core.models.fetch import ChecksumError, DownloadError
    from autocut_core.models.install import (
        ModelNotCachedError,
        ensure,
        installed,
        locate,
        not_cached,
        pull,
    )

__all__ = [
    "ChecksumError",
    "DownloadError",
    "HubFile",
    "HubFiles",
    "ModelCard",
    "ModelNotCachedError",
    "PackageFiles",
    "UnknownModelError",
    "UrlFile",
    "all_cards",
    "ensure",
    "find",
    "hub_cache",
    "hub_file",
    "human_size",
    "installed",
    "locate",
    "not_cached",
    "offline",
    "pull",
    "repo_folder",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "hub_cache": ".caches",
        "hub_file": ".caches",
        "offline": ".caches",
        "repo_folder": ".caches",
        "UnknownModelError": ".catalog",
        "all_cards": ".catalog",
        "find": ".catalog",
        "ChecksumError": ".fetch",
        "DownloadError": ".fetch",
        "ModelNotCachedError": ".install",
        "ensure": ".install",
        "installed": ".install",
        "locate": ".install",
        "not_cached": ".install",
        "pull": ".install",
    },
)
