"""Asking a backbone one task again: typed inputs from a sample, JSON out.

Each task turns an :class:`EvalSample` into the arguments of the backbone method the paper's
prompt corresponds to, calls it, and writes the prediction and the reference in the layout
the task's evaluator reads (the mappings of ``meta["answer"]``), so a results file can be
re-scored later without the backbone.

What the backbone may read about a clip follows the prompts (``clip_text``): the clip's
own transcript sentence is shown only in the select prompt (paper §3.1). For ``sort`` and
``script`` that sentence IS the answer, so ``clip_text="all"`` is for ablations only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from autocut_core.components import Backbone
from autocut_core.evaluation.records import EvalSample
from autocut_core.types import Candidate, Clip, MusicCandidate, Script, Track

#: task -> the backbone capability (and method) it needs.
CAPABILITIES: dict[str, str] = {
    "select": "select",
    "sort": "sort",
    "script": "write_script",
    "music": "pick_music",
}
#: task -> the evaluator that scores it.
EVALUATORS: dict[str, str] = {
    "select": "selection",
    "sort": "ordering",
    "script": "script",
    "music": "music",
}
CLIP_TEXT_MODES = ("prompt", "all", "none")


@dataclass(frozen=True)
class Answer:
    """What a backbone answered, as the evaluator reads it, and the reference beside it."""

    prediction: dict[str, Any]
    reference: dict[str, Any]
    #: Seconds the backbone took (its calls only, not building the inputs).
    seconds: float = 0.0


def empty_prediction(task: str) -> dict[str, Any]:
    """The prediction of a sample whose backbone call failed: scored as wrong."""
    return {"select": {"indices": []}, "sort": {"order": []}, "script": {"lines": []},
            "music": {"ranking": []}}[task]  # fmt: skip


def reference_of(sample: EvalSample) -> dict[str, Any]:
    answer = sample.answer
    if sample.task == "select":
        return {"indices": list(answer["indices"]), "pool": len(sample.candidates)}
    if sample.task == "sort":
        return {"order": list(answer["order"])}
    if sample.task == "script":
        return {"lines": list(answer["lines"])}
    paths = {track.track_id: track.path for track in sample.music_pool}
    return {
        "track_id": answer["track_id"],
        "path": answer.get("path") or paths.get(answer["track_id"], ""),
        "pool": [track.track_id for track in sample.music_pool],
    }


def candidates_of(sample: EvalSample, clip_text: str = "prompt") -> list[Candidate]:
    """The clips in prompt order, with their transcript sentence where the prompt shows it."""
    if clip_text not in CLIP_TEXT_MODES:
        raise ValueError(f"clip_text must be one of {CLIP_TEXT_MODES}, not {clip_text!r}")
    shown = clip_text == "all" or (clip_text == "prompt" and sample.task == "select")
    return [
        Candidate(
            clip=Clip(
                source_id=clip.source_id,
                start=clip.start,
                end=clip.end,
                caption=clip.text if shown else "",
            ),
            tokens=clip.tokens,
            caption=clip.text if shown else "",
            source_path=clip.source_path,
        )
        for clip in sample.candidates
    ]


def tracks_of(sample: EvalSample) -> list[MusicCandidate]:
    """The music pool as the library would offer it (title = file name, as `index` stores)."""
    return [
        MusicCandidate(
            track=Track(
                track_id=track.track_id,
                path=track.path,
                duration=_duration(track.path),
                title=track.title if track.title is not None else Path(track.path).stem,
            ),
            tokens=track.tokens,
        )
        for track in sample.music_pool
    ]


@cache
def _duration(path: str) -> float:
    """Seconds of a track file (0 when it is not there: a backbone that listens will say so)."""
    if not path or not os.path.isfile(path):
        return 0.0
    from autocut_core.media import MediaError, probe

    try:
        return float(probe(path).duration)
    except MediaError:
        return 0.0


def ask(backbone: Backbone, sample: EvalSample, clip_text: str = "prompt") -> Answer:
    """Run the sample's task on ``backbone``; the answer is recorded as given, not checked."""
    candidates = candidates_of(sample, clip_text)
    tracks = tracks_of(sample) if sample.task == "music" else []
    script = Script(sentences=sample.script)
    product = sample.product
    started = time.perf_counter()
    prediction: dict[str, Any]
    if sample.task == "select":
        count = len(sample.answer["indices"])
        selection = backbone.select(product, script, candidates, count)
        prediction = {"indices": list(selection.indices)}
        if selection.scores:
            prediction["scores"] = list(selection.scores)
    elif sample.task == "sort":
        ordering = backbone.sort(product, script, candidates)
        prediction = {"order": list(ordering.order)}
    elif sample.task == "script":
        written = backbone.write_script(product, candidates)
        prediction = {"lines": list(written.sentences)}
    else:
        prediction = _music(backbone, sample, script, candidates, tracks)
    seconds = time.perf_counter() - started
    return Answer(prediction=prediction, reference=reference_of(sample), seconds=seconds)


def _music(
    backbone: Backbone,
    sample: EvalSample,
    script: Script,
    clips: Sequence[Candidate],
    tracks: Sequence[MusicCandidate],
) -> dict[str, Any]:
    """The pick (scored by mss_proxy) and a ranking of the pool (scored by Hit@k and MRR).

    A backbone with the ``rank_music`` capability (one checked, finite score per track, higher
    is better) is ranked by it, equal scores tied; otherwise its pick is rank 1 and the rest
    of the pool is tied behind it (the evaluator does that part).
    """
    choice = backbone.pick_music(sample.product, script, clips, tracks)
    paths = {track.track.track_id: track.track.path for track in tracks}
    prediction: dict[str, Any] = {
        "track_id": choice.track_id,
        "path": paths.get(choice.track_id, ""),
        "ranking": [[choice.track_id]],
    }
    if choice.score is not None:
        prediction["score"] = choice.score
    if "rank_music" in backbone.capabilities:
        scores = backbone.rank_music(sample.product, script, clips, tracks)
        prediction["ranking"] = tiers_by_score([t.track.track_id for t in tracks], scores)
        prediction["scores"] = scores
    return prediction


def tiers_by_score(ids: Sequence[str], scores: Sequence[float]) -> list[list[str]]:
    """Ids grouped by equal score, best first (pool order inside a tie, for stable files)."""
    by_score: dict[float, list[str]] = {}
    for track_id, score in zip(ids, scores, strict=True):
        by_score.setdefault(score, []).append(track_id)
    return [by_score[score] for score in sorted(by_score, reverse=True)]
