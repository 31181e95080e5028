"""Where each kind of model source lives on disk, read from the environment on every call.

The Hugging Face Hub cache is the one huggingface_hub, transformers and open_clip share:
``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else ``$XDG_CACHE_HOME/huggingface/hub``, else
``~/.cache/huggingface/hub``, each repository in ``models--<org>--<name>/`` with ``blobs/``
(files named by their hash), ``snapshots/<commit>/`` (links to the blobs) and
``refs/<revision>`` (the commit a branch pointed at when it was fetched). torchvision's
checkpoints live in ``$TORCH_HOME/hub/checkpoints`` (default ``~/.cache/torch``), PANNs' in
``~/panns_data`` (where panns-inference itself keeps them).

huggingface_hub reads these variables once, when it is imported; reading them here on each
call keeps a test's (or a long-lived process's) change of ``HF_HOME`` honoured.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

from autocut_core.models.cards import HubFile, HubFiles, PackageFiles, Source, UrlFile

_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_TRUE = {"1", "true", "yes", "on"}


def _env_path(variable: str) -> Path | None:
    value = os.environ.get(variable)
    return Path(os.path.expandvars(value)).expanduser() if value else None


def _xdg_cache() -> Path:
    return _env_path("XDG_CACHE_HOME") or Path.home() / ".cache"


def hub_cache() -> Path:
    """The Hugging Face Hub cache folder, as huggingface_hub would choose it now."""
    explicit = _env_path("HF_HUB_CACHE") or _env_path("HUGGINGFACE_HUB_CACHE")
    if explicit is not None:
        return explicit
    home = _env_path("HF_HOME") or _xdg_cache() / "huggingface"
    return home / "hub"


def torch_checkpoints() -> Path:
    """torchvision's checkpoint cache (``torch.hub.get_dir()/checkpoints``)."""
    home = _env_path("TORCH_HOME") or _xdg_cache() / "torch"
    return home / "hub" / "checkpoints"


def panns_data() -> Path:
    return Path.home() / "panns_data"


def offline() -> bool:
    """``HF_HUB_OFFLINE`` (or ``TRANSFORMERS_OFFLINE``) is set: no source is fetched."""
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(variable, "").strip().lower() in _TRUE:
            return True
    return False


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def repo_folder(repo: str) -> Path:
    return hub_cache() / ("models--" + repo.replace("/", "--"))


def snapshot(source: HubFiles) -> Path | None:
    """The cached snapshot folder of ``source``'s revision, None before it was fetched."""
    folder = repo_folder(source.repo)
    if _COMMIT.match(source.revision):
        commit = source.revision
    else:
        ref = folder / "refs" / source.revision
        if not ref.is_file():
            return None
        commit = ref.read_text(encoding="utf-8").strip()
    path = folder / "snapshots" / commit
    return path if path.is_dir() else None


def hub_file(source: HubFiles, entry: HubFile) -> Path | None:
    """The cached file (or its fallback), None when neither is in the snapshot."""
    folder = snapshot(source)
    if folder is None:
        return None
    for name in (entry.name, entry.fallback):
        if name is not None and (folder / name).is_file():
            return folder / name
    return None


def package_folder(source: PackageFiles) -> Path | None:
    """``<module folder>/<path>`` of an installed package (without importing it), else None."""
    spec = importlib.util.find_spec(source.module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / source.path
    return path if path.exists() else None


def url_target(source: UrlFile) -> Path:
    return (torch_checkpoints() if source.cache == "torch-hub" else panns_data()) / source.filename


def cache_path(source: Source) -> Path:
    """Where ``source`` is (or will be) kept: a repository folder, a file, a package folder."""
    if isinstance(source, HubFiles):
        return repo_folder(source.repo)
    if isinstance(source, UrlFile):
        return url_target(source)
    found = package_folder(source)
    return found if found is not None else Path(f"<{source.module} not installed>")


def located(source: Source) -> Path | None:
    """The usable local path of ``source`` (snapshot folder, file, package folder) or None
    when a required file is missing."""
    if isinstance(source, HubFiles):
        folder = snapshot(source)
        if folder is None:
            return None
        for entry in source.files:
            if entry.required and hub_file(source, entry) is None:
                return None
        return folder
    if isinstance(source, UrlFile):
        target = url_target(source)
        return target if target.is_file() else None
    return package_folder(source)
