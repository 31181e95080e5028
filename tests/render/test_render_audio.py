"""The sound: always a track, music looped and faded, ducked under the voice, loudness."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from autocut_plugins.ffmpeg_render import FfmpegRenderer
from autocut_plugins.ffmpeg_render.audio import audio_graph
from autocut_plugins.ffmpeg_render.ffmpeg import run_ffmpeg
from autocut_plugins.ffmpeg_render.graph import Graph, InputList
from autocut_plugins.ffmpeg_render.layout import frame_layout
from autocut_plugins.ffmpeg_render.sources import check_inputs

from autocut_core.media import decode_audio
from autocut_core.types import MusicCue, Slot

from .conftest import loudness, rms_db, slot, small_plan, streams

pytestmark = pytest.mark.slow


def test_no_voice_and_no_music_still_gives_a_silent_track_as_long_as_the_video(tmp_path, black):
    result = FfmpegRenderer().render(small_plan([slot(black, 0.0, 1.3)]), tmp_path / "mute.mp4")
    info = streams(result.video)
    assert info["audio"]["codec_name"] == "aac"
    assert abs(float(info["video"]["duration"]) - float(info["audio"]["duration"])) <= 0.05
    assert np.abs(decode_audio(result.video, 16000)).max() < 1e-3


def test_short_music_loops_to_the_end_fades_and_meets_the_loudness_target(tmp_path, black, music):
    cue = MusicCue("m1", str(music.path), offset=0.5)
    plan = small_plan([slot(black, 0.0, 2.0), slot(black, 2.0, 4.0)], music=cue, music_fade=0.5)
    result = FfmpegRenderer().render(plan, tmp_path / "music.mp4")
    audio = decode_audio(result.video, 16000)
    assert abs(audio.size / 16000 - 4.0) < 0.05
    # 1.5 s of music from 0.5 s lasts 1 s; it plays on in every later second.
    for second in (1, 2, 3):
        assert rms_db(audio[second * 16000 : second * 16000 + 8000]) > -35
    assert rms_db(audio[:800]) < rms_db(audio[8000:16000]) - 6  # fading in
    assert rms_db(audio[-800:]) < rms_db(audio[-16000:-8000]) - 6  # fading out
    integrated, peak = loudness(result.video)
    assert abs(integrated - plan.render.loudness_lufs) <= 1.0
    assert peak <= plan.render.true_peak_db


def _tone(path, frequency: float, seconds: float) -> str:
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
         "-i", f"sine=frequency={frequency}:sample_rate=48000:duration={seconds}",
         "-af", "volume=0.5", str(path)],
        check=True,
    )  # fmt: skip
    return str(path)


def _band_db(audio: np.ndarray, start: float, frequency: float, rate: int = 48000) -> float:
    """RMS level (dB) within 50 Hz of ``frequency`` in the 0.3 s from ``start``."""
    window = audio[int(start * rate) : int((start + 0.3) * rate)]
    spectrum = np.fft.rfft(window)
    bins = np.fft.rfftfreq(window.size, 1 / rate)
    spectrum[np.abs(bins - frequency) > 50] = 0
    return rms_db(np.fft.irfft(spectrum, window.size))


@pytest.mark.parametrize("duck_db", [12.0, 6.0])
def test_music_ducks_by_duck_db_while_the_voice_speaks(tmp_path, black, duck_db):
    """The real audio half of the graph, rendered to WAV without loudness normalisation."""
    voice = _tone(tmp_path / "voice.wav", 1000, 1.0)
    music_path = _tone(tmp_path / "music.wav", 220, 4.0)
    plan = small_plan(
        [slot(black, 0.0, 1.5), Slot("v", str(black.path), 1.5, 3.5, voice_path=voice,
                                     voice_duration=1.0)],
        music=MusicCue("m", music_path), music_fade=0.0, duck_db=duck_db,
    )  # fmt: skip
    layout = frame_layout(plan)
    graph, inputs = Graph(), InputList()
    label = audio_graph(graph, inputs, plan, layout, check_inputs(plan, layout), None)
    (tmp_path / "graph.txt").write_text(graph.text())
    run_ffmpeg([*inputs.arguments, "-filter_complex_script", "graph.txt", "-map", f"[{label}]",
                "mix.wav"], cwd=tmp_path, timeout=60, what="audio")  # fmt: skip
    audio = decode_audio(tmp_path / "mix.wav", 48000)
    # The voice speaks from 1.53 s to 2.53 s.
    before, during, after = (_band_db(audio, start, 220) for start in (0.8, 1.9, 3.2))
    assert abs((before - during) - duck_db) <= 1.0
    assert abs(after - before) <= 1.0  # back to full level once the voice stops
    assert _band_db(audio, 1.9, 1000) > during  # the voice on top


def test_a_voice_line_starts_on_its_slots_first_frame(tmp_path, black):
    voice = _tone(tmp_path / "voice.wav", 800, 0.8)
    plan = small_plan([slot(black, 0.0, 1.5), slot(black, 1.5, 2.5, voice_path=voice,
                                                   voice_duration=0.8)])  # fmt: skip
    result = FfmpegRenderer().render(plan, tmp_path / "sync.mp4")
    audio = decode_audio(result.video, 48000)
    onset = np.argmax(np.abs(audio) > 0.01) / 48000
    first_frame = frame_layout(plan).slots[1].start / 15  # 1.5 s is frame 22.5: frame 23
    assert abs(onset - first_frame) <= 0.01
