"""Tasks the backbone cannot see: refused before anything runs, or run only when asked, loudly.

A backbone asked to sort clips it cannot perceive (no captions under ``--clip-text prompt``,
no frames, no tokens) still answers: ``similarity`` returns the input order, and the table
gets a number that measures nothing. Whether a backbone can see a sample is what it already
tells the pipelines (:meth:`~autocut_core.components.Backbone.evidence_problems`: each missing
piece of evidence with its fix), so the harness asks the same question of every sample,
with the candidates exactly as the task will show them, instead of a check of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autocut_core.components import Backbone
from autocut_core.errors import InputError
from autocut_core.evaluation.records import EvalSample
from autocut_core.evaluation.tasks import candidates_of
from autocut_core.types import Script


@dataclass(frozen=True)
class BlindTask:
    """A task some of whose samples the backbone lacks evidence for."""

    task: str
    blind: int
    total: int
    #: The problems of the first such sample, and its id.
    problems: tuple[str, ...]
    example: str

    def describe(self) -> str:
        return (
            f"{self.task}: {self.blind} of {self.total} sample(s), e.g. {self.example}: "
            + "; ".join(self.problems)
        )


def blind_tasks(
    backbone: Backbone, samples: Sequence[EvalSample], clip_text: str
) -> list[BlindTask]:
    """Each task with a sample ``backbone`` reports missing evidence for, in task order.

    A ``script`` sample has no script to match, so it is asked with the reference lines
    (what the clips would have to be matched against to be described at all).
    """
    found: dict[str, list[tuple[str, list[str]]]] = {}
    totals: dict[str, int] = {}
    for sample in samples:
        totals[sample.task] = totals.get(sample.task, 0) + 1
        lines = sample.script or _reference_lines(sample)
        problems = backbone.evidence_problems(
            Script(sentences=tuple(lines)), candidates_of(sample, clip_text)
        )
        if problems:
            found.setdefault(sample.task, []).append((sample.sample_id, problems))
    return [
        BlindTask(task, len(hits), totals[task], tuple(hits[0][1]), hits[0][0])
        for task, hits in found.items()
    ]


def refuse_blind(backbone: Backbone, blind: Sequence[BlindTask], clip_text: str) -> None:
    """The error of a run that would score tasks the backbone cannot see."""
    listed = "\n".join(f"  {task.describe()}" for task in blind)
    raise InputError(
        f"backbone '{backbone.name}' cannot see the inputs of {len(blind)} task(s) under "
        f"--clip-text {clip_text}, so its answers there would measure nothing:\n{listed}\n"
        "Fix what is named, leave the task(s) out with --task, or pass --allow-blind to run "
        "them anyway (the report then marks the row as run blind)."
    )


def _reference_lines(sample: EvalSample) -> tuple[str, ...]:
    answer = getattr(sample.record.meta, "answer", None)
    return tuple(getattr(answer, "lines", ()) or ())
