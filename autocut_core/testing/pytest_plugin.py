"""pytest fixtures for plugin authors, installed through the ``pytest11`` entry point.

- ``autocut_plugin``: call it with a plugin object to register it until the test ends.
- ``autocut_fakes``: registers :class:`autocut_core.testing.FakePlugin` for the test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest


@pytest.fixture
def autocut_plugin() -> Iterator[Callable[..., Any]]:
    """Register inline plugins for one test: ``autocut_plugin(obj, name="mine")``."""
    from autocut_core.plugins import inline_plugin

    with contextlib.ExitStack() as stack:

        def register(plugin: Any, name: str | None = None, package: str = "inline") -> Any:
            label = name or getattr(plugin, "__name__", type(plugin).__name__).lower()
            return stack.enter_context(inline_plugin(plugin, name=label, package=package))

        yield register


@pytest.fixture
def autocut_fakes(autocut_plugin: Callable[..., Any]) -> Any:
    """Every kind gets a deterministic ``fake`` component for this test."""
    from autocut_core.testing import FakePlugin

    return autocut_plugin(FakePlugin, name="autocut-fakes", package="autocut-testing")
