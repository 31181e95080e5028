"""Progress of long work: reported by the code doing it, shown by whoever asked for it.

``autocut run`` spends a minute or more indexing, tokenizing, asking the backbone, speaking
and rendering. The pipeline opens one *stage* per step on the :class:`Reporter` it was
handed (``EditRequest.progress``); the CLI's reporter draws rich bars on a terminal, plain
lines in a log, and nothing under ``--json``. Stages never import the CLI (the layering
forbids it), so the interface lives here in the kernel.

Components have fixed signatures (``Renderer.render(plan, output)``), so the pipeline makes
the open stage *current* around a component call (:func:`reporting_to`) and a component
that can tell how far it is reports to :func:`current_stage` (the ``ffmpeg`` renderer
reports the seconds encoded). Outside any stage, :func:`current_stage` is a stage that
ignores everything, so a component called from a test or a script needs no setup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol


class Stage(Protocol):
    """One step under way."""

    def update(self, done: float, total: float | None = None, current: str = "") -> None:
        """``done`` of ``total`` units so far (total None: unknown), working on ``current``."""


class Reporter(Protocol):
    """Where the stages of a run are reported."""

    def stage(
        self, label: str, total: float | None = None
    ) -> contextlib.AbstractContextManager[Stage]:
        """A context for one step called ``label``: entered when it starts, left when done."""


class _Ignored:
    """A stage that ignores every update (no one is watching)."""

    def update(self, done: float, total: float | None = None, current: str = "") -> None:
        return None


class Silent:
    """The reporter that shows nothing: scripts, tests, ``--json``."""

    @contextlib.contextmanager
    def stage(self, label: str, total: float | None = None) -> Iterator[Stage]:
        yield IGNORED


IGNORED: Stage = _Ignored()
SILENT: Reporter = Silent()


class Prefixed:
    """A reporter whose stages are named with a prefix (``variant 2/3: render``), so a
    command that makes several ads shows which one each step belongs to."""

    def __init__(self, reporter: Reporter, prefix: str):
        self.reporter = reporter
        self.prefix = prefix

    def stage(
        self, label: str, total: float | None = None
    ) -> contextlib.AbstractContextManager[Stage]:
        return self.reporter.stage(f"{self.prefix}{label}", total)


_CURRENT: ContextVar[Stage] = ContextVar("autocut_progress_stage", default=IGNORED)


def current_stage() -> Stage:
    """The stage a component's work belongs to (one that ignores updates outside any)."""
    return _CURRENT.get()


@contextlib.contextmanager
def reporting_to(stage: Stage) -> Iterator[Stage]:
    """Make ``stage`` current for the calls in the block (components report to it)."""
    token = _CURRENT.set(stage)
    try:
        yield stage
    finally:
        _CURRENT.reset(token)


def file_done(path: str, done: int, total: int, *_details: object) -> None:
    """A per-file callback (``materials.indexing.index``'s ``progress``) that reports to the
    current stage: ``done`` of ``total`` files, the last one ``path``."""
    current_stage().update(done, total, path)
