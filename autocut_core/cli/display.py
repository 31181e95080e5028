"""Terminal output through rich where every piece of user text is shown literally.

rich reads ``[...]`` in a string as markup (``[x]`` vanishes, ``[red]`` colours the rest of the
line), ``:name:`` as an emoji code, and highlights numbers and paths. Product names, script
lines and file names come from users and files, so every command prints them through these
helpers: a :class:`~rich.text.Text` is never parsed, and the consoles made here have markup,
emoji and highlighting off, so a plain string passed by mistake is shown as written too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console
    from rich.progress import Progress, ProgressColumn
    from rich.table import Table
    from rich.text import Text


def plain(value: Any) -> Text:
    """``value`` as text that rich shows character for character."""
    from rich.text import Text

    return Text(str(value))


def console(stderr: bool = False, **options: Any) -> Console:
    """A console that parses nothing it is given (no markup, emoji or highlighting)."""
    from rich.console import Console

    settings = {"soft_wrap": True, "markup": False, "emoji": False, "highlight": False}
    return Console(stderr=stderr, **{**settings, **options})


def table(title: Any, columns: list[str], **options: Any) -> Table:
    """A table whose title and column headers are literal; add rows with :func:`row`."""
    from rich.table import Table

    made = Table(title=plain(title), **options)
    for column in columns:
        made.add_column(plain(column), overflow="fold")
    return made


def row(made: Table, *cells: Any) -> None:
    """Add one row of literal cells to a table from :func:`table`."""
    made.add_row(*(plain(cell) for cell in cells))


def progress_bar(
    label: str, *extra: ProgressColumn, current: bool = False, **options: Any
) -> Progress:
    """The progress bar every long step shows on stderr: label, bar, done/total, elapsed, ETA,
    then ``extra`` columns and (``current``) the item in hand from the task's ``current``
    field, shown literally (file names may hold brackets)."""
    from rich.progress import TextColumn

    # The label is ours but may hold braces: not a template.
    title = TextColumn(label.replace("{", "{{").replace("}", "}}"), markup=False)
    return _progress(title, *extra, current=current, **options)


def _progress(
    title: ProgressColumn, *extra: ProgressColumn, current: bool, **options: Any
) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [
        title,
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        *extra,
    ]
    if current:
        columns.append(TextColumn("{task.fields[current]}", markup=False))
    settings = {"console": console(stderr=True), "transient": True}
    return Progress(*columns, **{**settings, **options})


def warn(message: str) -> None:
    """A warning on stderr: ``Warning: ...``, shown literally."""
    console(stderr=True).print(plain(f"Warning: {message}"))


def batch_tail(
    failures: list[str], skipped: list[str], sidecars: list[Path], kept_sidecars: list[Path]
) -> None:
    """The end of a per-file report (`autocut caption`, `autocut transcribe`): a warning
    for each item that failed and each file skipped, then the sidecars written beside the
    inputs and those left alone because someone had written one on purpose."""
    for line in failures:
        warn(line)
    for line in skipped:
        warn(f"skipped {line}")
    out = console()
    for path in sidecars:
        out.print(plain(f"wrote {path}"))
    for path in kept_sidecars:
        out.print(plain(f"kept {path} (a sidecar was there; not replaced)"))


class StageProgress:
    """The progress reporter of ``autocut run`` and ``autocut render``
    (:class:`autocut_core.progress.Reporter`).

    On a terminal every stage gets a rich bar on stderr that stays when it is done (so the
    user sees where the minute went); in a log (stderr not a terminal) a plain line when a
    stage starts and one when it ends, so a stalled run shows where it stalled; nothing at
    all under ``--json``, whose stdout must be one JSON document and whose stderr is left
    for errors. Use it as a context manager: the bars are drawn between enter and exit.
    """

    def __init__(self, mode: str):
        if mode not in ("bars", "lines", "off"):
            raise ValueError(f"progress mode must be bars, lines or off, not {mode!r}")
        self.mode = mode
        self._bars: Progress | None = None

    @classmethod
    def for_command(cls, as_json: bool) -> StageProgress:
        """Bars on a terminal, lines in a log, nothing under ``--json``."""
        import sys

        if as_json:
            return cls("off")
        return cls("bars" if sys.stderr.isatty() else "lines")

    def __enter__(self) -> StageProgress:
        if self.mode == "bars":
            from rich.progress import TextColumn

            title = TextColumn("{task.description}", markup=False)
            self._bars = _progress(title, current=True, transient=False)
            self._bars.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None

    @contextlib.contextmanager
    def stage(self, label: str, total: float | None = None) -> Iterator[_Stage]:
        import time

        started = time.perf_counter()
        if self.mode == "lines":
            console(stderr=True).print(plain(f"{label} ..."))
        handle = _Stage(self._bars, label, total)
        yield handle
        handle.finish()
        if self.mode == "lines":
            elapsed = time.perf_counter() - started
            console(stderr=True).print(plain(f"{label}: done in {elapsed:.1f} s"))


class _Stage:
    """One stage's bar (or nothing, when there are no bars)."""

    def __init__(self, bars: Progress | None, label: str, total: float | None):
        self._bars = bars
        self._task = None if bars is None else bars.add_task(label, total=total, current="")

    def update(self, done: float, total: float | None = None, current: str = "") -> None:
        if self._bars is None or self._task is None:
            return
        changes: dict[str, Any] = {"completed": done, "current": _short(current)}
        if total is not None:
            changes["total"] = total
        self._bars.update(self._task, **changes)

    def finish(self) -> None:
        if self._bars is None or self._task is None:
            return
        task = next(task for task in self._bars.tasks if task.id == self._task)
        total = task.total if task.total is not None else 1
        self._bars.update(self._task, total=total, completed=total, current="")


def _short(current: str) -> str:
    """The item in hand as a bar shows it: a path's file name, at most 40 characters."""
    from pathlib import Path

    return Path(current).name[-40:] if current else ""
