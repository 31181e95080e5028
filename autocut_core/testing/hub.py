"""A Hugging Face Hub for tests: a hub cache laid out by hand, and a loopback hub server.

:func:`cache_snapshot` writes files exactly as huggingface_hub caches them
(``models--org--name/blobs/<sha256>``, ``snapshots/<commit>/<file>`` links, ``refs/main``),
so a tiny random model placed there loads through the same code as a downloaded one, with
the hub offline. :class:`LocalHub` answers the two requests a download makes (``HEAD`` for
the commit, ETag and size; ``GET`` with ``Range``) on 127.0.0.1, and can drop a connection
part way or serve bytes that do not match their ETag, the ways real downloads fail.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

#: The commit every LocalHub file and cache_snapshot folder is at (any 40 hex digits do).
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def cache_snapshot(
    hub_cache: Path, repo: str, files: Mapping[str, bytes | Path], revision: str = "main"
) -> Path:
    """Lay ``files`` (name -> bytes or a file to copy) out as the hub cache holds ``repo``;
    returns the snapshot folder."""
    folder = Path(hub_cache) / ("models--" + repo.replace("/", "--"))
    snapshot = folder / "snapshots" / COMMIT
    for name, content in files.items():
        data = content if isinstance(content, bytes) else Path(content).read_bytes()
        blob = folder / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / revision).write_text(COMMIT, encoding="utf-8")
    return snapshot


def folder_files(folder: Path) -> dict[str, Path]:
    """Every file under ``folder`` by its relative name (for :func:`cache_snapshot`)."""
    return {
        path.relative_to(folder).as_posix(): path for path in folder.rglob("*") if path.is_file()
    }


@dataclass
class Request:
    method: str
    path: str
    range: str | None


@dataclass
class LocalHub:
    """A hub endpoint on 127.0.0.1: ``files`` maps ``org/name/filename`` to bytes; plain
    ``files/<name>`` paths serve the same way for URL downloads. At byte ``drop_after`` of
    the file, the next ``drops`` GETs close the connection; ``corrupt`` serves other bytes than
    the ETag (the sha256) says."""

    files: dict[str, bytes] = field(default_factory=dict)
    drops: int = 0
    drop_after: int = 0
    corrupt: bool = False
    seen: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_HEAD(self) -> None:
                hub._answer(self, body=False)

            def do_GET(self) -> None:
                hub._answer(self, body=True)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LocalHub:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def gets(self) -> list[Request]:
        return [request for request in self.seen if request.method == "GET"]

    def _key(self, path: str) -> str:
        path = unquote(path.split("?", 1)[0]).lstrip("/")
        if "/resolve/" in path:
            repo, rest = path.split("/resolve/", 1)
            return f"{repo}/{rest.split('/', 1)[1]}"
        return path

    def _answer(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        self.seen.append(Request(handler.command, handler.path, handler.headers.get("Range")))
        data = self.files.get(self._key(handler.path))
        if data is None:
            handler.send_response(404)
            handler.send_header("X-Error-Code", "EntryNotFound")
            handler.send_header("X-Repo-Commit", COMMIT)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        digest = hashlib.sha256(data).hexdigest()
        served = bytes(255 - b for b in data) if self.corrupt else data
        start = 0
        wanted = handler.headers.get("Range")
        if body and wanted and wanted.startswith("bytes="):
            start = int(wanted[len("bytes=") :].split("-", 1)[0])
        handler.send_response(206 if start else 200)
        handler.send_header("X-Repo-Commit", COMMIT)
        handler.send_header("ETag", f'"{digest}"')
        handler.send_header("X-Linked-Etag", f'"{digest}"')
        handler.send_header("X-Linked-Size", str(len(data)))
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(len(data) - start))
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        handler.end_headers()
        if not body:
            return
        rest = served[start:]
        if self.drops > 0:
            self.drops -= 1
            handler.wfile.write(rest[: max(0, self.drop_after - start)])
            handler.wfile.flush()
            handler.close_connection = True
            return
        handler.wfile.write(rest)
