"""The report: the paper's Table 1 as Markdown and HTML, one row per system.

Columns follow Table 1's groups (Video, Script, Audio) with the paper's metric definitions,
then a Project group with the project's stricter variants (:mod:`.columns`). Best values are bold and second-best
underlined, as in the paper; a column is compared only among systems that have a value.
The judged columns (VSC, SQ) appear when some system has judge scores; the others always
appear, with "-" where a system cannot do the task (``random`` writes no scripts).
A details table below lists every metric each evaluator produced, with sample counts,
errors and the backbone's time per sample.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from autocut_core.evaluation.columns import Column, columns_for, ranks, unique_names, value_of
from autocut_core.evaluation.summary import SystemSummary
from autocut_core.fsutil import atomic_write_text

REPORT_MARKDOWN = "report.md"
REPORT_HTML = "report.html"


NOTES = (
    "↑ higher is better, ↓ lower is better; **bold** best, <u>underlined</u> second; "
    "- the system cannot do the task or it was not run.",
    "MSS-proxy is the cosine similarity of the predicted and reference tracks' audio "
    "embeddings, a stand-in for the paper's Music Flamingo MSS (not available offline).",
    "CSA, Pairwise, τ and WCD follow the paper (§4.2): CSA counts a sample whose picks include "
    "every positive, Pairwise and τ leave malformed answers out, WCD counts every character "
    "over the longer script. The Project group holds the stricter variants: CSA exact (the "
    "picks are the positives), Pairwise/τ strict (a malformed answer scores 0 / -1), WCD "
    "units (spoken words, Chinese/Japanese characters) and WCD/ad.",
)


def _format(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _arrow(column: Column) -> str:
    return "↑" if column.higher_is_better else "↓"


def markdown(systems: Sequence[SystemSummary], plots: Sequence[Path] = ()) -> str:
    columns = columns_for(systems)
    names = unique_names(systems)
    lines = ["# AutoCut evaluation", ""]
    header = ["Model", *(f"{c.group}: {c.label} {_arrow(c)}" for c in columns)]
    lines += [_md_row(header), _md_row(["---"] + ["---:"] * len(columns))]
    places = [ranks(systems, column) for column in columns]
    for row, (name, system) in enumerate(zip(names, systems, strict=True)):
        cells = [_md_escape(name)]
        for column, place in zip(columns, places, strict=True):
            text = _format(value_of(system, column), column.digits)
            cells.append(
                f"**{text}**" if place[row] == 1 else f"<u>{text}</u>" if place[row] == 2 else text
            )
        lines.append(_md_row(cells))
    lines += ["", *(f"- {note}" for note in (*NOTES, *blind_notes(systems, names)))]
    lines += ["", "## Details", ""]
    lines += _md_details(systems, names)
    if plots:
        lines += ["", "## Plots", ""]
        lines += [f"![{path.stem}]({path.as_posix()})" for path in plots]
    return "\n".join(lines) + "\n"


def blind_notes(systems: Sequence[SystemSummary], names: Sequence[str]) -> list[str]:
    """One warning per system that ran a task its backbone lacked evidence for
    (``--allow-blind``): its numbers there measure little or nothing."""
    notes = []
    for name, system in zip(names, systems, strict=True):
        for problem in system.run.get("blind") or []:
            notes.append(f"WARNING: {name} ran blind on {problem}")
    return notes


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _details(systems: Sequence[SystemSummary]) -> list[tuple[str, list[str]]]:
    """(task, its metric names) over all systems, in task order."""
    order = ("select", "sort", "script", "music")
    found = {task for system in systems for task in system.metrics}
    tasks = [task for task in order if task in found] + sorted(found - set(order))
    result = []
    for task in tasks:
        metrics: dict[str, None] = {}
        for system in systems:
            metrics.update(dict.fromkeys(system.metrics.get(task, {})))
        result.append((task, list(metrics)))
    return result


def _md_details(systems: Sequence[SystemSummary], names: Sequence[str]) -> list[str]:
    lines = []
    for task, metrics in _details(systems):
        lines += [f"### {task}", ""]
        lines.append(_md_row(["Model", "n", "errors", "s/sample", *metrics]))
        lines.append(_md_row(["---"] + ["---:"] * (3 + len(metrics))))
        for name, system in zip(names, systems, strict=True):
            if task not in system.metrics:
                continue
            values = [_format(system.value(task, m), 4) for m in metrics]
            timing = f"{system.seconds.get(task, 0.0):.3f}"
            counts = [str(system.samples.get(task, 0)), str(system.errors.get(task, 0)), timing]
            lines.append(_md_row([_md_escape(name), *counts, *values]))
        lines.append("")
    return lines


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { padding: 0.3em 0.7em; border-bottom: 1px solid #ddd; text-align: right; }
th { background: #f4f4f4; } td:first-child, th:first-child { text-align: left; }
.group { text-align: center; border-bottom: 2px solid #999; }
.best { font-weight: bold; } .second { text-decoration: underline; }
img { max-width: 100%; margin: 1em 0; } .note { color: #555; font-size: 0.9em; }
"""


