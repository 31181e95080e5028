"""The timeline says what the MP4 shows: a real render with crossfades and a held frame, its
frame count against the OTIO duration, and its pixels against the OTIO clips' record ranges."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
from pathlib import Path

import opentimelineio as otio
import pytest
from PIL import Image

from autocut_core.output.contact_sheet import grab_frame
from autocut_core.output.deliverables import write_side_outputs

from .conftest import COLOURS, Media, make_plan, nearest_colour

pytestmark = pytest.mark.slow


def frame_count(path: Path) -> int:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames", "-of", "json", str(path)],
        capture_output=True, check=True,
    )  # fmt: skip
    return int(json.loads(result.stdout)["streams"][0]["nb_read_frames"])


def test_otio_matches_the_rendered_mp4(media: Media, tmp_path: Path) -> None:
    from autocut_plugins.ffmpeg_render import FfmpegRenderer

    plan = make_plan(media, transition="crossfade", holds=(0.0, 0.7, 0.0, 0.3))
    small = dataclasses.replace(
        plan.render, width=180, height=320, fps=15, crf=30, preset="ultrafast"
    )
    plan = dataclasses.replace(plan, render=small)
    video = FfmpegRenderer().render(plan, tmp_path / "ad.mp4").video
    written = write_side_outputs(plan, video)
    timeline = otio.adapters.read_from_file(str(written["otio"]))

    assert frame_count(video) == timeline.duration().value
    for clip in timeline.tracks[0].find_clips():
        record = clip.range_in_parent()
        middle = record.start_time.to_seconds() + record.duration.to_seconds() / 2
        with Image.open(io.BytesIO(grab_frame(str(video), middle, (18, 32), "crop"))) as frame:
            shown = nearest_colour(frame.convert("RGB").getpixel((9, 16)))
        slot_number = clip.metadata["autocut"]["slot"]
        assert shown == list(COLOURS.values())[slot_number - 1], clip.name
