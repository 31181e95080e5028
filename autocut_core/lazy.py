"""Names a package exports without importing the modules that define them.

``autocut`` imports every plugin package at start-up, and every pytest run loads the testing
package's fixtures, so a package that re-exported its classes eagerly would make each start
pay for modules most commands never use. :func:`lazy_exports` gives a package a module-level
``__getattr__`` (PEP 562) that imports the defining module on first use and remembers the value.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A ``__getattr__`` for ``package`` that finds each name of ``exports`` in the module it
    maps to (absolute, or relative to ``package`` when it starts with a dot)::

        __all__ = ["FfmpegRenderer"]
        __getattr__ = lazy_exports(__name__, {"FfmpegRenderer": ".renderer"})
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        setattr(sys.modules[package], name, value)  # the next lookup is a plain attribute
        return value

    return __getattr__
