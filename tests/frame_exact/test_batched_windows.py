"""The windows around many cuts come from one decoding pass, with the very frames (pixels
and exact times) that one seek per window gives, so refinement lands on the same frames.

Batching exists for speed (a 25 fps reel with 99 cuts: 21.6 s to index with a seek per
cut, 8.6 s with one pass, 5.4 s without refinement); these tests make sure it is only that.
"""

from __future__ import annotations

import numpy as np
import pytest

from autocut_core.materials import cut_refine
from autocut_core.materials.cut_refine import cut_window, refine_cuts
from autocut_core.media import probe
from autocut_core.media.window import native_frames, native_frames_in_windows
from autocut_core.plugins import get_registry

from .conftest import MEGAMIND


def _videos(reels):
    return {"avi": reels["avi"].path, "mp4": reels["mp4"].path, "megamind": MEGAMIND}


@pytest.mark.parametrize("kind", ["avi", "mp4", "megamind"])
def test_one_pass_gives_the_frames_of_one_seek_per_window(reels, kind):
    path = _videos(reels)[kind]
    facts = probe(path)
    # Windows at the start (no seek), around every second and overlapping ones.
    windows = [(0.0, 0.3), *((t - 0.15, t + 0.2) for t in np.arange(1.0, facts.duration - 0.5))]
    windows.append((1.0, 1.4))
    batched = native_frames_in_windows(path, windows, max_side=64, probe_result=facts)
    assert len(batched) == len(windows)
    for (start, end), together in zip(windows, batched, strict=True):
        alone = native_frames(path, start, end, max_side=64, probe_result=facts)
        assert [f.time for f in together] == [f.time for f in alone], (start, end)
        assert together, (start, end)
        for a, b in zip(together, alone, strict=True):
            assert np.array_equal(a.pixels, b.pixels)


@pytest.mark.parametrize("kind", ["avi", "mp4", "megamind"])
def test_refined_cuts_are_the_same_batched_or_not(reels, megamind_cuts, kind, monkeypatch):
    path = _videos(reels)[kind]
    facts = probe(path)
    cutter = get_registry().create("encoder", "histogram")
    true_cuts = reels[kind].cuts if kind != "megamind" else megamind_cuts
    # As the 10 fps detector reports them: the first dense frame at or after each cut.
    detected = [float(np.ceil(cut * 10) / 10) for cut in true_cuts]
    args = (path, detected, cutter, facts, 10.0, 64, facts.duration)
    monkeypatch.setattr(cut_refine, "BATCH_FROM_CUTS", 10**6)
    one_by_one = refine_cuts(*args)
    monkeypatch.setattr(cut_refine, "BATCH_FROM_CUTS", 1)
    assert refine_cuts(*args) == one_by_one
    assert len(one_by_one) == len(true_cuts)
    frame = 1 / facts.fps
    assert all(abs(a - b) < frame for a, b in zip(one_by_one, true_cuts, strict=True))


def test_a_cut_window_never_reaches_past_the_file():
    facts = probe(MEGAMIND)
    start, end = cut_window(facts.duration - 0.01, facts, 10.0)
    assert start < end <= facts.duration
