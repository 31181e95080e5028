"""probe() and check_video(): the facts of good files, one clean line for every bad one."""

from __future__ import annotations

import dataclasses
import importlib
import os
import pickle
import shutil
import subprocess
from pathlib import Path

import pytest

from autocut_core.errors import AutocutError
from autocut_core.media import MediaError, ProbeResult, check_video, probe
from autocut_core.testing import samples
from autocut_core.testing.samples import MusicSample, SceneVideo

# --- facts of generated files ------------------------------------------------------------------


def test_probe_reports_the_facts_of_a_generated_video(scene_video: SceneVideo) -> None:
    result = probe(scene_video.path)
    assert result.path == str(scene_video.path)
    assert result.duration == pytest.approx(scene_video.duration, abs=0.1)
    assert (result.width, result.height) == (320, 240)
    assert result.fps == pytest.approx(25.0)
    assert result.rotation == 0
    assert not result.variable_frame_rate
    assert result.has_video and result.video_codec == "h264"
    assert result.has_audio and result.audio_streams == 1 and result.audio_sample_rate == 48000
    assert result.size_bytes == scene_video.path.stat().st_size


def test_a_video_without_audio_says_so(silent_video: SceneVideo) -> None:
    result = probe(silent_video.path)
    assert result.has_video
    assert not result.has_audio
    assert (result.audio_streams, result.audio_sample_rate) == (0, 0)


def test_rotation_90_swaps_the_display_size(rotated_video: SceneVideo) -> None:
    result = probe(rotated_video.path)
    assert result.rotation == 90
    assert (result.width, result.height) == (240, 320)


@pytest.mark.parametrize("rotation", [180, 270])
def test_other_rotations_are_reported(tmp_path: Path, rotation: int) -> None:
    video = samples.make_scene_video(
        tmp_path / "r.mp4", samples.scenes_for([0.4]), size=(64, 48), audio=False,
        rotation=rotation,
    )  # fmt: skip
    result = probe(video.path)
    assert result.rotation == rotation
    expected = (64, 48) if rotation == 180 else (48, 64)
    assert (result.width, result.height) == expected


def test_variable_frame_rate_is_flagged(vfr_video: SceneVideo) -> None:
    result = probe(vfr_video.path)
    assert result.variable_frame_rate
    # 6 of each 10 frames of a 25 fps stream survive, plus shot boundaries: the mean rate.
    assert 14 < result.fps < 18
    assert result.duration == pytest.approx(vfr_video.duration, abs=0.1)


def test_constant_frame_rate_is_not_flagged(scene_video: SceneVideo, odd_video: SceneVideo) -> None:
    assert not probe(scene_video.path).variable_frame_rate
    assert not probe(odd_video.path).variable_frame_rate


def test_odd_sizes_are_reported_as_they_are(odd_video: SceneVideo) -> None:
    result = probe(odd_video.path)
    assert (result.width, result.height) == (317, 239)


def test_music_is_audio_only(music: dict[str, MusicSample]) -> None:
    track = music["calm"]
    result = probe(track.path)
    assert result.has_audio and not result.has_video
    assert result.duration == pytest.approx(track.duration, abs=0.1)
    assert result.audio_sample_rate == 44100
    assert (result.width, result.height, result.fps, result.video_codec) == (0, 0, 0.0, "")


def test_probe_accepts_pathlike_and_str(scene_video: SceneVideo) -> None:
    assert probe(str(scene_video.path)) == probe(scene_video.path)


# --- check_video -------------------------------------------------------------------------------


def test_check_video_refuses_audio_only_files(music: dict[str, MusicSample]) -> None:
    with pytest.raises(MediaError) as caught:
        check_video(probe(music["energetic"].path))
    assert caught.value.reason == "no video stream (audio-only file?)"


def test_check_video_refuses_huge_resolutions(scene_video: SceneVideo) -> None:
    huge = dataclasses.replace(probe(scene_video.path), width=10000, height=9000)
    with pytest.raises(MediaError) as caught:
        check_video(huge)
    assert caught.value.reason == "resolution 10000x9000 exceeds the limit of 67108864 pixels"
    check_video(huge, max_pixels=10000 * 9000)  # the limit is the caller's to raise


def test_check_video_accepts_ordinary_footage(scene_video: SceneVideo) -> None:
    check_video(probe(scene_video.path))


# --- broken inputs: one line each --------------------------------------------------------------

EXPECTED_REASONS = {
    "truncated_index": "incomplete MP4: its index (moov atom) is missing; truncated or still being written",
    "random_bytes": "not a media file, or corrupt",
    "empty": "empty file (0 bytes)",
    "zero_duration": "zero duration (the file holds no frames or samples)",
    "text": "a text file, not a media file",
    "still_image": "a still image (png_pipe), not a video or audio file",
    "directory": "is a directory, not a media file",
    "symlink_loop": "symbolic link loop (the link points back to itself)",
}


def assert_clean_message(error: MediaError, path: str | os.PathLike[str]) -> None:
    """One line, naming the file, with nothing of ffmpeg's log or Python's internals."""
    message = str(error)
    assert "\n" not in message
    assert message.startswith(str(path) + ": ")
    for noise in ("Traceback", "Errno", "@ 0x", "[mov", "ffprobe version", "file:"):
        assert noise not in message


