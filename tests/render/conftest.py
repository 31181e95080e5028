"""Small real media for the renderer tests, made once per session, and ways to look at renders.

Source files, voice lines and music carry the characters that break naive ffmpeg command
lines (``:``, ``'``, ``,``, ``[``, ``;``, spaces) in their names, so every render in this
folder also tests that paths reach ffmpeg intact. Renders are 180x320 at 15 fps.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from autocut_core.testing import samples
from autocut_core.testing.samples import Scene, SceneVideo, solid_color
from autocut_core.types import EditPlan, MusicCue, RenderSettings, Slot

#: Characters that mean something in ffmpeg's filter graphs, option lists and protocols.
AWKWARD = "a b'c:d,e[f];g"
SMALL = RenderSettings(width=180, height=320, fps=15, crf=28, preset="ultrafast")
#: Solid colours of the ``colors`` video, one second each (RGB as the decoder returns them).
COLORS = (("red", (255, 0, 0)), ("0x00ff00", (0, 255, 0)), ("blue", (0, 0, 255)))


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp(f"render {AWKWARD}")


@pytest.fixture(scope="session")
def colors(media: Path) -> SceneVideo:
    """Red, green, blue: one second each, 160x120 at 25 fps, cuts at 1.0 and 2.0 s."""
    scenes = [Scene(1.0, solid_color(color)) for color, _ in COLORS]
    return samples.make_scene_video(media / f"colors {AWKWARD}.mp4", scenes, size=(160, 120))


@pytest.fixture(scope="session")
def moving(media: Path) -> SceneVideo:
    """A moving test card (every frame differs), 3 s, 160x120 at 25 fps, with audio."""
    return samples.make_scene_video(
        media / f"moving {AWKWARD}.mp4", samples.scenes_for([3.0]), size=(160, 120)
    )


@pytest.fixture(scope="session")
def black(media: Path) -> SceneVideo:
    """4 s of black without an audio stream: subtitles are the only bright pixels."""
    return samples.make_scene_video(
        media / "black.mp4", [Scene(4.0, solid_color("black"))], size=(160, 120), audio=False
    )


@pytest.fixture(scope="session")
def voices(media: Path) -> list:
    from autocut_plugins.espeak import EspeakVoice

    texts = ["Fresh coffee every morning.", "Order today."]
    return EspeakVoice().synthesize_batch(texts, media / f"voice {AWKWARD}")


@pytest.fixture(scope="session")
def music(media: Path):
    """1.5 s of music: shorter than every ad here, so it must loop."""
    return samples.make_music(media / f"music {AWKWARD}.ogg", 1.5, "energetic")


def slot(video: SceneVideo, start: float, end: float, **fields) -> Slot:
    return Slot(clip_id=f"clip{start:g}", source_path=str(video.path), source_in=start,
                source_out=end, **fields)  # fmt: skip


def small_plan(slots, music: MusicCue | None = None, **render) -> EditPlan:
    return EditPlan(slots=tuple(slots), music=music, render=replace(SMALL, **render))


# --- looking at renders -----------------------------------------------------------------------


def streams(path: Path) -> dict[str, dict]:
    """ffprobe's streams by codec type."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json",
         "file:" + str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    data = json.loads(out)
    found = {stream["codec_type"]: stream for stream in data["streams"]}
    found["format"] = data["format"]
    return found


def frames(path: Path, indices: list[int], width: int = 180, height: int = 320) -> np.ndarray:
    """The frames with these numbers, as RGB arrays (one decode, exact frame numbers)."""
    wanted = "+".join(f"eq(n,{index})" for index in indices)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", "file:" + str(path), "-vf", f"select='{wanted}'",
         "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3).astype(np.int16)


def frame_count(path: Path) -> int:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", "file:" + str(path)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return int(out.strip())


def loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) as ffmpeg's ebur128 measures them."""
    log = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", "file:" + str(path), "-map", "0:a",
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    summary = log[log.rindex("Summary:") :]
    peak = summary.split("True peak:")[1].split("Peak:")[1].split("dBFS")[0]
    return float(summary.split("I:")[1].split("LUFS")[0]), float(peak)


def rms_db(samples_: np.ndarray) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(samples_.astype(np.float64) ** 2)) + 1e-12))


def is_color(pixel, rgb, tolerance: int = 40) -> bool:
    return all(abs(int(a) - b) <= tolerance for a, b in zip(pixel, rgb, strict=True))
