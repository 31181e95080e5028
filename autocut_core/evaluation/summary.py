"""One system's corpus-level figures, computed from its results file.

The results file is the source of truth: a summary is always recomputed from it (with each
task's evaluator's ``aggregate``), so an earlier run compared with ``--compare`` is
summarised exactly like the current one, and re-scoring needs no backbone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autocut_core.errors import InputError
from autocut_core.evaluation.results import JUDGES_FILE, RESULTS_FILE, read_results, read_run

SUMMARY_FILE = "summary.json"


@dataclass
class SystemSummary:
    """A row of the report: a system's metrics per task, with how many samples made them."""

    system: str
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    #: Samples with an LLM-judge score, by task (VSC on sort, SQ on script).
    judged: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    run: dict[str, Any] = field(default_factory=dict)
    folder: str = ""

    def value(self, task: str, metric: str) -> float | None:
        return self.metrics.get(task, {}).get(metric)

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "metrics": self.metrics,
            "samples": self.samples,
            "errors": self.errors,
            "judged": self.judged,
            "seconds_per_sample": self.seconds,
            "run": self.run,
        }


def summarise(
    system: str,
    records: Sequence[Mapping[str, Any]],
    run: Mapping[str, Any] | None = None,
    judges: Sequence[Mapping[str, Any]] = (),
) -> SystemSummary:
    """Aggregate per-sample metrics by task (the task's evaluator decides how); judge
    scores (``judges.jsonl`` entries) are averaged over the samples that have them."""
    by_task: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    summary = SystemSummary(system=system, run=dict(run or {}))
    for task, rows in by_task.items():
        summary.metrics[task] = _aggregate(rows[0].get("evaluator"), [r["metrics"] for r in rows])
        summary.samples[task] = len(rows)
        summary.errors[task] = sum(1 for r in rows if r.get("error"))
        summary.seconds[task] = sum(float(r.get("seconds", 0.0)) for r in rows) / len(rows)
    _add_judges(summary, {record["sample_id"] for record in records}, judges)
    return summary


def _add_judges(
    summary: SystemSummary, scored: set[str], judges: Sequence[Mapping[str, Any]]
) -> None:
    by_task: dict[str, list[Mapping[str, Any]]] = {}
    for entry in judges:
        if entry.get("sample_id") in scored and not entry.get("error"):
            by_task.setdefault(entry["task"], []).append(entry)
    for task, entries in by_task.items():
        for metric in ("vsc", "sq"):
            values = [float(entry[metric]) for entry in entries if metric in entry]
            if values:
                summary.metrics.setdefault(task, {})[metric] = sum(values) / len(values)
                summary.judged[task] = len(values)


def _aggregate(
    evaluator_name: str | None, per_sample: list[Mapping[str, float]]
) -> dict[str, float]:
    from autocut_core.components import mean_where_present
    from autocut_core.errors import UnknownComponentError
    from autocut_core.plugins import get_registry

    if evaluator_name:
        try:
            return get_registry().create("evaluator", evaluator_name).aggregate(per_sample)
        except UnknownComponentError:
            pass  # the plugin that scored it is gone: fall back to plain means
    return mean_where_present(per_sample)


def load_system(folder: Path, name: str | None = None) -> SystemSummary:
    """The summary of an evaluation folder (``autocut eval -o FOLDER``), from its results."""
    folder = Path(folder)
    results = folder / RESULTS_FILE
    if not results.is_file():
        raise InputError(f"{folder}: no {RESULTS_FILE} here (is it an `autocut eval -o` folder?)")
    run = read_run(folder) or {}
    judges = read_results(folder / JUDGES_FILE)
    summary = summarise(
        name or run.get("system") or folder.name, read_results(results), run, judges
    )
    summary.folder = str(folder)
    return summary


def write_summary(folder: Path, summary: SystemSummary) -> Path:
    from autocut_core.fsutil import atomic_write_text

    path = Path(folder) / SUMMARY_FILE
    atomic_write_text(path, json.dumps(summary.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return path