@pytest.mark.parametrize("kind", sorted(EXPECTED_REASONS))
def test_broken_files_raise_one_clean_line(corrupt: dict[str, Path], kind: str) -> None:
    path = corrupt[kind]
    with pytest.raises(MediaError) as caught:
        probe(path)
    assert caught.value.reason.startswith(EXPECTED_REASONS[kind])
    assert caught.value.path == str(path)
    assert_clean_message(caught.value, path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as caught:
        probe(tmp_path / "nope.mp4")
    assert caught.value.reason == "file not found"
    assert_clean_message(caught.value, tmp_path / "nope.mp4")


def test_broken_symlink(tmp_path: Path) -> None:
    link = tmp_path / "dangling.mp4"
    link.symlink_to(tmp_path / "gone.mp4")
    with pytest.raises(MediaError, match="broken symbolic link"):
        probe(link)


def test_unreadable_file_is_reported(
    corrupt: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root reads everything, so the refusal is simulated where it happens: opening the file."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # The module, not the function of the same name that autocut_core.media re-exports.
    probe_module = importlib.import_module("autocut_core.media.probe")
    monkeypatch.setattr(probe_module, "open", refuse, raising=False)
    with pytest.raises(MediaError) as caught:
        probe(corrupt["valid"])
    assert caught.value.reason == "permission denied (the file is not readable)"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file modes")
def test_unreadable_file_for_real(corrupt: dict[str, Path], tmp_path: Path) -> None:
    locked = tmp_path / "locked.mp4"
    shutil.copy(corrupt["valid"], locked)
    locked.chmod(0)
    with pytest.raises(MediaError, match="permission denied"):
        probe(locked)


def test_truncated_file_with_index_in_front_still_probes(corrupt: dict[str, Path]) -> None:
    """Its header describes the whole file; decoding finds the damage (see test_decode)."""
    assert probe(corrupt["truncated"]).duration == pytest.approx(3.0, abs=0.1)


def test_audio_only_m4a_probes_but_is_no_footage(corrupt: dict[str, Path]) -> None:
    result = probe(corrupt["audio_only"])
    assert result.has_audio and not result.has_video
    with pytest.raises(MediaError, match="no video stream"):
        check_video(result)


def test_non_utf8_names_probe_and_print(corrupt: dict[str, Path], tmp_path: Path) -> None:
    if "non_utf8_name" not in corrupt:
        pytest.skip("this file system refuses non-UTF-8 names")
    good = corrupt["non_utf8_name"]
    assert os.fsencode(good).endswith(samples.NON_UTF8_NAME)
    assert probe(good).has_video
    empty = os.path.join(os.fsencode(tmp_path), b"vid\xe9o-empty.mp4")
    with open(empty, "wb"):
        pass
    with pytest.raises(MediaError) as caught:
        probe(os.fsdecode(empty))
    message = str(caught.value)
    message.encode("utf-8")  # printable: no lone surrogates left
    assert message.endswith("vid\\xe9o-empty.mp4: empty file (0 bytes)")
    assert os.fsencode(caught.value.path) == empty  # the attribute still finds the file


@pytest.mark.parametrize("name", ["-i.mp4", "clip:1.mp4", "concat:a|b.mp4", "with space;$(x).mp4"])
def test_names_are_never_options_protocols_or_shell(
    corrupt: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    copy = tmp_path / name
    shutil.copy(corrupt["valid"], copy)
    assert probe(copy).has_video
    monkeypatch.chdir(tmp_path)  # a relative name starting with "-" is the hard case
    assert probe(name).has_video


def test_ffprobe_runs_with_an_argument_list(
    scene_video: SceneVideo, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_run = subprocess.run

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return real_run(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", spy)
    probe(scene_video.path)
    ((args, kwargs),) = calls
    assert isinstance(args[0], list)
    assert not kwargs.get("shell")
    assert kwargs.get("timeout")


# --- real recorded media -----------------------------------------------------------------------


def test_vtest_avi(vtest: Path) -> None:
    result = probe(vtest)
    assert (result.width, result.height) == (768, 576)
    assert result.duration == pytest.approx(79.5, abs=0.1)
    assert result.fps == pytest.approx(10.0)
    assert not result.variable_frame_rate
    assert result.has_video and not result.has_audio


def test_tree_avi(tree: Path) -> None:
    result = probe(tree)
    assert (result.width, result.height) == (320, 240)
    assert result.duration == pytest.approx(29.6, abs=0.1)
    assert result.fps == pytest.approx(15.0, abs=0.01)


def test_real_music(real_music: Path) -> None:
    result = probe(real_music)
    assert result.has_audio and not result.has_video
    assert result.duration > 10
    assert result.audio_sample_rate > 0


# --- the error type ----------------------------------------------------------------------------


def test_media_error_is_an_autocut_error_with_path_and_reason() -> None:
    error = MediaError("shots/a.mp4", "empty file\n(0 bytes)")
    assert isinstance(error, AutocutError)
    assert error.exit_code == 2
    assert (error.path, error.reason) == ("shots/a.mp4", "empty file (0 bytes)")
    assert str(error) == "shots/a.mp4: empty file (0 bytes)"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.reason, str(copy)) == (error.path, error.reason, str(error))


def test_media_error_escapes_undecodable_and_control_characters() -> None:
    error = MediaError(b"caf\xe9\nx.mp4", "bad")
    assert str(error) == "caf\\xe9\\x0ax.mp4: bad"
    assert error.path == os.fsdecode(b"caf\xe9\nx.mp4")


def test_probe_result_is_frozen(scene_video: SceneVideo) -> None:
    result = probe(scene_video.path)
    assert isinstance(result, ProbeResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.width = 1  # type: ignore[misc]
