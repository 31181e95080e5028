"""One evaluation, end to end: read, run, score, summarise, report (what `autocut eval` does).

An output folder holds one system's run: ``run.json`` (what produced it), ``results.jsonl``
(one scored sample per line), ``summary.json`` and the report files. ``compare`` folders
are earlier runs whose rows are added to this report; they are read, never changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_core.components import Backbone
from autocut_core.errors import InputError
from autocut_core.evaluation.blind import blind_tasks, refuse_blind
from autocut_core.evaluation.records import read_test_set, test_set_profile
from autocut_core.evaluation.report import write_report
from autocut_core.evaluation.results import RESULTS_FILE, start_run
from autocut_core.evaluation.runner import (
    Progress,
    RunStats,
    make_evaluators,
    run,
    runnable_tasks,
)
from autocut_core.evaluation.summary import SystemSummary, load_system, write_summary

if TYPE_CHECKING:
    from autocut_core.evaluation.judging import JudgeStats
    from autocut_core.llm.judges import Judge


@dataclass
class Evaluation:
    """What an evaluation did and wrote."""

    systems: list[SystemSummary]
    written: dict[str, Path]
    stats: RunStats | None = None
    judge_stats: JudgeStats | None = None
    tasks: list[str] = field(default_factory=list)
    #: Tasks of the test set the backbone cannot do (left out, shown as "-").
    left_out: list[str] = field(default_factory=list)
    #: Tasks run with ``allow_blind`` although the backbone lacked evidence (one line each).
    blind: list[str] = field(default_factory=list)
    #: Caption data: "task: N ad(s) gave no sample (why)", one line per reason.
    not_built: list[str] = field(default_factory=list)
    #: ``sft`` or ``captions`` (the layout of ``data``).
    layout: str = ""


def evaluate(
    data: Path,
    backbone: Backbone,
    output: Path,
    *,
    system: str | None = None,
    tasks: Sequence[str] | None = None,
    limit: int | None = None,
    clip_text: str = "prompt",
    evaluator_options: Callable[[str], Mapping[str, Any]] | None = None,
    fresh: bool = False,
    compare: Sequence[Path] = (),
    plots: bool = True,
    progress: Progress | None = None,
    on_start: Callable[[int], None] | None = None,
    judge: Judge | None = None,
    allow_blind: bool = False,
) -> Evaluation:
    """Run ``backbone`` over the test set ``data`` into ``output`` and write the report.

    ``limit`` caps the samples per task (the first ones in the file); ``on_start(n)`` is
    called with the number of samples about to be visited (for a progress bar), once for
    the backbone and, with a ``judge``, once more for the VSC/SQ pass.

    A task whose samples the backbone reports missing evidence for (:mod:`.blind`) is
    refused before anything runs; ``allow_blind`` runs it, recorded in ``run.json`` and
    marked in the report.
    """
    if limit is not None and limit < 1:
        raise InputError(f"--limit must be at least 1, got {limit}")
    chosen, left_out = runnable_tasks(backbone, tasks)
    compare_systems = [load_system(Path(folder)) for folder in compare]  # fail before running
    test_set = read_test_set(Path(data), chosen, limit)
    samples = test_set.samples
    profile = test_set_profile(Path(data))
    use_profile = getattr(backbone, "use_data_profile", None)
    if callable(use_profile):  # a backbone that asks in either profile (lm) asks in the data's
        use_profile(profile)
    blind = blind_tasks(backbone, samples, clip_text)
    if blind and not allow_blind:
        refuse_blind(backbone, blind, clip_text)
    name = system or backbone.name
    log = start_run(
        Path(output),
        {
            "system": name,
            "backbone": backbone.name,
            "backbone_options": backbone.settings.model_dump(mode="json"),
            "clip_text": clip_text,
            "data": str(Path(data).resolve()),
            "profile": profile,
            "tasks": chosen,
            "limit": limit,
            "layout": test_set.layout,
            "blind": [task.describe() for task in blind],
        },
        fresh=fresh,
    )
    evaluators = make_evaluators(chosen, evaluator_options)
    if on_start is not None:
        on_start(len(samples))
    stats = run(backbone, samples, evaluators, log, system=name, clip_text=clip_text,
                progress=progress)  # fmt: skip
    judge_stats = None
    if judge is not None:
        from autocut_core.evaluation.judging import JUDGED, judge_results

        if on_start is not None:
            on_start(sum(1 for sample in samples if sample.task in JUDGED))
        judge_stats = judge_results(judge, samples, log.records, Path(output), progress)
    current = load_system(Path(output))
    write_summary(Path(output), current)
    systems = [current, *compare_systems]
    written = write_report(Path(output), systems, plots=plots)
    not_built = [
        f"{task}: {count} ad(s) gave no sample ({why})"
        for (task, why), count in sorted(test_set.not_built.items())
    ]
    return Evaluation(
        systems, written, stats, judge_stats, chosen, left_out,
        blind=[task.describe() for task in blind], not_built=not_built, layout=test_set.layout,
    )  # fmt: skip


def report_only(output: Path, compare: Sequence[Path] = (), plots: bool = True) -> Evaluation:
    """Rewrite the report of ``output`` (its own results, if any, and ``compare``'s rows)."""
    output = Path(output)
    systems = [load_system(output)] if (output / RESULTS_FILE).is_file() else []
    systems += [load_system(Path(folder)) for folder in compare]
    if not systems:
        raise InputError(
            f"{output}: nothing to report: no {RESULTS_FILE} there and no --compare folder"
        )
    return Evaluation(systems, write_report(output, systems, plots=plots))
