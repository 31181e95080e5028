"""Terminal output through rich where every piece of user text is shown literally.

rich reads ``[...]`` in a string as markup (``[x]`` vanishes, ``[red]`` colours the rest of the
line), ``:name:`` as an emoji code, and highlights numbers and paths. Product names, script
lines and file names come from users and files, so every command prints them through these
helpers: a :class:`~rich.text.Text` is never parsed, and the consoles made here have markup,
emoji and highlighting off, so a plain string passed by mistake is shown as written too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns: list[Any] = [
        TextColumn(label.replace("{", "{{").replace("}", "}}"), markup=False),  # not a template
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
