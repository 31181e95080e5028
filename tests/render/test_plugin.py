"""The ``ffmpeg`` renderer as a plugin: registration, the contract suite, doctor, encoders."""

from __future__ import annotations

import subprocess
import sys

import pytest
from autocut_plugins import ffmpeg_render
from autocut_plugins.ffmpeg_render.encoders import ENCODERS, probe_encoder, select_encoder

from autocut_core.contracts import check_component
from autocut_core.plugins import get_registry
from autocut_core.types import MusicCue, SubtitleStyle

from .conftest import frames, slot, small_plan, streams


@pytest.mark.slow
def test_the_package_registers_the_ffmpeg_renderer_and_honours_the_contract():
    registration = get_registry().get("renderer", "ffmpeg")
    assert registration.cls is ffmpeg_render.FfmpegRenderer
    check_component(registration)  # renders the contract's two-slot plan


def test_importing_the_plugin_starts_no_process_and_imports_nothing_heavy():
    code = (
        "import subprocess, sys\n"
        "calls = []\n"
        "subprocess.Popen.__init__ = lambda *a, **k: calls.append(a)\n"
        "import autocut_plugins.ffmpeg_render\n"
        "heavy = {'numpy', 'PIL', 'torch', 'pydantic_settings'} & set(sys.modules)\n"
        "print(len(calls), sorted(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0 []"


def test_diagnose_reports_the_filters_and_the_encoder_auto_picks():
    checks = ffmpeg_render.FfmpegRenderer().diagnose()
    assert [check.status for check in checks] == ["ok", "ok"]
    assert checks[1].detail.startswith("auto -> ")


def test_auto_picks_a_working_encoder_and_libx264_is_always_libx264():
    chosen = select_encoder("auto")
    assert probe_encoder(chosen.name).works
    assert select_encoder("libx264").name == "libx264"
    assert set(ENCODERS) >= {"libx264", "h264_nvenc", "h264_qsv", "h264_vaapi"}


@pytest.mark.slow
def test_full_size_9_16_render_with_voice_music_and_subtitles(tmp_path, moving, voices, music):
    line = voices[1]
    plan = small_plan(
        [slot(moving, 0.0, 1.0, sentence="Full HD, 9:16", voice_path=line.path,
              voice_duration=line.duration, hold=max(0.0, line.duration + 0.1 - 1.0))],
        music=MusicCue("m", str(music.path)), width=1080, height=1920, fps=30, preset="veryfast",
        subtitle_style=SubtitleStyle(color="#FFFF00"),
    )  # fmt: skip
    result = ffmpeg_render.FfmpegRenderer().render(plan, tmp_path / "full.mp4")
    info = streams(result.video)
    assert (info["video"]["width"], info["video"]["height"]) == (1080, 1920)
    assert abs(float(info["video"]["duration"]) - float(info["audio"]["duration"])) <= 0.05
    (frame,) = frames(result.video, [10], 1080, 1920)
    region = frame[1300:1600]  # the subtitle sits above the bottom 18 %
    yellow = (region[..., 0] > 200) & (region[..., 1] > 200) & (region[..., 2] < 80)
    assert yellow.sum() > 2000
