"""AutoCut core: the contracts, registry, data model, settings and CLI.

Plugins need only ``from autocut_core import hookimpl`` and a base class from
:mod:`autocut_core.components`. Importing this package loads no torch, faiss or ffmpeg.
"""

from autocut_core.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
