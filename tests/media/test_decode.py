"""iter_frames, sample_every and decode_audio: right frames, right pixels, no leaked ffmpeg."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from autocut_core.media import MediaError, decode_audio, iter_frames, probe, sample_every
from autocut_core.testing.samples import MusicSample, SceneVideo

ChildLister = Callable[[], list[tuple[int, str]]]

# --- iter_frames -------------------------------------------------------------------------------


def test_frame_count_and_timestamps_follow_the_requested_rate(scene_video: SceneVideo) -> None:
    frames = list(iter_frames(scene_video.path, fps=10))
    assert abs(len(frames) - scene_video.duration * 10) <= 1
    assert [t for t, _ in frames] == [k / 10 for k in range(len(frames))]


def test_frames_are_writable_rgb_uint8_arrays(scene_video: SceneVideo) -> None:
    _, frame = next(iter(iter_frames(scene_video.path, fps=2, max_side=64)))
    assert frame.dtype == np.uint8
    assert frame.shape == (48, 64, 3)
    assert frame.flags.c_contiguous and frame.flags.writeable


@pytest.mark.parametrize(
    ("fixture", "max_side", "shape"),
    [
        ("scene_video", 100, (75, 100, 3)),  # landscape 320x240
        ("portrait_video", 100, (100, 56, 3)),  # portrait 180x320
        ("rotated_video", 100, (100, 75, 3)),  # stored 320x240, shown 240x320
        ("odd_video", 256, (193, 256, 3)),  # 317x239
        ("scene_video", 1000, (240, 320, 3)),  # never enlarged
    ],
)
def test_longer_side_is_at_most_max_side(
    request: pytest.FixtureRequest, fixture: str, max_side: int, shape: tuple[int, int, int]
) -> None:
    video: SceneVideo = request.getfixturevalue(fixture)
    frames = list(iter_frames(video.path, fps=2, max_side=max_side))
    assert frames
    assert {frame.shape for _, frame in frames} == {shape}


def test_channel_order_is_rgb(rgb_video: SceneVideo) -> None:
    frames = dict(iter_frames(rgb_video.path, fps=4))
    expected = {0.25: (255, 0, 0), 1.25: (0, 255, 0), 2.25: (0, 0, 255)}
    for timestamp, colour in expected.items():
        mean = frames[timestamp].reshape(-1, 3).mean(axis=0)
        assert np.abs(mean - colour).max() < 8, (timestamp, mean)


def test_rotation_is_applied_clockwise(scene_video: SceneVideo, rotated_video: SceneVideo) -> None:
    """Both files hold the same stored pictures; the rotated one must show them turned 90
    degrees clockwise, as probe() reports."""
    plain = [f for _, f in iter_frames(scene_video.path, fps=2, max_side=320)]
    turned = [f for _, f in iter_frames(rotated_video.path, fps=2, max_side=320)]
    assert len(plain) == len(turned)
    for upright, shown in zip(plain, turned, strict=True):
        clockwise = np.rot90(upright, k=-1)
        assert np.abs(shown.astype(int) - clockwise).mean() < 3


def test_variable_frame_rate_video_decodes_at_a_constant_rate(vfr_video: SceneVideo) -> None:
    frames = list(iter_frames(vfr_video.path, fps=10, max_side=64))
    assert abs(len(frames) - vfr_video.duration * 10) <= 1


def test_probe_result_can_be_passed_in(scene_video: SceneVideo) -> None:
    info = probe(scene_video.path)
    assert len(list(iter_frames(scene_video.path, fps=5, max_side=32, probe_result=info))) == 20


def test_bad_files_fail_at_the_call_not_at_the_first_frame(corrupt: dict[str, Path]) -> None:
    with pytest.raises(MediaError, match="no video stream"):
        iter_frames(corrupt["audio_only"])
    with pytest.raises(MediaError, match="empty file"):
        iter_frames(corrupt["empty"])


@pytest.mark.parametrize("arguments", [{"fps": 0}, {"fps": -1.0}, {"max_side": 0}])
def test_bad_arguments_are_value_errors(scene_video: SceneVideo, arguments: dict) -> None:
    with pytest.raises(ValueError):
        iter_frames(scene_video.path, **arguments)


def test_truncated_file_yields_its_frames_then_raises(corrupt: dict[str, Path]) -> None:
    received = []
    with pytest.raises(MediaError) as caught:
        for timestamp, _ in iter_frames(corrupt["truncated"], fps=10, max_side=64):
            received.append(timestamp)
    assert 0 < len(received) < 30  # the source is 3 s long
    reason = caught.value.reason
    assert reason.startswith(f"decoding failed at {len(received) / 10:.1f} s of 3.0 s")
    assert reason.endswith("the file is truncated or corrupt")
    assert "\n" not in str(caught.value) and "@ 0x" not in str(caught.value)


def test_stopping_early_leaves_no_ffmpeg_behind(
    scene_video: SceneVideo, ffmpeg_children: ChildLister
) -> None:
    frames = iter_frames(scene_video.path, fps=25, max_side=256)
    assert ffmpeg_children() == []  # nothing starts before the first frame is asked for
    next(frames)
    next(frames)
    assert len(ffmpeg_children()) == 1  # still running: the pipe holds more than two frames
    frames.close()  # type: ignore[attr-defined]
    assert ffmpeg_children() == []  # neither running nor a zombie


def test_breaking_out_of_a_loop_leaves_no_ffmpeg_behind(
    scene_video: SceneVideo, ffmpeg_children: ChildLister
) -> None:
    def first_second() -> int:
        count = 0
        for timestamp, _ in iter_frames(scene_video.path, fps=25):
            if timestamp >= 1.0:
                break
            count += 1
        return count

    assert first_second() == 25
    assert ffmpeg_children() == []  # the generator was collected and closed


# --- sample_every ------------------------------------------------------------------------------


def test_sample_every_picks_one_frame_per_second_from_a_real_decode(
    scene_video: SceneVideo,
) -> None:
    dense = list(iter_frames(scene_video.path, fps=10, max_side=32))
    picked = list(sample_every(iter(dense), dense_fps=10))
    assert [(k, t) for k, t, _ in picked] == [(0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0)]
    by_time = {t: frame for t, frame in dense}
    assert all(frame is by_time[t] for _, t, frame in picked)  # passed through, not copied


def stream(timestamps: list[float]) -> list[tuple[float, np.ndarray]]:
    return [(t, np.full((1, 1, 3), i, dtype=np.uint8)) for i, t in enumerate(timestamps)]


def test_sample_every_takes_the_nearest_frame_and_the_earlier_on_a_tie() -> None:
    frames = stream([k / 2.5 for k in range(8)])  # 0, 0.4, 0.8, 1.2, ... 2.8
    picked = [(k, round(t, 3)) for k, t, _ in sample_every(frames, dense_fps=2.5)]
    assert picked == [(0, 0.0), (1, 0.8), (2, 2.0), (3, 2.8)]
    tie = stream([0.25, 0.75, 1.25, 1.75])  # exact binary fractions: a true tie at 1.0
    assert [t for _, t, _ in sample_every(tie, dense_fps=2)] == [0.25, 0.75, 1.75]


def test_sample_every_other_steps() -> None:
    frames = stream([k / 4 for k in range(21)])  # 0 .. 5 s at 4 fps
    picked = [(k, t) for k, t, _ in sample_every(frames, dense_fps=4, every_seconds=2.0)]
    assert picked == [(0, 0.0), (1, 2.0), (2, 4.0)]
    half = [t for _, t, _ in sample_every(frames, dense_fps=4, every_seconds=0.5)]
    assert half == [k / 2 for k in range(11)]


def test_sample_every_skips_targets_without_a_frame_nearby() -> None:
    frames = stream([0.0, 0.1, 0.2, 2.9, 3.0, 3.1, 3.2])  # a gap from 0.2 to 2.9
    assert [k for k, _, _ in sample_every(frames, dense_fps=10)] == [0, 3]
    # Past the end: 3.9 is not within half a frame of 4.0.
    tail = stream([k / 10 for k in range(40)])
    assert [k for k, _, _ in sample_every(tail, dense_fps=10)] == [0, 1, 2, 3]


def test_sample_every_refuses_a_stream_sparser_than_the_samples() -> None:
    with pytest.raises(ValueError, match="too sparse"):
        list(sample_every(stream([0.0, 2.0]), dense_fps=0.5))


def test_sample_every_of_nothing_is_nothing() -> None:
    assert list(sample_every([], dense_fps=10)) == []


# --- decode_audio ------------------------------------------------------------------------------


def test_music_decodes_to_mono_float32_at_the_requested_rate(
    music: dict[str, MusicSample],
) -> None:
    track = music["energetic"]
    samples = decode_audio(track.path, 16000)
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert samples.size == pytest.approx(track.duration * 16000, rel=0.01)
    assert samples.min() >= -1.0 and samples.max() <= 1.0
    assert np.sqrt(np.mean(samples**2)) > 0.05  # not silence


def test_max_seconds_stops_early(music: dict[str, MusicSample]) -> None:
    samples = decode_audio(music["calm"].path, 8000, max_seconds=1.5)
    assert samples.size == pytest.approx(1.5 * 8000, abs=8)


def test_a_videos_soundtrack_decodes(scene_video: SceneVideo) -> None:
    samples = decode_audio(scene_video.path, 22050)
    assert samples.size == pytest.approx(scene_video.duration * 22050, rel=0.01)


def test_a_silent_video_has_no_audio_to_decode(silent_video: SceneVideo) -> None:
    with pytest.raises(MediaError) as caught:
        decode_audio(silent_video.path, 16000)
    assert caught.value.reason == "no audio stream (a silent video?)"


def test_audio_of_broken_files(corrupt: dict[str, Path]) -> None:
    with pytest.raises(MediaError, match="a text file"):
        decode_audio(corrupt["text"], 16000)
    with pytest.raises(MediaError, match="symbolic link loop"):
        decode_audio(corrupt["symlink_loop"], 16000)


def test_bad_sample_rate_is_a_value_error(music: dict[str, MusicSample]) -> None:
    with pytest.raises(ValueError):
        decode_audio(music["calm"].path, 0)


# --- real recorded media -----------------------------------------------------------------------


def test_vtest_avi_decodes_every_tenth_of_a_second(vtest: Path) -> None:
    count = 0
    for _, frame in iter_frames(vtest, fps=10, max_side=256):
        assert frame.shape == (192, 256, 3)
        count += 1
    assert count == 795


def test_tree_avi_decodes(tree: Path) -> None:
    frames = list(iter_frames(tree, fps=1, max_side=128))
    assert len(frames) == pytest.approx(29.6, abs=1)
    assert frames[0][1].shape == (96, 128, 3)
    assert frames[0][1].std() > 10  # a real picture, not a blank frame


def test_real_music_decodes(real_music: Path) -> None:
    samples = decode_audio(real_music, 22050, max_seconds=5.0)
    assert samples.size == pytest.approx(5 * 22050, abs=30)
    assert np.sqrt(np.mean(samples**2)) > 0.01


def test_a_one_frame_video_is_its_frame(tmp_path: Path) -> None:
    """ffmpeg's fps filter rounds a 0.04 s video to no frame at any rate below 12.5 fps, so
    `autocut index` refused a one-frame video as "no video frames could be decoded"."""
    import subprocess

    path = tmp_path / "one frame.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=red:s=32x24:r=25",
                    "-frames:v", "1", "-pix_fmt", "yuv420p", str(path)], check=True)  # fmt: skip
    for fps in (1, 10):
        frames = list(iter_frames(path, fps=fps))
        assert [t for t, _ in frames] == [0.0]
        assert frames[0][1].shape == (24, 32, 3)
        assert frames[0][1][..., 0].mean() > 200  # red
