"""`autocut studio`: the storyboard in the browser (AutoCut Studio, ``autocut_core.studio``).

The web stack (FastAPI, uvicorn) is imported only when the command runs, so ``autocut
--help`` and every other command start as fast as before and work without the ``studio``
extra installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from autocut_core.cli.flags import uses_settings
from autocut_core.errors import InputError
from autocut_core.settings import AutocutSettings


@uses_settings("encoder", "audio_encoder", "voice", "renderer")
def studio_command(
    settings: AutocutSettings,
    host: Annotated[
        str,
        typer.Option("--host", help="Address to listen on (another than 127.0.0.1 needs a token)."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8765,
    project: Annotated[
        Path, typer.Option("--project", metavar="DIR", help="Folder holding the studio's projects.")
    ] = Path("studio-projects"),
    media: Annotated[
        list[Path] | None,
        typer.Option(
            "--media",
            metavar="DIR",
            help="A server folder projects may take footage and music from (repeatable).",
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option("--token", help="Token every request must carry (generated if needed)."),
    ] = None,
    max_upload_mb: Annotated[
        int, typer.Option("--max-upload-mb", help="Largest footage or music upload.")
    ] = 512,
) -> None:
    """Make and review ads in the browser: storyboard, swaps, edits, renders."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise InputError(
            f"autocut studio needs the 'studio' extra ({error.name} is missing): "
            "pip install 'autocut[studio]'"
        ) from error
    from autocut_core.studio.server import serve

    missing = [str(folder) for folder in media or () if not folder.is_dir()]
    if missing:
        raise InputError(f"--media: no such folder: {', '.join(missing)}")
    serve(project, settings, host, port, token, list(media or ()), max_upload_mb)


def register(app: typer.Typer) -> None:
    app.command("studio")(studio_command)
