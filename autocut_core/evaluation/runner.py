"""Run one backbone over a test set: ask, score, append; skip what is already scored.

Samples are scored one at a time and appended to the results file as soon as they are, so
an interrupted run loses at most the sample in flight and a re-run picks up after the last
whole line. A backbone that fails on a sample with an :class:`AutocutError` (an answer it
could not parse, a file it could not read) gets that sample scored as an empty answer and
the error recorded beside it; any other exception is a bug and stops the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from autocut_core.components import Backbone, Evaluator
from autocut_core.errors import AutocutError, InputError
from autocut_core.evaluation.records import EvalSample
from autocut_core.evaluation.results import ResultsLog
from autocut_core.evaluation.tasks import (
    CAPABILITIES,
    EVALUATORS,
    Answer,
    ask,
    empty_prediction,
    reference_of,
)

#: ``progress(done, total, sample)`` after each sample (skipped ones included).
Progress = Callable[[int, int, EvalSample], None]


@dataclass
class RunStats:
    """What one call of :func:`run` did."""

    scored: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def runnable_tasks(backbone: Backbone, wanted: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """(tasks to run, tasks left out because the backbone cannot do them).

    Tasks asked for by name must be possible; with none named, every possible one runs.
    """
    tasks = list(wanted) if wanted else list(CAPABILITIES)
    unknown = [task for task in tasks if task not in CAPABILITIES]
    if unknown:
        raise InputError(f"unknown task(s) {', '.join(unknown)}; tasks: {', '.join(CAPABILITIES)}")
    missing = [task for task in tasks if CAPABILITIES[task] not in backbone.capabilities]
    if wanted and missing:
        can = ", ".join(sorted(backbone.capabilities)) or "nothing"
        raise InputError(
            f"backbone '{backbone.name}' cannot do task(s) {', '.join(missing)} (it can: {can})"
        )
    return [task for task in tasks if task not in missing], missing


def make_evaluators(
    tasks: Sequence[str], options: Callable[[str], Mapping[str, Any]] | None = None
) -> dict[str, Evaluator]:
    """The evaluator of each task, built with ``options(name)`` (e.g. ``[evaluators.music]``)."""
    from autocut_core.plugins import get_registry

    registry = get_registry()
    return {
        task: registry.create(
            "evaluator", EVALUATORS[task], dict(options(EVALUATORS[task])) if options else {}
        )
        for task in tasks
    }


def run(
    backbone: Backbone,
    samples: Sequence[EvalSample],
    evaluators: Mapping[str, Evaluator],
    log: ResultsLog,
    *,
    system: str,
    clip_text: str = "prompt",
    progress: Progress | None = None,
) -> RunStats:
    """Score every sample of a task in ``evaluators`` that ``log`` does not hold yet."""
    stats = RunStats()
    todo = [sample for sample in samples if sample.task in evaluators]
    started = time.perf_counter()
    for done, sample in enumerate(todo, start=1):
        if sample.sample_id in log.done:
            stats.skipped += 1
        else:
            record = score_sample(backbone, sample, evaluators[sample.task], system, clip_text)
            log.append(record)
            stats.scored += 1
            if record["error"]:
                stats.errors.append((sample.sample_id, record["error"]))
        if progress is not None:
            progress(done, len(todo), sample)
    stats.seconds = time.perf_counter() - started
    return stats


def score_sample(
    backbone: Backbone, sample: EvalSample, evaluator: Evaluator, system: str, clip_text: str
) -> dict[str, Any]:
    """One results record: the answer, the reference, the metrics and any error."""
    started = time.perf_counter()
    error = None
    try:
        answer = ask(backbone, sample, clip_text)
    except AutocutError as failure:
        error = f"{type(failure).__name__}: {failure}"
        answer = Answer(
            prediction=empty_prediction(sample.task),
            reference=reference_of(sample),
            seconds=time.perf_counter() - started,
        )
    (metrics,) = evaluator.score_batch([answer.prediction], [answer.reference])
    return {
        "sample_id": sample.sample_id,
        "line": sample.line,
        "task": sample.task,
        "ad_id": sample.ad_id,
        "lang": sample.lang,
        "system": system,
        "evaluator": evaluator.name,
        "prediction": answer.prediction,
        "reference": answer.reference,
        "metrics": metrics,
        "error": error,
        "seconds": round(answer.seconds, 4),
    }
