"""`autocut export`: a plan or a rendered ad's timeline in the formats editors import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def export_command(
    source: Annotated[Path, typer.Argument(help="A plan (ad.plan.json) or a timeline (ad.otio).")],
    to: Annotated[
        str, typer.Option("--to", help="Format to write: edl (CMX 3600), fcpxml or otio.")
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="File to write (default: next to SOURCE)."),
    ] = None,
) -> None:
    """Write SOURCE as an EDL, FCPXML or OTIO timeline for DaVinci Resolve, Premiere or FCP."""
    from autocut_core.output.otio import export_file

    written = export_file(source, to.lower(), output)
    typer.echo(str(written))


def register(app: typer.Typer, typer_factory: Any = None) -> None:
    """Add ``export`` to ``app`` (``typer_factory`` is accepted for symmetry with the other
    command modules; a single command needs no group)."""
    app.command("export")(export_command)
