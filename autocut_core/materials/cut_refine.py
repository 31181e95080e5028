"""Move each detected cut onto the native frame where the shot changes.

Cuts are found on frames decoded at ``dense_fps`` (10 fps by default), so a detected cut is
the first *dense* frame of the new shot: the real cut lies up to one dense step earlier, and
the clip before it would end with a few frames of the next shot (a flash frame in every ad
that plays that clip to its end). Here, for each cut, the frames between the dense sample
before it and the cut are taken at the source's own rate (one ffmpeg pass for all cuts of a
file keeps just those few frames), embedded with the cut encoder, and the cut moves to the frame after the least
similar consecutive pair: the first frame of the new shot, at its exact timestamp.

Why that window: the ``fps`` filter shows at dense time ``t`` the latest source frame before
``t + half a dense step``, so the first frame of the new shot lies within half a dense step
of the detected cut; the window adds a dense step before (for the last frame of the old shot
and a first frame not at time 0) and a source frame either side.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autocut_core.materials.segment import SegmentSettings, consecutive_similarity, keep_spaced
from autocut_core.media.window import native_frames_in_windows

if TYPE_CHECKING:
    from autocut_core.components import Encoder
    from autocut_core.media.probe import ProbeResult
    from autocut_core.media.window import NativeFrame


def cut_window(cut: float, facts: ProbeResult, dense_fps: float) -> tuple[float, float]:
    """The stretch around a detected cut that holds the new shot's first native frame."""
    frame = 1.0 / facts.fps if facts.fps > 0 else 1.0 / dense_fps
    start = max(0.0, cut - 1.0 / dense_fps - frame)
    end = cut + 0.5 / dense_fps + frame
    if facts.duration > 0:
        end = min(end, facts.duration)
    return start, end


def first_new_frame(frames: Sequence[NativeFrame], cut: float, encoder: Encoder) -> float:
    """The time of the frame after the least similar consecutive pair of ``frames``."""
    import numpy as np

    if len(frames) < 2:
        return cut  # a source slower than the dense rate: the dense frame was the frame
    vectors = encoder.encode([f.pixels for f in frames])
    change = int(np.argmin(consecutive_similarity(vectors)))
    return frames[change + 1].time


def refine_cuts(
    path: str | os.PathLike[str],
    cuts: Sequence[float],
    encoder: Encoder,
    facts: ProbeResult,
    dense_fps: float,
    max_side: int,
    duration: float,
    settings: SegmentSettings | None = None,
) -> list[float]:
    """Every cut moved to the first native frame of its new shot, ascending; a cut that
    moved closer than ``min_clip_seconds`` to its neighbour or an end is dropped, as
    detection would.

    All windows come from one decoding pass that never seeks
    (:func:`~autocut_core.media.window.native_frames_in_windows`): a seek decodes from the
    keyframe before each window (160 ms a cut on a 25 fps reel), and in MPEG-TS it seeks by
    bytes and lands up to a second past the window (measured on a remuxed reel).
    """
    usable = [(cut, cut_window(cut, facts, dense_fps)) for cut in cuts]
    usable = [(cut, window) for cut, window in usable if window[0] < window[1]]
    frames = native_frames_in_windows(
        path, [window for _, window in usable], max_side=max_side, probe_result=facts
    )
    moved = {
        cut: first_new_frame(found, cut, encoder)
        for (cut, _), found in zip(usable, frames, strict=True)
    }
    return keep_spaced(sorted(moved.get(cut, cut) for cut in cuts), duration, settings)
