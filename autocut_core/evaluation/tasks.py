"""Asking a backbone one task again: typed inputs from a sample, JSON out.

Each task turns an :class:`EvalSample` into the arguments of the backbone method the paper's
prompt corresponds to, calls it, and writes the prediction and the reference in the layout
the task's evaluator reads (the mappings of ``meta["answer"]``), so a results file can be
re-scored later without the backbone.

What the backbone may read about a clip follows the prompts (``clip_text``): no prompt shows
a clip's own transcript sentence (see :mod:`autocut_core.editing.prompts`), since for every
task that sentence gives the answer away (a select positive's sentence is a script line; for
``sort`` and ``script`` it IS the answer). ``clip_text="all"`` shows it, for ablations only.
A caption of caption data (what the clip shows) is shown under ``"prompt"``, as a text-only
baseline of the paper sees it; ``"none"`` shows nothing at all.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, singledispatch
from pathlib import Path
from typing import Any

from autocut_core.components import Backbone
from autocut_core.editing.records import (
    MusicRecord,
    ScriptRecord,
    SelectRecord,
    SftRecord,
    SortRecord,
)
from autocut_core.evaluation.records import EvalSample
from autocut_core.types import Candidate, Clip, MusicCandidate, Product, Script, Track

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


def reference_of(sample: EvalSample[SftRecord]) -> dict[str, Any]:
    """The sample's reference answer in the layout its task's evaluator reads."""
    return _reference(sample.record)


# Each task is one registration per record type (functools.singledispatch), so a new task is
# a new record type with its two functions here, not a branch in every function.


@singledispatch
def _reference(record: SftRecord) -> dict[str, Any]:
    raise TypeError(f"no evaluation task reads a {type(record).__name__}")


@_reference.register
def _(record: SelectRecord) -> dict[str, Any]:
    return {"indices": list(record.meta.answer.indices), "pool": len(record.meta.candidates)}


@_reference.register
def _(record: SortRecord) -> dict[str, Any]:
    return {"order": list(record.meta.answer.order)}


@_reference.register
def _(record: ScriptRecord) -> dict[str, Any]:
    return {"lines": list(record.meta.answer.lines)}


@_reference.register
def _(record: MusicRecord) -> dict[str, Any]:
    answer, pool = record.meta.answer, record.meta.music_pool
    paths = {track.track_id: track.path for track in pool}
    return {
        "track_id": answer.track_id,
        "path": answer.path or paths.get(answer.track_id, ""),
        "pool": [track.track_id for track in pool],
    }


def candidates_of(sample: EvalSample[SftRecord], clip_text: str = "prompt") -> list[Candidate]:
    """The clips in prompt order, with the caption the data gives them (caption data) and
    their transcript sentence only for the ``all`` ablation; ``none`` shows neither."""
    if clip_text not in CLIP_TEXT_MODES:
        raise ValueError(f"clip_text must be one of {CLIP_TEXT_MODES}, not {clip_text!r}")
    candidates = []
    for clip in sample.candidates:
        caption = "" if clip_text == "none" else clip.caption or ""
        if clip_text == "all" and clip.text:
            caption = clip.text
        start, end = clip.span() if clip.timed else UNTIMED_SPAN
        candidates.append(
            Candidate(
                clip=Clip(source_id=clip.source_id, start=start, end=end, caption=caption),
                tokens=clip.tokens,
                caption=caption,
                source_path=clip.source_path,
                caption_source="caption data" if caption and caption == clip.caption else "",
                timed=clip.timed,
            )
        )
    return candidates


#: The placeholder span of a clip whose times the caption data does not give
#: (``Candidate.timed`` is False, so no backbone shows or reads it).
UNTIMED_SPAN = (0.0, 1.0)


def tracks_of(sample: EvalSample[SftRecord]) -> list[MusicCandidate]:
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


@dataclass(frozen=True)
class _Inputs:
    """A sample's task inputs as the backbone methods take them."""

    product: Product
    script: Script
    candidates: list[Candidate]
    tracks: list[MusicCandidate]


def ask(backbone: Backbone, sample: EvalSample[SftRecord], clip_text: str = "prompt") -> Answer:
    """Run the sample's task on ``backbone``; the answer is recorded as given, not checked."""
    inputs = _Inputs(
        product=sample.product,
        script=Script(sentences=sample.script),
        candidates=candidates_of(sample, clip_text),
        tracks=tracks_of(sample),
    )
    started = time.perf_counter()
    prediction = _predict(sample.record, backbone, inputs)
    seconds = time.perf_counter() - started
    return Answer(prediction=prediction, reference=reference_of(sample), seconds=seconds)


@singledispatch
def _predict(record: SftRecord, backbone: Backbone, inputs: _Inputs) -> dict[str, Any]:
    raise TypeError(f"no evaluation task asks for a {type(record).__name__}")


@_predict.register
def _(record: SelectRecord, backbone: Backbone, inputs: _Inputs) -> dict[str, Any]:
    count = len(record.meta.answer.indices)
    selection = backbone.select(inputs.product, inputs.script, inputs.candidates, count)
    prediction: dict[str, Any] = {"indices": list(selection.indices)}
    if selection.scores:
        prediction["scores"] = list(selection.scores)
    return prediction


@_predict.register
def _(record: SortRecord, backbone: Backbone, inputs: _Inputs) -> dict[str, Any]:
    ordering = backbone.sort(inputs.product, inputs.script, inputs.candidates)
    return {"order": list(ordering.order)}


@_predict.register
def _(record: ScriptRecord, backbone: Backbone, inputs: _Inputs) -> dict[str, Any]:
    written = backbone.write_script(inputs.product, inputs.candidates)
    return {"lines": list(written.sentences)}


@_predict.register
def _(record: MusicRecord, backbone: Backbone, inputs: _Inputs) -> dict[str, Any]:
    return _music(backbone, inputs.product, inputs.script, inputs.candidates, inputs.tracks)


def _music(
    backbone: Backbone,
    product: Product,
    script: Script,
    clips: Sequence[Candidate],
    tracks: Sequence[MusicCandidate],
) -> dict[str, Any]:
    """The pick (scored by mss_proxy) and a ranking of the pool (scored by Hit@k and MRR).

    A backbone with the ``rank_music`` capability (one checked, finite score per track, higher
    is better) is ranked by it, equal scores tied; otherwise its pick is rank 1 and the rest
    of the pool is tied behind it (the evaluator does that part).
    """
    choice = backbone.pick_music(product, script, clips, tracks)
    paths = {track.track.track_id: track.track.path for track in tracks}
    prediction: dict[str, Any] = {
        "track_id": choice.track_id,
        "path": paths.get(choice.track_id, ""),
        "ranking": [[choice.track_id]],
    }
    if choice.score is not None:
        prediction["score"] = choice.score
    if "rank_music" in backbone.capabilities:
        scores = backbone.rank_music(product, script, clips, tracks)
        prediction["ranking"] = tiers_by_score([t.track.track_id for t in tracks], scores)
        prediction["scores"] = scores
    return prediction


def tiers_by_score(ids: Sequence[str], scores: Sequence[float]) -> list[list[str]]:
    """Ids grouped by equal score, best first (pool order inside a tie, for stable files)."""
    by_score: dict[float, list[str]] = {}
    for track_id, score in zip(ids, scores, strict=True):
        by_score.setdefault(score, []).append(track_id)
    return [by_score[score] for score in sorted(by_score, reverse=True)]
