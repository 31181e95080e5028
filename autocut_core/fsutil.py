"""Atomic file writes (a reader sees the old file or the new one, never half of either), and
file tests that a hostile name cannot turn into a traceback."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` atomically.

    The temporary file lives in the same directory so ``os.replace`` never crosses a filesystem.
    On an exception the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name holds the target's name for whoever finds a leftover, cut short so a
    # target whose own name is near the filesystem's limit (255 bytes) still gets one.
    prefix = f".{_cut(target.name, _TEMP_NAME_BYTES)}."
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    # mkstemp creates 0600; a finished file gets the permissions a plain open() would give it.
    os.chmod(temporary, 0o666 & ~_umask())
    try:
        yield temporary
        with open(temporary, "rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


#: Bytes of the target's name kept in a temporary file's name (mkstemp adds 8, ".part" 5).
_TEMP_NAME_BYTES = 120


def _cut(name: str, limit: int) -> str:
    """``name`` cut to at most ``limit`` bytes of its file-system encoding, at a character."""
    while len(os.fsencode(name)) > limit:
        name = name[:-1]
    return name


def is_file(path: Path) -> bool:
    """Whether ``path`` is a regular file; ``False`` where the name itself cannot exist.

    ``Path.is_file`` raises on a name longer than the file system allows (``ENAMETOOLONG``),
    which a sidecar name built from a long video name (``<name>.captions.json``) can be, and
    on a path that cannot be looked up at all: neither is a file there, so neither is an error.
    """
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def atomic_write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)


def atomic_write_text(target: Path, text: str) -> None:
    atomic_write_bytes(target, text.encode("utf-8"))
