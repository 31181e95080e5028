"""Material ids as the paper builds them (DESIGN.md §4).

``frame_id = source_id + 4-digit second`` and ``clip_id = source_id + 4-digit start second +
3-digit duration`` at 1 fps. The id is only a key: finer cut times live in the database row.
Parsing is positional from the right, so a source id of any length works.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

MAX_SECOND = 9999
MAX_DURATION = 999
_SOURCE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
_HASH_CHUNK = 1 << 20


def check_source_id(source_id: str) -> str:
    """Return ``source_id`` if it can prefix frame/clip ids unambiguously, else raise."""
    if not source_id or not _SOURCE_ID.match(source_id):
        raise ValueError(
            f"source id {source_id!r} must be non-empty and use only letters, digits, '-' or '_'"
        )
    return source_id


def frame_id(source_id: str, second: int) -> str:
    """Id of the frame sampled at ``second`` (1 fps) of ``source_id``."""
    if not 0 <= second <= MAX_SECOND:
        raise ValueError(f"frame second {second} is outside 0..{MAX_SECOND}")
    return f"{check_source_id(source_id)}{second:04d}"


def clip_id(source_id: str, start_second: int, duration_seconds: int) -> str:
    """Id of the clip that starts at ``start_second`` and lasts ``duration_seconds`` (1 fps)."""
    if not 0 <= start_second <= MAX_SECOND:
        raise ValueError(f"clip start {start_second} is outside 0..{MAX_SECOND}")
    if not 0 <= duration_seconds <= MAX_DURATION:
        raise ValueError(f"clip duration {duration_seconds} is outside 0..{MAX_DURATION}")
    return f"{check_source_id(source_id)}{start_second:04d}{duration_seconds:03d}"


def parse_frame_id(value: str) -> tuple[str, int]:
    """Split a frame id into ``(source_id, second)``."""
    if len(value) < 5 or not value[-4:].isdigit():
        raise ValueError(f"{value!r} is not a frame id (source id + 4-digit second)")
    return check_source_id(value[:-4]), int(value[-4:])


def parse_clip_id(value: str) -> tuple[str, int, int]:
    """Split a clip id into ``(source_id, start_second, duration_seconds)``."""
    if len(value) < 8 or not value[-7:].isdigit():
        raise ValueError(
            f"{value!r} is not a clip id (source id + 4-digit start + 3-digit duration)"
        )
    return check_source_id(value[:-7]), int(value[-7:-3]), int(value[-3:])


def content_hash(path: Path) -> str:
    """SHA-256 of a file's bytes: the identity of a source, stable across renames and moves."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def source_id_for_hash(digest: str, length: int = 12) -> str:
    """Short source id from a content hash (12 hex digits: collisions need ~16M sources)."""
    return digest[:length]
