"""Sample media for the media tests, generated once per session into a temporary folder.

Every file is small (a few seconds at 320x240 or less), so the whole set takes a few seconds
to make on two cores; tests that need a variant of their own make it inline.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from autocut_core.testing import samples
from autocut_core.testing.samples import MusicSample, Scene, SceneVideo

#: The shots of most sample videos: cuts at 1.2 s and 2.0 s, 4.0 s in all.
SHOTS = (1.2, 0.8, 2.0)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def scene_video(media_dir: Path) -> SceneVideo:
    """Three shots with audio, 320x240 at 25 fps, constant rate."""
    return samples.make_scene_video(media_dir / "scenes.mp4", samples.scenes_for(SHOTS))


@pytest.fixture(scope="session")
def silent_video(media_dir: Path) -> SceneVideo:
    return samples.make_scene_video(
        media_dir / "silent.mp4", samples.scenes_for(SHOTS), audio=False
    )


@pytest.fixture(scope="session")
def rotated_video(media_dir: Path) -> SceneVideo:
    """The same shots stored 320x240 with a 90 degree (clockwise) display rotation."""
    return samples.make_scene_video(
        media_dir / "rotated.mp4", samples.scenes_for(SHOTS), rotation=90
    )


@pytest.fixture(scope="session")
def vfr_video(media_dir: Path) -> SceneVideo:
    return samples.make_scene_video(media_dir / "vfr.mp4", samples.scenes_for(SHOTS), vfr=True)


@pytest.fixture(scope="session")
def odd_video(media_dir: Path) -> SceneVideo:
    return samples.make_scene_video(
        media_dir / "odd.mp4", samples.scenes_for([1.0]), size=(317, 239)
    )


@pytest.fixture(scope="session")
def portrait_video(media_dir: Path) -> SceneVideo:
    return samples.make_scene_video(
        media_dir / "portrait.mp4", samples.scenes_for([1.0]), size=(180, 320), audio=False
    )


@pytest.fixture(scope="session")
def rgb_video(media_dir: Path) -> SceneVideo:
    """One second each of pure red, green and blue: the channel order check."""
    shots = [Scene(1.0, samples.solid_color(c)) for c in ("red", "0x00ff00", "blue")]
    return samples.make_scene_video(media_dir / "rgb.mp4", shots, size=(64, 48), audio=False)


@pytest.fixture(scope="session")
def music(media_dir: Path) -> dict[str, MusicSample]:
    """Four seconds of each music character, as Ogg Vorbis."""
    return {
        character: samples.make_music(media_dir / f"{character}.ogg", 4.0, character)
        for character in samples.MUSIC_CHARACTERS
    }


@pytest.fixture(scope="session")
def corrupt(media_dir: Path) -> dict[str, Path]:
    return samples.make_corrupt_files(media_dir / "corrupt")


@pytest.fixture
def vtest() -> Path:
    return _real_video("vtest.avi")


@pytest.fixture
def tree() -> Path:
    return _real_video("tree.avi")


@pytest.fixture
def real_music() -> Path:
    tracks = samples.real_sample_music()
    if not tracks:
        pytest.skip("Debian package hyperrogue-music is not installed")
    return tracks[0]


def _real_video(name: str) -> Path:
    for path in samples.real_sample_videos():
        if path.name == name:
            return path
    pytest.skip(f"{name} needs the Debian package opencv-doc")


@pytest.fixture
def ffmpeg_children() -> Callable[[], list[tuple[int, str]]]:
    """A function listing (pid, state) of this process's ffmpeg children, zombies included."""
    if not os.path.isdir("/proc/self"):
        pytest.skip("needs Linux /proc")
    return _ffmpeg_children


def _ffmpeg_children() -> list[tuple[int, str]]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue  # exited while we looked
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(parent) == os.getpid() and command == "ffmpeg":
            found.append((int(entry), state))
    return found
