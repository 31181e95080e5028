"""A full small render (cuts, voice, looped music, subtitles): what the MP4 file must be."""

from __future__ import annotations

import pytest
from autocut_plugins.ffmpeg_render import FfmpegRenderer

from autocut_core.components import RenderResult
from autocut_core.editing.timeline import fit_plan_to_voice, total_duration
from autocut_core.types import MusicCue

from .conftest import AWKWARD, frame_count, loudness, slot, small_plan, streams

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, moving, colors, voices, music):
    plan = small_plan(
        [
            slot(moving, 0.0, 1.5, sentence=voices[0].text, voice_path=voices[0].path,
                 voice_duration=voices[0].duration),
            slot(colors, 1.0, 2.5, sentence=voices[1].text, voice_path=voices[1].path,
                 voice_duration=voices[1].duration),
        ],
        music=MusicCue("m1", str(music.path), offset=0.3, gain_db=-3.0),
    )  # fmt: skip
    plan = fit_plan_to_voice(plan, {str(moving.path): moving.duration,
                                    str(colors.path): colors.duration})  # fmt: skip
    output = tmp_path_factory.mktemp(f"out {AWKWARD}") / f"ad {AWKWARD}.mp4"
    result = FfmpegRenderer().render(plan, output)
    return plan, result


def test_result_names_the_video_and_srt_beside_it(rendered):
    _, result = rendered
    assert isinstance(result, RenderResult)
    assert result.video.is_file()
    assert result.side_outputs["srt"] == result.video.with_suffix(".srt")
    assert result.side_outputs["srt"].read_text(encoding="utf-8").startswith("1\n00:00:00,000 --> ")
    leftovers = [p.name for p in result.video.parent.iterdir() if p.name.endswith(".part")]
    assert leftovers == []


def test_h264_yuv420p_and_aac_at_the_planned_size_and_rate(rendered):
    _, result = rendered
    info = streams(result.video)
    assert info["video"]["codec_name"] == "h264"
    assert info["video"]["pix_fmt"] == "yuv420p"
    assert (info["video"]["width"], info["video"]["height"]) == (180, 320)
    assert info["video"]["sample_aspect_ratio"] in ("1:1", "N/A")
    assert info["video"]["r_frame_rate"] == "15/1"
    assert info["audio"]["codec_name"] == "aac"
    assert info["audio"]["channels"] == 2
    assert info["audio"]["sample_rate"] == "48000"


def test_faststart_puts_the_index_before_the_media(rendered):
    _, result = rendered
    data = result.video.read_bytes()
    atoms, position = [], 0
    while position + 8 <= len(data):
        size = int.from_bytes(data[position : position + 4], "big")
        atoms.append(data[position + 4 : position + 8].decode("latin-1"))
        position += size if size >= 8 else len(data)
    assert atoms.index("moov") < atoms.index("mdat")


def test_duration_is_the_timeline_total_and_audio_matches_video(rendered):
    plan, result = rendered
    info = streams(result.video)
    video, audio = float(info["video"]["duration"]), float(info["audio"]["duration"])
    expected = total_duration(plan)
    assert abs(video - expected) <= 1 / 15 + 1e-6
    assert abs(result.duration - video) < 1e-3
    assert abs(video - audio) <= 0.05
    assert frame_count(result.video) == round(expected * 15)


def test_loudness_and_true_peak_meet_the_targets(rendered):
    plan, result = rendered
    integrated, peak = loudness(result.video)
    assert abs(integrated - plan.render.loudness_lufs) <= 1.0
    assert peak <= plan.render.true_peak_db
