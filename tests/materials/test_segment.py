"""Cut detection on vectors with known shot boundaries."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from autocut_core.materials.segment import (
    SegmentSettings,
    clip_vectors,
    clips_between,
    consecutive_similarity,
    find_cuts,
)


def _shots(bounds, fps=10.0, dim=32, noise=0.05, drift=0.0, seed=0):
    """Dense times and vectors for shots that change at ``bounds`` (last = duration)."""
    rng = np.random.default_rng(seed)
    times = np.arange(0, bounds[-1], 1 / fps)
    bases = [rng.standard_normal(dim) for _ in bounds]
    shot = np.searchsorted(np.asarray(bounds[:-1]), times, side="right")
    vectors = np.stack(
        [
            bases[s] + noise * rng.standard_normal(dim) + drift * t
            for s, t in zip(shot, times, strict=True)
        ]
    )
    return times, vectors


@pytest.mark.parametrize("method", ["threshold", "adaptive"])
def test_known_cuts_are_found(method):
    times, vectors = _shots([2.5, 6.0, 9.2, 12.0])
    cuts = find_cuts(times, vectors, 12.0, SegmentSettings(method=method))
    assert cuts == pytest.approx([2.5, 6.0, 9.2], abs=0.051)


def test_cut_lands_on_the_first_frame_of_the_new_shot():
    times, vectors = _shots([3.0, 6.0])
    (cut,) = find_cuts(times, vectors, 6.0)
    index = int(np.argmin(np.abs(times - cut)))
    assert np.linalg.norm(vectors[index] - vectors[index + 1]) < np.linalg.norm(
        vectors[index] - vectors[index - 1]
    )


def test_cuts_closer_than_min_clip_keep_the_strongest():
    times, vectors = _shots([2.0, 2.4, 6.0])
    cuts = find_cuts(times, vectors, 6.0, SegmentSettings(min_clip_seconds=1.0))
    assert len(cuts) == 1
    assert cuts[0] == pytest.approx(2.0, abs=0.051) or cuts[0] == pytest.approx(2.4, abs=0.051)


def test_no_cut_near_either_end():
    times, vectors = _shots([0.4, 5.0, 5.6])
    assert find_cuts(times, vectors, 5.6) == []


def test_adaptive_ignores_a_slow_drift_that_fools_a_fixed_threshold():
    times, vectors = _shots([10.0], noise=0.02, drift=0.4)
    threshold_cuts = find_cuts(times, vectors, 10.0, SegmentSettings(threshold=0.9995))
    adaptive_cuts = find_cuts(times, vectors, 10.0, SegmentSettings(method="adaptive"))
    assert threshold_cuts  # the fixed threshold cuts a single continuous shot
    assert adaptive_cuts == []


def test_settings_keep_ids_unique():
    with pytest.raises(ValueError, match="clip ids count whole seconds"):
        SegmentSettings(min_clip_seconds=0.5)
    with pytest.raises(ValueError, match="at least twice"):
        SegmentSettings(min_clip_seconds=10, max_clip_seconds=15)


def test_clips_cover_the_video_and_long_shots_are_split():
    clips = clips_between([4.0], 100.0, SegmentSettings(max_clip_seconds=30.0))
    assert clips[0] == (0.0, 4.0)
    assert clips[-1][1] == 100.0
    assert all(b - a <= 30.0 for a, b in clips)
    assert all(a2 == b1 for (_, b1), (a2, _) in itertools.pairwise(clips))


def test_clip_vector_is_the_normalised_mean_of_its_seconds():
    seconds = np.arange(5, dtype=float)
    frames = np.eye(5, 4, dtype=np.float32)
    frames[4] = [1, 0, 0, 0]
    vectors = clip_vectors([(0.0, 2.0), (2.0, 2.6), (4.0, 5.0)], seconds, frames)
    assert np.allclose(vectors[0], np.array([1, 1, 0, 0]) / np.sqrt(2))
    assert np.allclose(vectors[1], [0, 0, 1, 0])  # no whole second inside: nearest to the middle
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1)


def test_similarity_of_a_single_frame_is_empty():
    assert consecutive_similarity(np.ones((1, 3))).shape == (0,)
