"""Every way a render can fail says which file and what is wrong, and leaves no half MP4."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest
from autocut_plugins.ffmpeg_render import FfmpegRenderer
from autocut_plugins.ffmpeg_render.encoders import ENCODERS, probe_encoder
from autocut_plugins.ffmpeg_render.ffmpeg import RenderError, run_ffmpeg

from autocut_core.errors import InputError
from autocut_core.media import MediaError
from autocut_core.types import MusicCue

from .conftest import AWKWARD, slot, small_plan

pytestmark = pytest.mark.slow


def render(plan, output):
    return FfmpegRenderer().render(plan, output)


def test_missing_source(tmp_path, black):
    missing = replace(slot(black, 0.0, 1.0), source_path=str(tmp_path / f"gone {AWKWARD}.mp4"))
    with pytest.raises(MediaError, match=r"footage of slot 1 \(clip0\): file not found") as error:
        render(small_plan([missing]), tmp_path / "ad.mp4")
    assert str(error.value).startswith(str(tmp_path / f"gone {AWKWARD}.mp4"))
    with pytest.raises(MediaError, match=r"footage of slot 2 \(x\)"):
        render(small_plan([slot(black, 0.0, 1.0), replace(missing, clip_id="x")]),
               tmp_path / "ad.mp4")  # fmt: skip


def test_broken_and_unsuitable_sources(tmp_path, black, music):
    text = tmp_path / "notes.mp4"
    text.write_text("not a video\n")
    cases = {
        str(text): "a text file, not a media file",
        str(music.path): "no video stream",
    }
    for path, reason in cases.items():
        with pytest.raises(MediaError, match=reason) as error:
            render(small_plan([replace(slot(black, 0.0, 1.0), source_path=path)]),
                   tmp_path / "ad.mp4")  # fmt: skip
        assert error.value.path == path
    with pytest.raises(MediaError, match=r"starts at 9\.000 s but the file lasts 4\.000 s"):
        render(small_plan([slot(black, 9.0, 10.0)]), tmp_path / "ad.mp4")
    with pytest.raises(MediaError, match=r"ends at 7\.000 s .*use 'hold'"):
        render(small_plan([slot(black, 3.0, 7.0)]), tmp_path / "ad.mp4")
    assert not (tmp_path / "ad.mp4").exists()


def test_missing_or_too_long_voice(tmp_path, black, voices):
    gone = str(tmp_path / "voice 'x'.wav")
    with pytest.raises(MediaError, match=r"voice-over of slot 1 \(clip0\): file not found"):
        render(small_plan([slot(black, 0.0, 2.0, voice_path=gone, voice_duration=1.0)]),
               tmp_path / "ad.mp4")  # fmt: skip
    long_line = voices[0]  # about 2 s of speech in a 0.5 s slot
    plan = small_plan([slot(black, 0.0, 0.5, voice_path=long_line.path,
                            voice_duration=long_line.duration)])  # fmt: skip
    with pytest.raises(InputError, match=r"would be cut; fit the plan to its voice"):
        render(plan, tmp_path / "ad.mp4")


def test_missing_music_and_offset_past_its_end(tmp_path, black, music):
    gone = MusicCue("m1", str(tmp_path / "gone.ogg"))
    with pytest.raises(MediaError, match="music track m1: file not found"):
        render(small_plan([slot(black, 0.0, 1.0)], music=gone), tmp_path / "ad.mp4")
    late = MusicCue("m1", str(music.path), offset=30.0)
    with pytest.raises(MediaError, match=r"offset 30\.000 s is outside the track"):
        render(small_plan([slot(black, 0.0, 1.0)], music=late), tmp_path / "ad.mp4")


def test_settings_and_output_are_checked_first(tmp_path, black):
    with pytest.raises(InputError, match="width and height must be even"):
        render(small_plan([slot(black, 0.0, 1.0)], width=181), tmp_path / "ad.mp4")
    with pytest.raises(InputError, match="preset must be one of"):
        render(small_plan([slot(black, 0.0, 1.0)], preset="warp"), tmp_path / "ad.mp4")
    with pytest.raises(InputError, match="must be an MP4 file"):
        render(small_plan([slot(black, 0.0, 1.0)]), tmp_path / "ad.avi")
    with pytest.raises(InputError, match="would overwrite an input"):
        render(small_plan([slot(black, 0.0, 1.0)]), black.path)
    with pytest.raises(InputError, match="no slots"):
        render(small_plan([]), tmp_path / "ad.mp4")


def test_video_encoder_unknown_or_unusable(tmp_path, black):
    with pytest.raises(InputError, match=r"unknown video_encoder 'x265'.*libx264, h264_nvenc"):
        render(small_plan([slot(black, 0.0, 1.0)], video_encoder="x265"), tmp_path / "ad.mp4")
    broken = [name for name in ENCODERS if name != "libx264" and not probe_encoder(name).works]
    if not broken:
        pytest.skip("every hardware encoder works on this machine")
    with pytest.raises(RenderError, match=rf"video_encoder '{broken[0]}' does not work .*'auto'"):
        render(small_plan([slot(black, 0.0, 1.0)], video_encoder=broken[0]), tmp_path / "ad.mp4")


def test_ffmpeg_failure_quotes_its_log(tmp_path):
    with pytest.raises(RenderError, match=r"(?s)testing: ffmpeg failed \(exit status \d+\):.*"
                                          r"No such filter: 'nosuchfilter'"):  # fmt: skip
        run_ffmpeg(["-f", "lavfi", "-i", "nosuchfilter", "-f", "null", "-"],
                   cwd=tmp_path, timeout=30, what="testing")  # fmt: skip


def test_a_failed_render_keeps_the_old_output_and_leaves_no_partial_file(tmp_path, black):
    output = tmp_path / "ad.mp4"
    output.write_bytes(b"the previous render")
    renderer = FfmpegRenderer.from_options({"timeout": 0.05})
    with pytest.raises(RenderError, match=r"did not finish within 0\.05 s"):
        renderer.render(small_plan([slot(black, 0.0, 4.0)]), output)
    assert output.read_bytes() == b"the previous render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ad.mp4"]


_INTERRUPTED_RENDER = """
import sys
from autocut_core.testing.samples import make_scene_video, scenes_for
from autocut_core.types import EditPlan, RenderSettings, Slot
from autocut_plugins.ffmpeg_render import FfmpegRenderer
source = make_scene_video(sys.argv[1], scenes_for([20.0]), size=(320, 240))
slots = (Slot("a", str(source.path), 0.0, 20.0),)
plan = EditPlan(slots=slots, render=RenderSettings(width=720, height=1280, preset="slow"))
FfmpegRenderer().render(plan, sys.argv[2])
"""


def test_ctrl_c_stops_ffmpeg_and_leaves_no_partial_file(tmp_path):
    output = tmp_path / "out" / "ad.mp4"
    child = subprocess.Popen(
        [sys.executable, "-c", _INTERRUPTED_RENDER, str(tmp_path / "long.mp4"), str(output)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 300  # a safety net only: a starved machine once took > 60 s

    def encoding() -> bool:
        """ffmpeg has started writing the temporary output: the render is under way."""
        try:
            return any(path.stat().st_size > 0 for path in output.parent.iterdir())
        except FileNotFoundError:  # the folder is not made yet, or a file just went
            return False

    while not encoding():  # a state to wait for, not a fixed sleep: the same under any load
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "the render never started"
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group
    child.wait(timeout=30)
    assert child.returncode != 0
    # Python raises KeyboardInterrupt, unless ffmpeg (same process group) exited first and
    # the render already failed with ffmpeg's interrupted status (seen on a loaded machine).
    stderr = child.stderr.read()
    assert b"KeyboardInterrupt" in stderr or b"exit status 255" in stderr, stderr
    assert list(output.parent.iterdir()) == []
