"""The ``autocut`` command line: ``app`` builds the Typer app (core commands, then every
plugin's ``register_commands``); one module per command group (``materials``, ``tokenizer``,
``run``, ``dataset``, ``evaluate``, ``export``), ``flags`` for the shared component options,
``doctor`` and ``plugin_report`` for what ``autocut doctor`` and ``autocut plugins`` print.

``build_app`` and ``main`` are imported from :mod:`autocut_core.cli.app` on first use, so that
importing one command module (``autocut_core.cli.export``) does not build the whole app.
"""

from __future__ import annotations

from autocut_core.lazy import lazy_exports

__all__ = ["build_app", "main"]


__getattr__ = lazy_exports(__name__, {name: "autocut_core.cli.app" for name in __all__})
