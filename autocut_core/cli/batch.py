"""`autocut batch briefs.csv -o OUTDIR`: one ad per row, a summary table, resumable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from autocut_core.cli.flags import JsonOption, uses_settings
from autocut_core.errors import AutocutError
from autocut_core.settings import AutocutSettings


@uses_settings(
    "pipeline", "backbone", "encoder", "audio_encoder", "tokenizer", "audio_tokenizer",
    "voice", "renderer",
)  # fmt: skip
def batch_command(
    settings: AutocutSettings,
    briefs: Annotated[
        Path,
        typer.Argument(
            metavar="BRIEFS.csv",
            help="One ad per row: columns product, footage (required), script, music, id.",
        ),
    ],
    outdir: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the ads and batch.json.")
    ] = Path("out/batch"),
    db: Annotated[
        Path | None, typer.Option("--db", help="Material database (default: setting 'db').")
    ] = None,
    voice_over: Annotated[
        bool, typer.Option("--voice-over/--no-voice-over", help="Speak the scripts.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Make one ad per CSV row into OUTDIR/<id>.mp4; rows done in an earlier run are skipped.

    Paths in the CSV are relative to its folder; footage and music cells may list several
    paths separated by ';'. A row that fails is recorded with its error and the next row
    runs; the command exits with status 1 when any row failed.
    """
    from autocut_core.cli.display import StageProgress
    from autocut_core.pipelines.batch import BatchOptions, run_batch

    options = BatchOptions(settings=settings, render=settings.render, db=db, voice=voice_over)
    progress = StageProgress.for_command(as_json)
    with progress:
        result = run_batch(briefs, outdir, settings.create("pipeline"), options, progress)
    rows = [row.to_dict() for row in result.rows]
    if as_json:
        typer.echo(json.dumps({"record": str(result.record), "rows": rows}, ensure_ascii=False,
                              indent=2))  # fmt: skip
    else:
        from autocut_core.cli import display

        table = display.table(
            f"batch {briefs.name}: {len(rows)} rows", ["id", "status", "length", "output", "error"]
        )
        for row in rows:
            length = f"{row['duration']:.2f} s" if row["duration"] is not None else ""
            display.row(table, row["id"], row["status"], length, row["output"] or "",
                        row["error"] or "")  # fmt: skip
        console = display.console()
        console.print(table)
        console.print(display.plain(f"record: {result.record}"))
    if result.failed:
        raise AutocutError(
            f"{len(result.failed)} of {len(rows)} rows failed (errors in {result.record})"
        )


def register(app: typer.Typer) -> None:
    app.command("batch")(batch_command)
