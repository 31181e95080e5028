"""The columns of the paper's Table 1 and how a system's value, rank and row label are read.

Shared by the Markdown/HTML report and the plots, which draw the same columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autocut_core.evaluation.summary import SystemSummary


@dataclass(frozen=True)
class Column:
    """One column of Table 1: which task's metric, how it is shown and which way is better."""

    group: str
    task: str | None  # None: the first task that has the metric (judge scores)
    metric: str
    label: str
    higher_is_better: bool = True
    digits: int = 4
    #: Shown only when some system has it (LLM-judge scores need an endpoint).
    optional: bool = False


#: Table 1's columns with the paper's definitions under the paper's labels, then the project's
#: stricter variants in a group of their own, under their own labels (docs/evaluation.md gives
#: both formulas), so a row reproduces the paper's figures and still shows what they forgive.
COLUMNS: tuple[Column, ...] = (
    Column("Video", "select", "csa", "CSA"),
    Column("Video", "sort", "cra", "CRA"),
    Column("Video", "sort", "pairwise", "Pairwise"),
    Column("Video", "sort", "kendall_tau", "τ"),
    Column("Video", None, "vsc", "VSC", optional=True),
    Column("Script", None, "sq", "SQ", digits=2, optional=True),
    Column("Script", "script", "wcd", "WCD", higher_is_better=False),
    Column("Audio", "music", "hit@1", "Hit@1"),
    Column("Audio", "music", "hit@3", "Hit@3"),
    Column("Audio", "music", "mrr", "MRR"),
    Column("Audio", "music", "mss_proxy", "MSS-proxy"),
    Column("Project", "select", "csa_exact", "CSA exact"),
    Column("Project", "sort", "pairwise_strict", "Pairwise strict"),
    Column("Project", "sort", "kendall_tau_strict", "τ strict"),
    Column("Project", "script", "wcd_units", "WCD units", higher_is_better=False),
    Column("Project", "script", "wcd_ad", "WCD/ad", higher_is_better=False, digits=2),
    Column("Project", "script", "line_agreement", "Lines"),
)


def value_of(system: SystemSummary, column: Column) -> float | None:
    if column.task is not None:
        return system.value(column.task, column.metric)
    for metrics in system.metrics.values():
        if column.metric in metrics:
            return metrics[column.metric]
    return None


def columns_for(systems: Sequence[SystemSummary]) -> list[Column]:
    return [
        column
        for column in COLUMNS
        if not column.optional or any(value_of(s, column) is not None for s in systems)
    ]


def ranks(systems: Sequence[SystemSummary], column: Column) -> list[int | None]:
    """1 for the best value (ties share it), 2 for the second best, None otherwise."""
    values = [value_of(system, column) for system in systems]
    present = sorted(
        {round(v, 9) for v in values if v is not None}, reverse=column.higher_is_better
    )
    if len(systems) < 2 or len(present) < 1:
        return [None] * len(systems)
    places = {value: place for place, value in enumerate(present[:2], start=1)}
    return [None if v is None else places.get(round(v, 9)) for v in values]


def unique_names(systems: Sequence[SystemSummary]) -> list[str]:
    """Row labels; a name used twice is told apart by its folder."""
    names = [system.system for system in systems]
    return [
        f"{name} ({Path(system.folder).name})" if names.count(name) > 1 and system.folder else name
        for name, system in zip(names, systems, strict=True)
    ]
