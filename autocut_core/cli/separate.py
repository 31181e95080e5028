"""`autocut separate FILE... --out DIR`: each file's voice and music stems as WAV files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autocut_core.cli.flags import JsonOption, uses_settings
from autocut_core.errors import SettingsError
from autocut_core.settings import AutocutSettings

if TYPE_CHECKING:
    from autocut_core.materials.separation import FileStems, SeparateReport


@uses_settings("separator")
def separate_command(
    settings: AutocutSettings,
    inputs: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="Audio or video files, or folders (walked)."),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for <name>/voice.wav and music.wav.")
    ],
    as_json: JsonOption = False,
) -> None:
    """Split the soundtrack of each file into voice and music (OUT/<name>/voice.wav, music.wav).

    The separator is the configured one (--separator; repet, which needs no weights, by
    default); a file that fails is one line below and the others go on.
    """
    from autocut_core.cli.display import StageProgress
    from autocut_core.components import require_ready
    from autocut_core.materials.separation import NO_SEPARATOR, separate_files

    if settings.separator.strip().lower() == NO_SEPARATOR:
        raise SettingsError(
            f"autocut separate needs a separator, not --separator {NO_SEPARATOR} "
            "(`autocut plugins` lists them)"
        )
    separator = settings.create("separator")
    require_ready([separator])
    with StageProgress.for_command(as_json) as progress:
        report = separate_files(inputs, out, separator, progress=progress)
    if as_json:
        data = {
            "out": str(report.out),
            "model": report.model,
            "sample_rate": separator.sample_rate,
            "files": [_file_data(item) for item in report.files],
            "skipped": report.skipped,
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_report(report)


def _file_data(item: FileStems) -> dict[str, Any]:
    return {
        "path": str(item.path),
        "seconds": round(item.seconds, 3),
        "files": [str(path) for path in item.files],
        "error": item.error or None,
    }


def _print_report(report: SeparateReport) -> None:
    from autocut_core.cli import display

    table = display.table(f"stems by {report.model}", ["file", "seconds", "voice", "music"])
    for item in report.files:
        if item.error:
            display.row(table, item.path.name, "-", "-", f"FAILED: {item.error}")
        else:
            voice, music = (str(path) for path in item.files[:2])
            display.row(table, item.path.name, f"{item.seconds:.1f}", voice, music)
    console = display.console()
    console.print(table)
    done = len(report.files) - len(report.failed)
    console.print(f"{done} separated into {report.out}, {len(report.failed)} failed")
    failures = [f"{item.path.name}: {item.error}" for item in report.failed]
    display.batch_tail(failures, report.skipped, [], [])


def register(app: typer.Typer) -> None:
    app.command("separate")(separate_command)
