"""The sample generator: its ground truth must be true, or every test built on it lies."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autocut_core.media import decode_audio, iter_frames, probe
from autocut_core.testing import samples
from autocut_core.testing.samples import MusicSample, Scene, SceneVideo


def test_cuts_and_duration_are_exact(scene_video: SceneVideo) -> None:
    assert scene_video.cuts == (1.2, 2.0)
    assert scene_video.duration == 4.0


def test_durations_round_to_whole_frames(tmp_path: Path) -> None:
    video = samples.make_scene_video(
        tmp_path / "r.mp4", samples.scenes_for([0.33, 0.5]), size=(32, 24), fps=10, audio=False
    )
    assert video.cuts == (0.3,)
    assert video.duration == 0.8


@pytest.fixture(scope="module")
def every_source(media_dir: Path) -> tuple[SceneVideo, list[np.ndarray]]:
    """Each of SCENE_SOURCES for 0.6 s, decoded at the full 25 fps (small frames)."""
    video = samples.make_scene_video(
        media_dir / "every_source.mp4",
        samples.scenes_for([0.6] * len(samples.SCENE_SOURCES)),
        size=(96, 72),
        audio=False,
    )
    frames = [frame.astype(np.float32) for _, frame in iter_frames(video.path, fps=25, max_side=96)]
    return video, frames


def test_the_biggest_frame_changes_are_the_cuts(every_source) -> None:
    video, frames = every_source
    change = [np.abs(b - a).mean() for a, b in itertools.pairwise(frames)]
    cut_frames = {round(cut * 25) for cut in video.cuts}
    biggest = set(np.argsort(change)[-len(cut_frames) :] + 1)
    assert biggest == cut_frames


def test_every_source_moves_within_its_shot(every_source) -> None:
    _, frames = every_source
    for index in range(len(samples.SCENE_SOURCES)):
        first, last = frames[index * 15], frames[index * 15 + 14]
        assert np.abs(last - first).mean() > 1.0, samples.SCENE_SOURCES[index]


def colour_histogram(frame: np.ndarray, bins: int = 4) -> np.ndarray:
    quantised = (frame // (256 // bins)).astype(int)
    codes = (quantised[..., 0] * bins + quantised[..., 1]) * bins + quantised[..., 2]
    counts = np.bincount(codes.ravel(), minlength=bins**3).astype(float)
    return counts / counts.sum()


def test_sources_are_told_apart_by_a_colour_histogram(every_source) -> None:
    """What the weight-free encoder sees: every pair of shots differs in colour."""
    _, frames = every_source
    middles = [colour_histogram(frames[i * 15 + 7].astype(np.uint8)) for i in range(10)]
    for i in range(len(middles)):
        for j in range(i + 1, len(middles)):
            distance = np.abs(middles[i] - middles[j]).sum()  # 0 (same) .. 2 (disjoint)
            assert distance > 0.5, (samples.SCENE_SOURCES[i], samples.SCENE_SOURCES[j])


def test_the_histogram_encoder_sees_the_cuts_and_only_the_cuts(every_source) -> None:
    """The weight-free cut detector's view: high similarity within a shot, low across a cut
    (a spinning shape once broke this: edge orientations change as much as at a cut)."""
    from autocut_core.plugins import get_registry

    video, frames = every_source
    encoder = get_registry().create("encoder", "histogram", {})
    vectors = encoder.encode([frame.astype(np.uint8) for frame in frames[::2]])  # 12.5 fps
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = np.sum(vectors[1:] * vectors[:-1], axis=1)
    times = np.arange(len(frames))[::2] / 25
    across = [any(a < cut <= b for cut in video.cuts) for a, b in itertools.pairwise(times)]
    assert similarity[~np.array(across)].min() > 0.9
    assert similarity[np.array(across)].max() < 0.8


def test_same_arguments_give_the_same_bytes(tmp_path: Path) -> None:
    shots = samples.scenes_for([0.4, 0.4])
    first = samples.make_scene_video(tmp_path / "a.mp4", shots, size=(64, 48))
    second = samples.make_scene_video(tmp_path / "b.mp4", shots, size=(64, 48))
    assert first.path.read_bytes() == second.path.read_bytes()


def test_other_codecs_and_containers(tmp_path: Path) -> None:
    video = samples.make_scene_video(
        tmp_path / "m.avi", samples.scenes_for([0.5]), size=(64, 48), codec="mpeg4"
    )
    result = probe(video.path)
    assert result.video_codec == "mpeg4" and result.has_audio


def test_no_partial_file_is_left_when_ffmpeg_fails(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="ffmpeg failed"):
        samples.make_scene_video(tmp_path / "x.mp4", [Scene(1.0, "nosuchsource")])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("arguments", [{"scenes": []}, {"rotation": 45}, {"rotation": 360}])
def test_bad_arguments(tmp_path: Path, arguments: dict) -> None:
    options = {"scenes": samples.scenes_for([0.2]), **arguments}
    with pytest.raises(ValueError):
        samples.make_scene_video(tmp_path / "x.mp4", **options)


# --- music -------------------------------------------------------------------------------------


def beat_period(samples_: np.ndarray, rate: int) -> float:
    """The strongest repetition of the loudness envelope between 0.3 s and 1.5 s."""
    hop = rate // 100
    usable = samples_[: samples_.size // hop * hop].reshape(-1, hop)
    envelope = np.sqrt((usable**2).mean(axis=1))
    envelope -= envelope.mean()
    correlation = np.correlate(envelope, envelope, "full")[envelope.size - 1 :]
    return (30 + int(np.argmax(correlation[30:150]))) / 100


def centroid(samples_: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples_))
    return float((spectrum * np.fft.rfftfreq(samples_.size, 1 / rate)).sum() / spectrum.sum())


def test_music_characters_have_their_tempo(music: dict[str, MusicSample]) -> None:
    for character, track in music.items():
        audio = decode_audio(track.path, 16000)
        assert beat_period(audio, 16000) == pytest.approx(60 / track.bpm, abs=0.04), character


def test_music_characters_differ_in_pitch(music: dict[str, MusicSample]) -> None:
    pitch = {c: centroid(decode_audio(t.path, 16000), 16000) for c, t in music.items()}
    assert pitch["dark"] < pitch["calm"] < pitch["bright"]
    assert pitch["calm"] < pitch["energetic"]


@pytest.mark.parametrize(
    ("suffix", "codec"), [(".mp3", "mp3"), (".m4a", "aac"), (".wav", "pcm_s16le")]
)
def test_music_codec_follows_the_suffix(tmp_path: Path, suffix: str, codec: str) -> None:
    track = samples.make_music(tmp_path / f"t{suffix}", 1.0, "bright", sample_rate=22050)
    info = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0",
         str(track.path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert info.stdout.strip() == codec
    assert probe(track.path).duration == pytest.approx(1.0, abs=0.1)


def test_unknown_music_character(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="calm"):
        samples.make_music(tmp_path / "x.ogg", 1.0, "sleepy")


# --- broken files and real media ---------------------------------------------------------------


def test_corrupt_files_are_all_there(corrupt: dict[str, Path]) -> None:
    expected = {
        "valid", "truncated", "truncated_index", "random_bytes", "empty", "zero_duration",
        "audio_only", "still_image", "text", "directory", "symlink_loop",
    }  # fmt: skip
    assert expected <= set(corrupt)
    assert all(os.path.lexists(path) for path in corrupt.values())
    assert corrupt["empty"].stat().st_size == 0
    assert corrupt["truncated"].stat().st_size < corrupt["valid"].stat().st_size / 2
    assert corrupt["symlink_loop"].is_symlink()
    if "non_utf8_name" in corrupt:
        assert os.fsencode(corrupt["non_utf8_name"]).endswith(b"/caf\xe9.mp4")


def test_make_corrupt_files_can_run_twice(tmp_path: Path) -> None:
    first = samples.make_corrupt_files(tmp_path)
    again = samples.make_corrupt_files(tmp_path)
    assert first == again


def test_real_sample_media_lists_only_existing_files() -> None:
    videos, music = samples.REAL_SAMPLE_VIDEOS, samples.REAL_SAMPLE_MUSIC
    assert all(path.is_file() for path in [*videos, *music])
    assert not any("bugy" in path.name for path in videos)
    if Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi").exists():
        assert {"vtest.avi", "tree.avi"} <= {path.name for path in videos}


def test_importing_the_media_layer_stays_light() -> None:
    code = (
        "import sys, autocut_core.media, autocut_core.testing.samples;"
        "print(sorted(m for m in ('numpy', 'torch', 'cv2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
