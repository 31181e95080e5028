"""Real media for the ad-craft tests: a click track with known beats, footage, voice lines."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from autocut_core.testing import samples

#: The click track: a click every 0.5 s (120 BPM) from 0.25 s, 20 s long.
BEAT_START, BEAT_PERIOD, TRACK_SECONDS = 0.25, 0.5, 20.0


def click_times() -> list[float]:
    return [
        BEAT_START + k * BEAT_PERIOD
        for k in range(int((TRACK_SECONDS - BEAT_START) / BEAT_PERIOD) + 1)
    ]


def write_clicks(path: Path, sample_rate: int = 44100) -> Path:
    """Decaying 1 kHz clicks over quiet noise (seed 0), 16-bit mono WAV."""
    rng = np.random.default_rng(0)
    signal = 0.02 * rng.standard_normal(int(TRACK_SECONDS * sample_rate))
    length = int(0.03 * sample_rate)
    t = np.arange(length) / sample_rate
    click = 0.8 * np.sin(2 * np.pi * 1000 * t) * np.exp(-t / 0.008)
    for start in click_times():
        first = int(start * sample_rate)
        end = min(signal.size, first + length)
        signal[first:end] += click[: end - first]
    pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(sample_rate)
        handle.writeframes(pcm.tobytes())
    return path


@pytest.fixture(scope="session")
def craft_media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("craft media")


@pytest.fixture(scope="session")
def clicks(craft_media: Path) -> Path:
    return write_clicks(craft_media / "clicks 120 bpm.wav")


@pytest.fixture(scope="session")
def footage(craft_media: Path) -> samples.SceneVideo:
    """Three 4 s shots, 160x120 at 25 fps."""
    return samples.make_scene_video(
        craft_media / "footage.mp4", samples.scenes_for([4.0, 4.0, 4.0]), size=(160, 120)
    )


@pytest.fixture(scope="session")
def logo(craft_media: Path) -> Path:
    """A 64x32 pure magenta PNG: its pixels are easy to find on the end card."""
    from PIL import Image

    path = craft_media / "logo.png"
    Image.new("RGB", (64, 32), (255, 0, 255)).save(path)
    return path
