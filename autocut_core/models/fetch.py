"""One file over HTTP: resumable, checked, progress reported, moved into place whole.

A model is hundreds of megabytes, so an interrupted download is kept as
``<target>.incomplete`` and the next attempt (a retry in this call, or the next ``autocut
models pull``) asks for the rest with an HTTP ``Range`` request. The file is checked
against its expected size and sha256 (a whole digest or the prefix a file name carries)
before it is renamed onto the target; a file that fails the check is deleted, never used.
A lock file keeps two processes from writing one partial file.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import os
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

from autocut_core.errors import AutocutError
from autocut_core.progress import SILENT, Reporter

CHUNK = 1 << 20
#: Retries within one call after a dropped connection (each resumes where the last stopped).
RETRIES = 2
TIMEOUT_S = 30.0


class DownloadError(AutocutError):
    """A download failed: unreachable, refused, interrupted or not the expected bytes."""


class ChecksumError(DownloadError):
    """The downloaded bytes are not the published file (size or sha256 differ)."""


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(
    url: str,
    target: Path,
    *,
    sha256: str | None = None,
    size: int | None = None,
    headers: Mapping[str, str] | None = None,
    label: str | None = None,
    reporter: Reporter = SILENT,
) -> Path:
    """Download ``url`` to ``target`` (resuming a partial file), check it, return ``target``."""
    partial = target.with_name(target.name + ".incomplete")
    label = label or target.name
    with _locked(target):
        if target.is_file():
            return target
        with reporter.stage(f"download {label}", total=size) as stage:
            attempt = 0
            while True:
                try:
                    _transfer(url, partial, dict(headers or {}), size, stage, label)
                    break
                except (OSError, http.client.HTTPException) as error:
                    if isinstance(error, urllib.error.HTTPError) or attempt >= RETRIES:
                        raise _failure(url, partial, size, label, error) from None
                    attempt += 1
        _check(partial, sha256, size, label, url)
        os.replace(partial, target)
    return target


def _transfer(
    url: str, partial: Path, headers: dict[str, str], size: int | None, stage, label: str
) -> None:
    have = partial.stat().st_size if partial.is_file() else 0
    if size is not None and have == size:
        return
    if size is not None and have > size:
        partial.unlink()
        have = 0
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        if have and response.status != 206:  # the server ignored the range: start over
            have = 0
        total = size
        if total is None:
            length = response.headers.get("Content-Length")
            total = have + int(length) if length is not None else None
        with open(partial, "ab" if have else "wb") as out:
            done = have
            stage.update(done, total, label)
            while block := response.read(CHUNK):
                out.write(block)
                done += len(block)
                stage.update(done, total, label)
        if total is not None and done < total:
            raise http.client.IncompleteRead(b"", total - done)


def _check(partial: Path, sha256: str | None, size: int | None, label: str, url: str) -> None:
    got = partial.stat().st_size
    if size is not None and got != size:
        partial.unlink()
        raise ChecksumError(
            f"{label}: downloaded {got} bytes from {url}, expected {size}; the partial file "
            "was deleted, run the command again"
        )
    if sha256 is None:
        return
    digest = sha256_of(partial)
    if not digest.startswith(sha256.lower()):
        partial.unlink()
        raise ChecksumError(
            f"{label}: sha256 {digest} does not match the published {sha256} ({url}); the "
            "file was deleted. A proxy or a changed upload may be at fault"
        )


def _failure(
    url: str, partial: Path, size: int | None, label: str, error: BaseException
) -> DownloadError:
    if isinstance(error, urllib.error.HTTPError):
        return DownloadError(f"{label}: {url} answered HTTP {error.code} {error.reason}")
    have = partial.stat().st_size if partial.is_file() else 0
    reason = getattr(error, "reason", None) or error
    if have:
        of = f" of {size}" if size is not None else ""
        return DownloadError(
            f"{label}: the download from {url} stopped at {have}{of} bytes ({reason}); the "
            f"partial file {partial} is kept and the same command resumes it"
        )
    return DownloadError(f"{label}: cannot reach {url} ({reason})")
