"""Footage with known cuts at times that are neither whole seconds nor on the 10 fps grid the
cut detector decodes at: reels of opencv-doc photos, and opencv-doc's own Megamind.avi.

The reels are made once per session (about 2 s). Megamind's true cuts are measured here
from its native frames by pixel difference, independently of any encoder.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from autocut_core.media import probe
from autocut_core.media.window import native_frames
from autocut_core.testing.shot_check import PHOTOS, PhotoReel, make_photo_reel

MEGAMIND = PHOTOS / "Megamind.avi"
#: Frames per shot: cuts after 43, 102 and 139 frames (none on the 10 fps grid at 25 fps).
SHOTS = (("fruits.jpg", 43), ("baboon.jpg", 59), ("apple.jpg", 37), ("butterfly.jpg", 52))


@pytest.fixture(scope="session")
def reels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PhotoReel]:
    """The same shots as MPEG-4 in AVI at 24000/1001 fps (one tick per frame, the
    container where a rounded seek shows) and as H.264 in MP4 at 25 fps."""
    folder = tmp_path_factory.mktemp("reels")
    return {
        "avi": make_photo_reel(folder / "reel.avi", SHOTS, Fraction(24000, 1001), codec="mpeg4"),
        "mp4": make_photo_reel(folder / "reel.mp4", SHOTS, Fraction(25)),
    }


@pytest.fixture(scope="session")
def megamind_cuts() -> tuple[float, ...]:
    """Megamind.avi's cuts: frames differing from the one before by far more than motion
    does. Measured: 3 cuts at 39-42 grey levels of mean difference, motion at most 4.6, so
    10x the median (1.6) separates them with room. Its first frame is black (a one-frame
    leader), which no clip can be; it is counted with the first shot."""
    facts = probe(MEGAMIND)
    frames = native_frames(MEGAMIND, 0.0, facts.duration + 1.0, 64, facts)
    pixels = np.stack([f.pixels.astype(np.float32) for f in frames])
    change = np.abs(np.diff(pixels, axis=0)).mean(axis=(1, 2, 3))
    cuts = [frames[i + 1].time for i in np.flatnonzero(change > 10 * np.median(change)) if i > 0]
    assert len(cuts) == 3, cuts
    return tuple(cuts)


def copy_of(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    target.write_bytes(source.read_bytes())
    return target