def html_page(systems: Sequence[SystemSummary], plots: Sequence[Path] = ()) -> str:
    columns = columns_for(systems)
    names = unique_names(systems)
    esc = html.escape
    groups: list[tuple[str, int]] = []
    for column in columns:
        if groups and groups[-1][0] == column.group:
            groups[-1] = (column.group, groups[-1][1] + 1)
        else:
            groups.append((column.group, 1))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>AutoCut evaluation</title>',
        f"<style>{_STYLE}</style></head><body>",
        "<h1>AutoCut evaluation</h1>",
        "<table>",
        '<tr><th rowspan="2">Model</th>'
        + "".join(f'<th class="group" colspan="{n}">{esc(g)}</th>' for g, n in groups)
        + "</tr>",
        "<tr>" + "".join(f"<th>{esc(c.label)} {_arrow(c)}</th>" for c in columns) + "</tr>",
    ]
    places = [ranks(systems, column) for column in columns]
    for row, (name, system) in enumerate(zip(names, systems, strict=True)):
        cells = [f"<td>{esc(name)}</td>"]
        for column, place in zip(columns, places, strict=True):
            css = {1: ' class="best"', 2: ' class="second"'}.get(place[row] or 0, "")
            cells.append(f"<td{css}>{_format(value_of(system, column), column.digits)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table>")
    notes = (*NOTES, *blind_notes(systems, unique_names(systems)))
    parts += [f'<p class="note">{_html_note(note)}</p>' for note in notes]
    parts.append("<h2>Details</h2>")
    for task, metrics in _details(systems):
        parts.append(f"<h3>{esc(task)}</h3><table><tr><th>Model</th><th>n</th><th>errors</th>"
                     "<th>s/sample</th>" + "".join(f"<th>{esc(m)}</th>" for m in metrics)
                     + "</tr>")  # fmt: skip
        for name, system in zip(names, systems, strict=True):
            if task not in system.metrics:
                continue
            values = "".join(f"<td>{_format(system.value(task, m), 4)}</td>" for m in metrics)
            parts.append(
                f"<tr><td>{esc(name)}</td><td>{system.samples.get(task, 0)}</td>"
                f"<td>{system.errors.get(task, 0)}</td>"
                f"<td>{system.seconds.get(task, 0.0):.3f}</td>{values}</tr>"
            )
        parts.append("</table>")
    if plots:
        parts.append("<h2>Plots</h2>")
        parts += [f'<img src="{esc(p.as_posix())}" alt="{esc(p.stem)}">' for p in plots]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_note(note: str) -> str:
    text = html.escape(note)
    text = text.replace("**bold**", "<b>bold</b>")
    return text.replace("&lt;u&gt;underlined&lt;/u&gt;", "<u>underlined</u>")


def write_report(
    folder: Path, systems: Sequence[SystemSummary], plots: bool = True
) -> dict[str, Path]:
    """Write ``report.md``, ``report.html`` and (``plots``) PNG charts into ``folder``."""
    folder = Path(folder)
    written: dict[str, Path] = {}
    images: list[Path] = []
    if plots and systems:
        from autocut_core.evaluation.plots import write_plots

        images = write_plots(folder / "plots", systems, columns_for(systems))
        written.update({f"plot:{path.stem}": path for path in images})
    relative = [path.relative_to(folder) for path in images]
    atomic_write_text(folder / REPORT_MARKDOWN, markdown(systems, relative))
    atomic_write_text(folder / REPORT_HTML, html_page(systems, relative))
    written["markdown"] = folder / REPORT_MARKDOWN
    written["html"] = folder / REPORT_HTML
    return written
