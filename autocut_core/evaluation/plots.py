"""Charts of the report (matplotlib, imported only here and only when plots are asked for).

``table1.png``: one small bar chart per Table 1 column, systems side by side, so metrics
on different scales (CSA in [0, 1], WCD in words) are never squeezed onto one axis.
``hits.png``: Hit@k against k for each system that ran the music task.
Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no global state) and
written atomically.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from autocut_core.evaluation.columns import Column, unique_names, value_of
from autocut_core.evaluation.summary import SystemSummary
from autocut_core.fsutil import atomic_path

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_HIT = re.compile(r"hit@(\d+)")


def write_plots(
    folder: Path, systems: Sequence[SystemSummary], columns: Sequence[Column]
) -> list[Path]:
    folder = Path(folder)
    names = unique_names(systems)
    written = []
    shown = [c for c in columns if any(value_of(s, c) is not None for s in systems)]
    if shown:
        written.append(_save(_table_figure(systems, names, shown), folder / "table1.png"))
    if any(_hits(system) for system in systems):
        written.append(_save(_hits_figure(systems, names), folder / "hits.png"))
    return written


def _table_figure(
    systems: Sequence[SystemSummary], names: Sequence[str], columns: Sequence[Column]
) -> Figure:
    from matplotlib.figure import Figure

    per_row = min(4, len(columns))
    rows = math.ceil(len(columns) / per_row)
    figure = Figure(figsize=(3.2 * per_row, 2.6 * rows + 0.6), layout="constrained")
    axes = figure.subplots(rows, per_row, squeeze=False).ravel()
    colours = [f"C{i % 10}" for i in range(len(systems))]
    for axis, column in zip(axes, columns, strict=False):
        values = [value_of(system, column) for system in systems]
        heights = [0.0 if v is None else v for v in values]
        bars = axis.bar(range(len(systems)), heights, color=colours)
        for bar, value in zip(bars, values, strict=True):
            label = "-" if value is None else f"{value:.3g}"
            axis.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                          ha="center", va="bottom", fontsize=7)  # fmt: skip
        arrow = "↑" if column.higher_is_better else "↓"
        axis.set_title(f"{column.label} {arrow}", fontsize=9)
        axis.set_xticks([])
        axis.tick_params(labelsize=7)
    for axis in axes[len(columns) :]:
        axis.set_visible(False)
    from matplotlib.patches import Patch

    legend = [Patch(color=colour, label=name) for colour, name in zip(colours, names, strict=True)]
    figure.legend(handles=legend, loc="outside lower center", ncols=min(4, len(names)), fontsize=8)
    return figure


def _hits(system: SystemSummary) -> list[tuple[int, float]]:
    metrics = system.metrics.get("music", {})
    return sorted(
        (int(match.group(1)), value)
        for key, value in metrics.items()
        if (match := _HIT.fullmatch(key))
    )


def _hits_figure(systems: Sequence[SystemSummary], names: Sequence[str]) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(5, 3.5), layout="constrained")
    axis = figure.subplots()
    for index, (system, name) in enumerate(zip(systems, names, strict=True)):
        points = _hits(system)
        if points:
            ks, values = zip(*points, strict=True)
            axis.plot(ks, values, marker="o", color=f"C{index % 10}", label=name)
    axis.set_xlabel("k")
    axis.xaxis.set_major_locator(MaxNLocator(nbins="auto", integer=True))
    axis.set_ylabel("Hit@k (reference track in the top k)")
    axis.set_ylim(0, 1.05)
    axis.legend(fontsize=8)
    return figure


def _save(figure: Figure, path: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)
    return path
