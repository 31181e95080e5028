"""What `autocut run --variants N` prints: one line per variant and the pairwise diversity."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from autocut_core.pipelines.variants import VariantsResult


def report_variants(made: VariantsResult, as_json: bool) -> None:
    """Tables on a terminal (user text literal), or the summary file's JSON under ``--json``."""
    data = made.to_dict()
    if as_json:
        typer.echo(json.dumps({**data, "summary": str(made.summary)}, ensure_ascii=False, indent=2))
        return
    from autocut_core.cli import display

    console = display.console()
    table = display.table(
        f"{len(made.results)} variants", ["#", "length", "hook", "music", "video or plan"]
    )
    for entry in data["variants"]:
        display.row(
            table,
            entry["variant"],
            f"{entry['duration']:.2f} s",
            entry["hook"],
            Path(entry["music_path"]).name if entry["music_path"] else "none",
            entry["video"] or entry["plan"],
        )
    console.print(table)
    if made.diversity:
        pairs = display.table(
            "diversity (mean of the four; 0 = the same ad, 1 = nothing shared)",
            ["pair", "clips (Jaccard)", "order (Kendall)", "music", "hook", "total"],
        )
        for pair in made.diversity:
            display.row(
                pairs,
                f"{pair.first + 1}-{pair.second + 1}",
                f"{pair.clips:.2f}",
                f"{pair.order:.2f}",
                f"{pair.music:.0f}",
                f"{pair.hook:.0f}",
                f"{pair.total:.2f}",
            )
        console.print(pairs)
        console.print(f"mean diversity: {data['mean_diversity']:.2f}")
    for number, result in enumerate(made.results, start=1):
        for note in result.notes:
            console.print(display.plain(f"note (variant {number}): {note}"))
        for warning in result.warnings:
            display.warn(f"variant {number}: {warning}")
    console.print(f"summary: {made.summary}")
