"""Serve a studio with uvicorn: what ``autocut studio`` runs, and what the browser tests start.

The server binds to 127.0.0.1 unless told otherwise; any other address requires a token
(:func:`autocut_core.studio.security.token_for` makes one when none is given), printed with
the URL so the person starting it can open the page.
"""

from __future__ import annotations

from pathlib import Path

from autocut_core.settings import AutocutSettings
from autocut_core.studio.security import is_loopback, token_for


def url_for(host: str, port: int, token: str | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"?token={token}" if token else "")


def serve(
    workspace: Path,
    settings: AutocutSettings,
    host: str = "127.0.0.1",
    port: int = 8765,
    token: str | None = None,
    media: list[Path] | None = None,
    max_upload_mb: int = 512,
    announce: bool = True,
) -> None:
    """Run the studio until interrupted (Ctrl-C); queued jobs finish before it exits."""
    import uvicorn

    from autocut_core.studio.app import create_app
    from autocut_core.studio.service import Studio

    required = token_for(host, token)
    studio = Studio(workspace, settings, media, max_upload_mb << 20)
    app = create_app(studio, required)
    if announce:
        where = "" if is_loopback(host) else " (reachable from other machines: keep the token)"
        print(f"AutoCut Studio{where}: {url_for(host, port, required)}", flush=True)
        print(f"  projects in {studio.workspace.root}", flush=True)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        studio.jobs.shutdown()
