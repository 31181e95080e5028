"""What the picture shows: exact cuts, crossfades, crop or pad, held frames, awkward sources."""

from __future__ import annotations

import numpy as np
import pytest
from autocut_plugins.ffmpeg_render import FfmpegRenderer

from autocut_core.editing.timeline import total_duration
from autocut_core.testing import samples
from autocut_core.testing.samples import Scene, solid_color

from .conftest import COLORS, frame_count, frames, is_color, slot, small_plan, streams

pytestmark = pytest.mark.slow
RED, GREEN, BLUE = (rgb for _, rgb in COLORS)


def centre(frame: np.ndarray):
    return frame[160, 90]


def test_slots_start_exactly_at_source_in_and_cut_in_plan_order(tmp_path, colors):
    # blue 2.0-2.6, then red 0.6-1.4 (crosses red -> green at source 1.0 s).
    plan = small_plan([slot(colors, 2.0, 2.6), slot(colors, 0.6, 1.4)])
    result = FfmpegRenderer().render(plan, tmp_path / "cuts.mp4")
    # 15 fps: slot 1 = frames 0-8, slot 2 = frames 9-20, its source cut at frame 9 + 6 = 15.
    got = frames(result.video, [0, 8, 9, 14, 15, 20])
    assert frame_count(result.video) == 21
    expected = [BLUE, BLUE, RED, RED, GREEN, GREEN]
    assert [is_color(centre(f), rgb) for f, rgb in zip(got, expected, strict=True)] == [True] * 6


def test_crossfade_overlaps_slots_and_blends_them(tmp_path, colors):
    plan = small_plan([slot(colors, 0.0, 1.0), slot(colors, 2.0, 3.0)],
                      transition="crossfade", transition_duration=0.4)  # fmt: skip
    result = FfmpegRenderer().render(plan, tmp_path / "xfade.mp4")
    assert abs(total_duration(plan) - 1.6) < 1e-9
    assert frame_count(result.video) == 24
    # The fade runs over frames 9-14 (0.6 s to 1.0 s); frame 12 is about half red, half blue.
    first, middle, last = frames(result.video, [3, 12, 20])
    assert is_color(centre(first), RED) and is_color(centre(last), BLUE)
    red, _, blue = centre(middle)
    assert 60 < red < 200 and 60 < blue < 200


def test_crop_fills_the_frame_and_pad_letterboxes(tmp_path, colors):
    # 4:3 source into a 9:16 frame: crop leaves no border, pad adds black above and below.
    cropped = FfmpegRenderer().render(small_plan([slot(colors, 0.0, 0.5)], fit="crop"),
                                      tmp_path / "crop.mp4")  # fmt: skip
    padded = FfmpegRenderer().render(small_plan([slot(colors, 0.0, 0.5)], fit="pad"),
                                     tmp_path / "pad.mp4")  # fmt: skip
    (crop_frame,) = frames(cropped.video, [3])
    (pad_frame,) = frames(padded.video, [3])
    assert is_color(crop_frame[5, 90], RED) and is_color(crop_frame[315, 90], RED)
    assert is_color(pad_frame[5, 90], (0, 0, 0)) and is_color(pad_frame[315, 90], (0, 0, 0))
    assert is_color(pad_frame[160, 90], RED) and is_color(pad_frame[160, 3], RED)
    # 180 / (4/3) = 135 picture rows, centred: rows 92-227.
    rows = np.flatnonzero(np.abs(pad_frame[:, 90] - RED).max(axis=1) <= 40)
    assert abs(rows.min() - 92) <= 2 and abs(rows.max() - 227) <= 2


def test_hold_freezes_the_last_frame(tmp_path, moving):
    plan = small_plan([slot(moving, 0.0, 1.0, hold=1.0)])
    result = FfmpegRenderer().render(plan, tmp_path / "hold.mp4")
    assert frame_count(result.video) == 30
    moving_a, moving_b, held_a, held_b, held_c = frames(result.video, [5, 10, 15, 22, 29])
    assert np.abs(moving_a - moving_b).mean() > 15  # footage moves (~23 here)
    # then stands still: what differs is the encoder's noise (~2 at crf 28).
    assert np.abs(held_a - held_b).mean() < 3
    assert np.abs(held_a - held_c).mean() < 3


def test_rotated_vfr_silent_odd_sized_and_other_rate_sources(tmp_path):
    # Top half red, bottom half blue: after a 90 degree clockwise turn, left blue, right red.
    halves = Scene(1.0, "color=c=red:size={size}:rate={rate},"
                        "drawbox=x=0:y=ih/2:w=iw:h=ih/2:color=blue:t=fill")  # fmt: skip
    make = samples.make_scene_video
    made = [
        make(tmp_path / "rotated.mp4", [halves], size=(160, 96), rotation=90),
        make(tmp_path / "vfr.mp4", samples.scenes_for([1.0]), vfr=True),
        make(tmp_path / "silent.mp4", [Scene(1.0, solid_color("red"))], audio=False),
        make(tmp_path / "odd.mp4", [Scene(1.0, solid_color("blue"))], size=(317, 239)),
        make(tmp_path / "rate24.mkv", [Scene(1.0, solid_color("lime"))], fps=24),
    ]
    plan = small_plan([slot(video, 0.0, 0.8) for video in made], fit="pad")
    result = FfmpegRenderer().render(plan, tmp_path / "mixed.mp4")
    assert frame_count(result.video) == 60
    rotated, _, silent, odd, rate24 = frames(result.video, [6, 18, 30, 42, 54])
    # Rotated: portrait 96x160 shown in the middle, blue on the left, red on the right.
    assert is_color(rotated[160, 60], BLUE) and is_color(rotated[160, 120], RED)
    assert is_color(centre(silent), RED)
    assert is_color(centre(odd), BLUE)
    assert is_color(centre(rate24), GREEN)
    info = streams(result.video)
    assert abs(float(info["video"]["duration"]) - float(info["audio"]["duration"])) <= 0.05
