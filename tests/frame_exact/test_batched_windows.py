"""The windows around cuts come from one decoding pass, with the very frames (pixels and
exact times) of a plain decode of the file, so refinement lands on the true cut frames.

One pass exists for speed (a 25 fps reel with 99 cuts: 21.6 s to index with a seek per
cut, 8.6 s with one pass, 5.4 s without refinement) and because seeks are not exact in every
container (MPEG-TS seeks by bytes and landed 0.9 s past a window, with a 1.48 s start).
"""

from __future__ import annotations

import subprocess
from fractions import Fraction

import numpy as np
import pytest

from autocut_core.materials.cut_refine import cut_window, refine_cuts
from autocut_core.media import probe
from autocut_core.media.window import native_frames, native_frames_in_windows
from autocut_core.plugins import get_registry

from .conftest import MEGAMIND


@pytest.fixture(scope="module")
def late_start(reels, tmp_path_factory: pytest.TempPathFactory):
    """The MP4 reel remuxed to MPEG-TS, whose timestamps start at 1.48 s, not 0: the one pass
    must move its windows by the container's start."""
    path = tmp_path_factory.mktemp("ts") / "reel.ts"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", str(reels["mp4"].path), "-c",
                    "copy", "-f", "mpegts", str(path)], check=True)  # fmt: skip
    assert probe(path).start_time > 1.0
    return path


def _path(reels, late_start, kind):
    return {"avi": reels["avi"].path, "mp4": reels["mp4"].path, "megamind": MEGAMIND,
            "ts": late_start}[kind]  # fmt: skip


@pytest.mark.parametrize("kind", ["avi", "mp4", "megamind", "ts"])
def test_one_pass_gives_the_frames_of_a_plain_decode(reels, late_start, kind):
    path = _path(reels, late_start, kind)
    facts = probe(path)
    # Windows at the start, around every second, and overlapping ones.
    windows = [(0.0, 0.3), *((t - 0.15, t + 0.2) for t in np.arange(1.0, facts.duration - 0.5))]
    windows.append((1.0, 1.4))
    batched = native_frames_in_windows(path, windows, max_side=64, probe_result=facts)
    assert len(batched) == len(windows)
    # The truth: the whole file decoded from its start (a window from 0 never seeks).
    every = native_frames(path, 0.0, facts.duration + 1.0, max_side=64, probe_result=facts)
    for (start, end), together in zip(windows, batched, strict=True):
        low, high = Fraction(f"{start:.6f}"), Fraction(f"{end:.6f}")
        expected = [f for f in every if low <= Fraction(f.time) < high]
        assert together and [f.time for f in together] == [f.time for f in expected]
        for a, b in zip(together, expected, strict=True):
            assert np.array_equal(a.pixels, b.pixels)


@pytest.mark.parametrize("kind", ["avi", "mp4", "megamind", "ts"])
def test_refined_cuts_are_the_true_cut_frames(reels, megamind_cuts, late_start, kind):
    path = _path(reels, late_start, kind)
    facts = probe(path)
    cutter = get_registry().create("encoder", "histogram")
    true_cuts = {"megamind": megamind_cuts, "ts": reels["mp4"].cuts}.get(kind) or reels[kind].cuts
    # As the 10 fps detector reports them: the first dense frame at or after each cut.
    detected = [float(np.ceil(cut * 10) / 10) for cut in true_cuts]
    refined = refine_cuts(path, detected, cutter, facts, 10.0, 64, facts.duration)
    assert len(refined) == len(true_cuts)
    frame = 1 / facts.fps
    assert all(abs(a - b) < frame / 2 for a, b in zip(refined, true_cuts, strict=True)), refined


def test_a_cut_window_never_reaches_past_the_file():
    facts = probe(MEGAMIND)
    start, end = cut_window(facts.duration - 0.01, facts, 10.0)
    assert start < end <= facts.duration
