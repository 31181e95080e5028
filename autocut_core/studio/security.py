"""Who may talk to the studio and which files it may hand out or take in.

The studio reads and serves files from the server's disk, so three rules hold everywhere:

- it listens on 127.0.0.1 unless told otherwise, and on any other address only with a token
  (``--token``, or one generated and printed at start); the page passes it on as a cookie;
- a file is served or read only if, with every symlink resolved, it lies under the project
  folder or one of the media folders the project names (:func:`inside`), which
  ``..``, absolute paths and links out cannot get around;
- an upload is size-limited while it streams (never read whole into memory first) and must be
  of the kind asked for: a video or audio file ffprobe can read, or a UTF-8 text script.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
from collections.abc import Iterable, Sequence
from pathlib import Path

from autocut_core.studio.errors import Forbidden, StudioError

TOKEN_COOKIE = "autocut_token"
TOKEN_HEADER = "x-autocut-token"

#: Upload kinds and the file name endings each accepts.
UPLOAD_KINDS: dict[str, frozenset[str]] = {
    "footage": frozenset({".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v"}),
    "music": frozenset({".mp3", ".ogg", ".wav", ".flac", ".m4a", ".aac", ".opus"}),
    "script": frozenset({".txt"}),
}
#: A script larger than this is not a script.
MAX_SCRIPT_BYTES = 1 << 20


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_for(host: str, token: str | None) -> str | None:
    """The token the server requires: the given one, a new one for a non-loopback host, or
    none on loopback without ``--token``."""
    if token:
        return token
    return None if is_loopback(host) else secrets.token_urlsafe(18)


def token_matches(expected: str, offered: Iterable[str | None]) -> bool:
    return any(
        value is not None and hmac.compare_digest(value.encode(), expected.encode())
        for value in offered
    )


def inside(path: Path | str, roots: Sequence[Path]) -> Path:
    """``path`` resolved, if it lies under one of ``roots`` (also resolved); else Forbidden.

    Both sides are resolved first, so a ``..`` or a symlink that leads out is caught; the
    message never says whether the file exists out there.
    """
    text = os.fspath(path)
    if "\x00" in text:
        raise Forbidden("a path may not contain NUL")
    resolved = Path(text).resolve()
    for root in roots:
        base = root.resolve()
        if resolved == base or resolved.is_relative_to(base):
            return resolved
    raise Forbidden(f"{text}: outside the project and its media folders")


def child(root: Path, relative: str) -> Path:
    """``root / relative`` for a path the client sent, refused unless it stays under root."""
    if not relative or Path(relative).is_absolute():
        raise Forbidden(f"{relative!r}: give a path relative to the project")
    return inside(root / relative, [root])


def upload_name(kind: str, filename: str | None) -> str:
    """A safe file name for an upload of ``kind``: the base name only, of an accepted type."""
    if kind not in UPLOAD_KINDS:
        raise StudioError(f"unknown upload kind {kind!r}: choose {', '.join(UPLOAD_KINDS)}")
    name = Path((filename or "").replace("\\", "/")).name
    if not name or name.startswith(".") or "\x00" in name:
        raise StudioError(f"upload {filename!r}: not a usable file name")
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_KINDS[kind]:
        accepted = ", ".join(sorted(UPLOAD_KINDS[kind]))
        raise StudioError(f"upload {name}: a {kind} file must end in one of {accepted}", 415)
    return name


def check_upload_content(kind: str, path: Path) -> None:
    """Refuse an uploaded file whose content is not what its name says (it is deleted)."""
    try:
        if kind == "script":
            if path.stat().st_size > MAX_SCRIPT_BYTES:
                raise StudioError(f"upload {path.name}: a script is at most 1 MiB", 413)
            try:
                path.read_text(encoding="utf-8")
            except UnicodeDecodeError as error:
                raise StudioError(f"upload {path.name}: not UTF-8 text ({error})", 415) from error
            return
        from autocut_core.media import MediaError, probe

        try:
            facts = probe(path)
        except MediaError as error:
            raise StudioError(f"upload {path.name}: {error}", 415) from error
        wanted = facts.has_video if kind == "footage" else facts.has_audio
        if not wanted:
            stream = "video" if kind == "footage" else "audio"
            raise StudioError(f"upload {path.name}: has no {stream} stream", 415)
    except StudioError:
        path.unlink(missing_ok=True)
        raise
