"""`autocut transcribe VIDEO...`: a transcriber's timed transcript of each file, into the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autocut_core.cli.flags import DbOption, JsonOption, uses_settings
from autocut_core.settings import AutocutSettings

if TYPE_CHECKING:
    from autocut_core.materials.transcription import FileTranscript, TranscribeReport


@uses_settings("transcriber")
def transcribe_command(
    settings: AutocutSettings,
    inputs: Annotated[
        list[Path],
        typer.Argument(metavar="VIDEO...", help="Video or audio files, or folders (walked)."),
    ],
    db: DbOption = None,
    sidecar: Annotated[
        bool,
        typer.Option(
            "--sidecar",
            help="Also write <video>.srt beside each video (never over a timed sidecar).",
        ),
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Transcribe again files already transcribed.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Transcribe the speech of each file with timed words (JSON + SRT in <db>/transcripts/).

    Transcripts are stored per file content and model, so a second run asks the model
    nothing; a file that fails is one line below.
    """
    from autocut_core.cli.display import StageProgress
    from autocut_core.components import require_ready
    from autocut_core.materials.transcription import transcribe_files

    transcriber = settings.create("transcriber")
    require_ready([transcriber])
    folder = db or settings.db
    with StageProgress.for_command(as_json) as progress:
        report = transcribe_files(
            inputs, folder, transcriber, sidecars=sidecar, refresh=refresh, progress=progress
        )
    if as_json:
        data = {
            "db": str(folder),
            "model": report.model,
            "files": [_file_data(item) for item in report.files],
            "skipped": report.skipped,
            "sidecars": [str(path) for path in report.sidecars],
            "kept_sidecars": [str(path) for path in report.kept_sidecars],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_report(report)


def _file_data(item: FileTranscript) -> dict[str, Any]:
    transcript = item.transcript
    return {
        "path": str(item.path),
        "language": None if transcript is None else transcript.language,
        "text": None if transcript is None else transcript.text,
        "segments": 0 if transcript is None else len(transcript.segments),
        "words": 0 if transcript is None else len(transcript.words),
        "cached": item.cached,
        "files": [str(path) for path in item.files],
        "error": item.error or None,
    }


def _print_report(report: TranscribeReport) -> None:
    from autocut_core.cli import display

    table = display.table(
        f"transcripts by {report.model}", ["file", "language", "segments", "words", "text"]
    )
    for item in report.files:
        t = item.transcript
        if t is None:
            display.row(table, item.path.name, "-", "-", "-", f"FAILED: {item.error}")
        else:
            text = t.text if len(t.text) <= 80 else t.text[:77] + "..."
            display.row(table, item.path.name, t.language, str(len(t.segments)),
                        str(len(t.words)), text)  # fmt: skip
    console = display.console()
    console.print(table)
    cached = sum(1 for item in report.files if item.cached)
    written = len(report.files) - cached - len(report.failed)
    console.print(f"{written} transcribed, {cached} already stored, {len(report.failed)} failed")
    for item in report.files:
        for path in item.files:
            console.print(display.plain(f"wrote {path}" if not item.cached else f"kept {path}"))
    failures = [f"{item.path.name}: {item.error}" for item in report.failed]
    display.batch_tail(failures, report.skipped, report.sidecars, report.kept_sidecars)


def register(app: typer.Typer) -> None:
    app.command("transcribe")(transcribe_command)
