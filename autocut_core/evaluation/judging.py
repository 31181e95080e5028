"""The LLM-judged columns (VSC, SQ) as a second, resumable pass over a results folder.

Judging needs a chat endpoint (GPT-4o in the paper; any OpenAI-compatible server here, see
:mod:`autocut_core.llm.judges`), so it is optional and kept apart from the metric pass: its
scores go to ``judges.jsonl``, one line per judged sample, appended as they come, and a
re-run judges only what is missing there (the chat client's cache makes repeats free too).

- VSC on ``sort`` samples: the clip the backbone put i-th is judged against sentence i of the
  script (paper §4.2: "each video-script pair"), on the clip's middle frame; the sample's VSC
  is the mean over its pairs, in {0, 1, 2}.
- SQ on ``script`` samples: the generated lines against the reference, on the 100-point rubric.

An invalid or empty answer scores 0 without asking (there is nothing to judge, and skipping
it would reward it); a judge that cannot be read or reached leaves the sample unjudged with
its error recorded, and the column averages over the judged samples only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_core.editing.records import ScriptRecord
from autocut_core.errors import AutocutError, InputError
from autocut_core.evaluation.records import EvalSample
from autocut_core.evaluation.results import JUDGES_FILE, ResultsLog

if TYPE_CHECKING:
    from autocut_core.llm.judges import Judge

#: task -> the judged metric of its samples.
JUDGED: dict[str, str] = {"sort": "vsc", "script": "sq"}


@dataclass
class JudgeStats:
    judged: int = 0
    skipped: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    usage: str = ""


def judge_results(
    judge: Judge,
    samples: Sequence[EvalSample],
    records: Sequence[Mapping[str, Any]],
    folder: Path,
    progress: Callable[[int, int, EvalSample], None] | None = None,
) -> JudgeStats:
    """Judge every scored ``sort``/``script`` sample of ``folder`` not judged yet."""
    log = ResultsLog(Path(folder), JUDGES_FILE)
    scored = {record["sample_id"]: record for record in records}
    todo = [s for s in samples if s.task in JUDGED and s.sample_id in scored]
    stats = JudgeStats()
    for done, sample in enumerate(todo, start=1):
        if sample.sample_id in log.done:
            stats.skipped += 1
        else:
            entry = judge_sample(judge, sample, scored[sample.sample_id]["prediction"])
            log.append(entry)
            stats.judged += 1
            if entry["error"]:
                stats.errors.append((sample.sample_id, entry["error"]))
        if progress is not None:
            progress(done, len(todo), sample)
    stats.usage = judge.summary()
    return stats


def judge_sample(judge: Judge, sample: EvalSample, prediction: Mapping[str, Any]) -> dict[str, Any]:
    metric = JUDGED[sample.task]
    entry: dict[str, Any] = {"sample_id": sample.sample_id, "task": sample.task,
                             "judge": judge.client.label, "error": None}  # fmt: skip
    try:
        entry[metric] = (
            _vsc(judge, sample, prediction) if metric == "vsc" else _sq(judge, sample, prediction)
        )
    except AutocutError as failure:
        entry["error"] = f"{type(failure).__name__}: {failure}"
    return entry


def _vsc(judge: Judge, sample: EvalSample, prediction: Mapping[str, Any]) -> float:
    order = list(prediction.get("order") or [])
    if sorted(order) != list(range(len(sample.candidates))):
        return 0.0
    pairs = list(zip(sample.script, (sample.candidates[i] for i in order), strict=False))
    unseen = [clip.clip_id or "?" for _, clip in pairs if not (clip.source_path and clip.timed)]
    if unseen:  # caption data without footage: the judge has no frame to look at
        raise InputError(
            f"VSC needs each clip's footage and times; clip(s) {', '.join(unseen[:3])} of "
            f"{sample.ad_id or sample.sample_id} have none"
        )
    scores = []
    for sentence, clip in pairs:
        start, end = clip.span()
        scores.append(judge.vsc_clip(clip.source_path, start, end, sentence))
    return sum(scores) / len(scores) if scores else 0.0


def _sq(judge: Judge, sample: EvalSample, prediction: Mapping[str, Any]) -> float:
    lines = [line for line in prediction.get("lines") or [] if str(line).strip()]
    if not lines:
        return 0.0
    record = sample.record
    assert isinstance(record, ScriptRecord)  # JUDGED asks for sq on script samples only
    return float(judge.sq(sample.product, list(record.meta.answer.lines), lines).total)
