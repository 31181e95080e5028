"""Files of a Hugging Face Hub repository, fetched into the hub cache exactly as
huggingface_hub lays it out, so transformers and open_clip find them offline afterwards.

huggingface_hub answers what a file is (``get_hf_file_metadata``: the commit, the ETag, which
for a Git LFS file is its sha256, the size and where the bytes are); :func:`fetch` brings the
bytes, resuming across runs (huggingface_hub deletes a partial file when a call fails), and
this module writes ``blobs/<etag>``, the ``snapshots/<commit>/<file>`` link and
``refs/<revision>``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from autocut_core.fsutil import atomic_write_text
from autocut_core.models import caches
from autocut_core.models.cards import HubFile, HubFiles
from autocut_core.models.fetch import DownloadError, fetch
from autocut_core.progress import SILENT, Reporter

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Unreachable(DownloadError):
    """The hub did not answer (no network, a closed port, a refused connection)."""


def pull_files(source: HubFiles, reporter: Reporter = SILENT) -> Path:
    """Fetch every file of ``source`` not yet cached; returns the snapshot folder."""
    folder: Path | None = None
    for entry in source.files:
        if caches.hub_file(source, entry) is not None:
            continue
        names = [entry.name] + ([entry.fallback] if entry.fallback else [])
        for position, name in enumerate(names):
            got = _pull_one(source, name, entry, reporter)
            if got is not None:
                folder = got
                break
            if position == len(names) - 1 and entry.required:
                tried = " or ".join(names)
                raise DownloadError(f"{source.repo} has no file {tried} at {source.revision}")
    found = caches.snapshot(source) or folder
    if found is None:
        raise DownloadError(f"{source.repo}: nothing was fetched")
    return found


def _pull_one(source: HubFiles, name: str, entry: HubFile, reporter: Reporter) -> Path | None:
    """Fetch ``name``; None when the repository has no such file."""
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError
    from huggingface_hub.utils import build_hf_headers

    # huggingface_hub read HF_HUB_OFFLINE once, at import; the caller has just read it now.
    constants.HF_HUB_OFFLINE = caches.offline()

    endpoint = caches.hub_endpoint()
    url = hf_hub_url(source.repo, name, revision=source.revision, endpoint=endpoint)
    headers = build_hf_headers()
    try:
        meta = get_hf_file_metadata(url, headers=headers, endpoint=endpoint, timeout=15)
    except EntryNotFoundError:
        return None
    except HfHubHTTPError as error:
        first = str(error).splitlines()[0]
        raise DownloadError(f"{source.repo}/{name}: the hub refused ({first})") from None
    except Exception as error:  # httpx2's ConnectError, timeouts, DNS: not our classes
        if not (isinstance(error, OSError) or type(error).__module__.startswith("httpx")):
            raise
        raise Unreachable(f"cannot reach {endpoint} ({error})") from None
    if meta.commit_hash is None or meta.etag is None:
        raise DownloadError(f"{url}: not a Hugging Face Hub endpoint (no commit or ETag header)")
    folder = caches.repo_folder(source.repo)
    blob = folder / "blobs" / meta.etag
    # An LFS file's ETag is its sha256: the hub's own checksum, checked with the card's.
    expected = entry.sha256 or (meta.etag if _SHA256.match(meta.etag) else None)
    if not blob.is_file():
        location = meta.location or url
        same_host = urlsplit(location).netloc == urlsplit(endpoint).netloc
        fetch_headers = dict(headers) if same_host else {"user-agent": headers["user-agent"]}
        fetch_headers["Accept-Encoding"] = "identity"
        fetch(
            location,
            blob,
            sha256=expected,
            size=meta.size,
            headers=fetch_headers,
            label=f"{source.repo}/{name}",
            reporter=reporter,
        )
    link = folder / "snapshots" / meta.commit_hash / name
    link.parent.mkdir(parents=True, exist_ok=True)
    if not link.exists():
        relative = os.path.relpath(blob, link.parent)
        temporary = link.with_name(link.name + ".link")
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(relative)
        os.replace(temporary, link)
    if source.revision != meta.commit_hash:
        ref = folder / "refs" / source.revision
        ref.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(ref, meta.commit_hash)
    return link.parent
