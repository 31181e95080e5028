"""Cutting footage into visual clips ("by clip" in the paper, §7.2).

A cut goes where consecutive frame embeddings stop looking alike: the cosine similarity of
frame t and frame t+1 drops below a threshold (the paper; the public reference uses 0.85), or,
in the adaptive variant, drops well below the similarity typical of the last few seconds.
Pure NumPy on vectors someone else computed, so any encoder can drive it.

Clip boundaries are contiguous; a cut is placed at the first dense frame that shows the new
shot, so a clip never starts with a frame of the previous shot. That frame may come up to one
dense step after the real cut; :mod:`autocut_core.materials.cut_refine` then moves each cut
to the native frame where the shot changes, so a clip does not end with frames of the next.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

Method = Literal["threshold", "adaptive"]


@dataclass(frozen=True)
class SegmentSettings:
    """How cuts are found. See docs/materials.md for how the defaults were chosen."""

    method: Method = "threshold"
    #: threshold: cut where consecutive similarity < this.
    threshold: float = 0.85
    #: adaptive: cut where similarity is this far below the mean of the preceding window...
    adaptive_drop: float = 0.12
    #: ...of this many seconds,
    window_seconds: float = 2.0
    #: ...and below this ceiling (near-identical frames are never a cut).
    adaptive_ceiling: float = 0.97
    #: No clip shorter than this. At least 1 s, so clip ids (whole start seconds) stay unique.
    min_clip_seconds: float = 1.0
    #: Longer shots are split evenly, so a clip id's 3-digit duration and a 2-60 s clip fit.
    max_clip_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.min_clip_seconds < 1.0:
            raise ValueError("min_clip_seconds must be >= 1 (clip ids count whole seconds)")
        if self.max_clip_seconds < 2 * self.min_clip_seconds:
            raise ValueError("max_clip_seconds must be at least twice min_clip_seconds")
        if self.method not in ("threshold", "adaptive"):
            raise ValueError(f"unknown segmentation method {self.method!r}")


def consecutive_similarity(vectors: np.ndarray) -> np.ndarray:
    """Cosine similarity of each frame with the next: length ``len(vectors) - 1``."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if len(matrix) < 2:
        return np.zeros(0, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1)
    norms[norms == 0] = 1.0
    unit = matrix / norms[:, None]
    return np.einsum("ij,ij->i", unit[:-1], unit[1:])


def _candidate_scores(similarity: np.ndarray, fps: float, settings: SegmentSettings) -> np.ndarray:
    """Per gap, how strongly it looks like a cut (> 0 means candidate)."""
    if settings.method == "threshold":
        return settings.threshold - similarity
    window = max(1, round(settings.window_seconds * fps))
    padded = np.concatenate(
        [np.full(window, similarity[0] if len(similarity) else 1.0), similarity]
    )
    cumulative = np.concatenate([[0.0], np.cumsum(padded, dtype=np.float64)])
    preceding_mean = (cumulative[window:-1] - cumulative[: -window - 1]) / window
    drop = preceding_mean - similarity
    return np.where(similarity < settings.adaptive_ceiling, drop - settings.adaptive_drop, -1.0)


def find_cuts(
    times: np.ndarray, vectors: np.ndarray, duration: float, settings: SegmentSettings | None = None
) -> list[float]:
    """Cut times in seconds (each the time of the first frame of a new shot), ascending.

    Strongest cuts are kept first; a weaker cut closer than ``min_clip_seconds`` to a kept cut
    or to either end of the video is dropped.
    """
    settings = settings or SegmentSettings()
    times = np.asarray(times, dtype=np.float64)
    if len(times) < 2:
        return []
    fps = (len(times) - 1) / max(times[-1] - times[0], 1e-9)
    scores = _candidate_scores(consecutive_similarity(vectors), fps, settings)
    kept: list[float] = []
    for gap in np.argsort(-scores, kind="stable"):
        if scores[gap] <= 0:
            break
        cut = float(times[gap + 1])
        if _room_for(cut, kept, duration, settings):
            kept.append(cut)
    return sorted(kept)


def keep_spaced(
    cuts: list[float], duration: float, settings: SegmentSettings | None = None
) -> list[float]:
    """``cuts`` (ascending) without any closer than ``min_clip_seconds`` to an earlier kept
    cut or to either end: moved cuts (refined to the native frame) keep the rule that makes
    clip ids (whole start seconds) unique."""
    settings = settings or SegmentSettings()
    kept: list[float] = []
    for cut in cuts:
        if _room_for(cut, kept, duration, settings):
            kept.append(cut)
    return kept


def _room_for(cut: float, kept: list[float], duration: float, settings: SegmentSettings) -> bool:
    shortest = settings.min_clip_seconds
    if cut < shortest or duration - cut < shortest:
        return False
    return all(abs(cut - other) >= shortest for other in kept)


def clips_between(
    cuts: list[float], duration: float, settings: SegmentSettings | None = None
) -> list[tuple[float, float]]:
    """Contiguous ``(start, end)`` clips covering ``[0, duration)``, long shots split evenly."""
    settings = settings or SegmentSettings()
    bounds = [0.0, *cuts, float(duration)]
    clips: list[tuple[float, float]] = []
    for start, end in itertools.pairwise(bounds):
        if end - start <= 0:
            continue
        pieces = max(1, int(np.ceil((end - start) / settings.max_clip_seconds)))
        edges = np.linspace(start, end, pieces + 1)
        clips.extend((float(a), float(b)) for a, b in itertools.pairwise(edges))
    return clips


def clip_vectors(
    clips: list[tuple[float, float]], seconds: np.ndarray, frame_vectors: np.ndarray
) -> np.ndarray:
    """Each clip's embedding: the normalised mean of its 1 fps frame vectors.

    A clip that contains no whole second takes the frame nearest to its middle.
    """
    seconds = np.asarray(seconds, dtype=np.float64)
    frame_vectors = np.asarray(frame_vectors, dtype=np.float32)
    out = np.zeros((len(clips), frame_vectors.shape[1]), dtype=np.float32)
    for index, (start, end) in enumerate(clips):
        inside = (seconds >= start) & (seconds < end)
        if not inside.any():
            inside = np.zeros(len(seconds), dtype=bool)
            inside[int(np.argmin(np.abs(seconds - (start + end) / 2)))] = True
        mean = frame_vectors[inside].mean(axis=0)
        norm = np.linalg.norm(mean)
        out[index] = mean / norm if norm > 0 else mean
    return out
