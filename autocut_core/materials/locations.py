"""Where a content's file is for this run: the paths the user offered, then the recorded ones.

The database keys a file by its content, but a run does not work on content: it reads the
sidecars (captions, transcripts) that sit next to a *path* and renders from a *path*. The same
content may be offered from several folders (a copy in ``footage2/``, a renamed file), and the
first folder may have moved or gone since. So the paths to use are, best first:

1. the paths offered in this run, in the order they were found (they exist: they were just
   indexed), so what the user pointed at wins over anything remembered;
2. every other recorded path whose file is still the one indexed (same size and mtime,
   :meth:`RecordedPath.state`), the most recently offered first.

A recorded path whose file is missing or changed is never used: its sidecars, if any are left,
describe a file that is not there.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from autocut_core.materials.database import MaterialDB, PathStat, RecordedPath, from_db_path


def current_paths(
    db: MaterialDB,
    source_id: str,
    offered: Iterable[str | os.PathLike[str]] = (),
    recorded: Sequence[RecordedPath] | None = None,
) -> list[str]:
    """The filesystem paths of ``source_id``'s file, best first (see the module docstring);
    empty when none is left. ``recorded`` saves a query when the caller has the rows."""
    paths: list[str] = []
    for path in offered:
        absolute = os.path.abspath(os.fsdecode(path))
        if absolute not in paths:
            paths.append(absolute)
    rows = db.paths_of(source_id) if recorded is None else recorded
    for row in rows:
        if row.fs_path not in paths and row.state() == "present":
            paths.append(row.fs_path)
    return paths


def offered_sources(
    db: MaterialDB, inputs: Sequence[Path], extensions: frozenset[str]
) -> dict[str, list[str]]:
    """Source id -> the paths under ``inputs`` (files or folders) that hold it, for the files
    the database has; sources and paths in the order the files were found. What a run or
    `autocut caption` works on after indexing its inputs."""
    from autocut_core.materials.indexing import discover

    files, _ = discover(list(inputs), extensions)
    offered: dict[str, list[str]] = {}
    for path in files:
        try:
            stat = PathStat.of(path)
        except OSError:
            continue
        source_id = db.known_path(stat)
        if source_id is not None:
            offered.setdefault(source_id, []).append(from_db_path(stat.path))
    return offered
