"""Speech with known words: espeak-ng reads sentences into a WAV, muxed under a test video."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

#: Two sentences, half a second of silence between them (espeak's paragraph pause).
SPOKEN = ("Fresh apples from the orchard.", "Crisp and sweet, picked this morning.")


def speak(target: Path, sentences: tuple[str, ...] = SPOKEN, voice: str = "en") -> Path:
    """``sentences`` spoken by espeak-ng into a 16 kHz WAV, with 0.5 s of silence between."""
    espeak = shutil.which("espeak-ng")
    assert espeak is not None, "bootstrap installs espeak-ng"
    subprocess.run(
        [espeak, "-v", voice, "-g", "10", "-w", str(target), "\n\n".join(sentences)],
        check=True, capture_output=True,
    )  # fmt: skip
    return target


def speaking_video(target: Path, sentences: tuple[str, ...] = SPOKEN, voice: str = "en") -> Path:
    """A small H.264 + AAC video whose sound is ``sentences`` spoken."""
    wav = speak(target.with_suffix(".wav"), sentences, voice)
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=160x120:rate=10", "-i", str(wav), "-shortest", "-c:v", "libx264",
         "-pix_fmt", "yuv420p", "-c:a", "aac", str(target)],
        check=True, capture_output=True,
    )  # fmt: skip
    wav.unlink()
    return target


@pytest.fixture(scope="session")
def spoken_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speaking_video(tmp_path_factory.mktemp("spoken") / "apples.mp4")
