"""`autocut explain PLAN.json`: the evidence behind every slot, as a table or an HTML page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from autocut_core.cli.flags import JsonOption

if TYPE_CHECKING:
    from autocut_core.output.explain import Explained


def explain_command(
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json", help="A plan AutoCut wrote.")],
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="OUT.html",
            help="Also write a self-contained page with thumbnails (embedded as data URLs).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Why each slot shows its clip: the product fact its line says, the clip's score and
    caption, the runner-up clips and their scores, and the music's score, as recorded when
    the plan was made. Slots edited by hand since are marked, not explained."""
    from autocut_core.cli.run import load_plan
    from autocut_core.output.evidence_text import music_label
    from autocut_core.output.explain import explain, write_html

    plan = load_plan(plan_file)
    items = explain(plan)
    written = None
    if html_out is not None:
        from autocut_core.cli.display import StageProgress

        with StageProgress.for_command(as_json) as progress, progress.stage("explain page"):
            written = write_html(plan, html_out, plan_file.name)
    if as_json:
        data = {
            "plan": str(plan_file),
            "slots": [item.to_dict() for item in items],
            "music": music_label(plan.music),
            "html": str(written) if written else None,
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_table(plan_file, items, music_label(plan.music))
    if written is not None:
        from autocut_core.cli import display

        display.console().print(display.plain(f"wrote {written}"))


def _print_table(plan_file: Path, items: list[Explained], music: str) -> None:
    from autocut_core.cli import display
    from autocut_core.editing.scores import score_label
    from autocut_core.output.evidence_text import clip_label, fact_label, runner_up_label
    from autocut_core.output.explain import reason

    table = display.table(
        f"{plan_file.name}: why each clip",
        ["#", "time", "clip", "sentence", "product fact", "score", "caption", "runner-ups"],
    )
    for item in items:
        slot = item.placement.slot
        record = item.evidence
        timing = f"{item.placement.start:.2f}-{item.placement.end:.2f}"
        clip = clip_label(slot.source_path, slot.source_in, slot.source_out)
        if record is None:
            display.row(table, item.number, timing, clip, slot.sentence, reason(item),
                        score_label(slot), "", "")  # fmt: skip
            continue
        runners = "\n".join(runner_up_label(r) for r in record.runner_ups) or "none"
        score = score_label(slot) + (f"\n({record.basis})" if record.basis else "")
        display.row(table, item.number, timing, clip, slot.sentence, fact_label(record.fact),
                    score, record.caption, runners)  # fmt: skip
    console = display.console()
    console.print(table)
    console.print(display.plain(f"music: {music}"))


def register(app: typer.Typer) -> None:
    app.command("explain")(explain_command)
