"""`autocut caption FOOTAGE...`: a captioner describes every clip into the material database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autocut_core.cli.flags import DbOption, JsonOption, uses_settings
from autocut_core.settings import AutocutSettings

if TYPE_CHECKING:
    from autocut_core.materials.captioning import CaptionReport, ClipCaption


@uses_settings("captioner", "encoder", "audio_encoder")
def caption_command(
    settings: AutocutSettings,
    footage: Annotated[
        list[Path], typer.Argument(metavar="FOOTAGE...", help="Video files or folders (walked).")
    ],
    db: DbOption = None,
    sidecar: Annotated[
        bool,
        typer.Option(
            "--sidecar",
            help="Also write <video>.captions.json (never over a sidecar that is there).",
        ),
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Caption again clips already captioned.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Caption every clip of FOOTAGE with a vision-language model, for `autocut run`.

    The footage is indexed first (incrementally). Captions are stored per clip, model and
    prompt, so a second run asks the model nothing; a clip that fails is one line below.
    """
    from autocut_core.cli.display import StageProgress
    from autocut_core.materials.captioning import caption_footage
    from autocut_core.materials.indexing import options_from_settings

    captioner = settings.create("captioner")
    folder = db or settings.db
    with StageProgress.for_command(as_json) as progress:
        report = caption_footage(
            footage, folder, captioner, options_from_settings(settings),
            sidecars=sidecar, refresh=refresh, progress=progress,
        )  # fmt: skip
    if as_json:
        data = {
            "db": str(folder),
            "model": report.model,
            "written": report.written,
            "cached": report.cached,
            "clips": [_clip_data(clip) for clip in report.clips],
            "skipped_files": report.skipped_files,
            "sidecars": [str(path) for path in report.sidecars],
            "kept_sidecars": [str(path) for path in report.kept_sidecars],
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_report(report)


def _clip_data(clip: ClipCaption) -> dict[str, Any]:
    return {
        "clip_id": clip.clip.clip_id,
        "path": clip.path,
        "start": clip.clip.start,
        "end": clip.clip.end,
        "caption": clip.text,
        "cached": clip.cached,
        "error": clip.error or None,
    }


def _print_report(report: CaptionReport) -> None:
    from autocut_core.cli import display

    table = display.table(f"captions by {report.model}", ["clip", "file", "span", "caption"])
    for clip in report.clips:
        span = f"{clip.clip.start:.2f}-{clip.clip.end:.2f}"
        text = clip.text if clip.text is not None else f"FAILED: {clip.error}"
        display.row(table, clip.clip.clip_id, Path(clip.path).name, span, text)
    console = display.console()
    console.print(table)
    console.print(
        f"{report.written} written, {report.cached} already stored, {len(report.failed)} failed"
    )
    failures = [f"clip {c.clip.clip_id} ({Path(c.path).name}): {c.error}" for c in report.failed]
    display.batch_tail(failures, report.skipped_files, report.sidecars, report.kept_sidecars)


def register(app: typer.Typer) -> None:
    app.command("caption")(caption_command)
