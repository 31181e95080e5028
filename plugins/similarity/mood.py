"""A two-axis mood space shared by footage and music: energy and brightness.

Footage and music are measured with different instruments, so each is mapped onto the same
two axes and the track nearest to the footage wins:

- footage (absolute scale, anchors from ordinary product footage, about -2..2 per axis):
  energy from motion (most of it), colourfulness and cutting pace; brightness from luma
  (most of it) and colourfulness. A single ad has no pool to be normalised against, so the
  anchors say what "ordinary" is: motion 0.008 (mean luma change per decoded frame, see
  :mod:`.footage`; people walking through a fixed shot measure about 0.005, a pan or a
  fast-moving subject 0.03 and more), luma 0.45, colourfulness 0.25, a cut every 3 s;
- music (relative scale, z-scores across the offered tracks): energy from tempo, onset rate
  and loudness; brightness from the spectral centroid, as measured by the ``logmel``
  encoder's :func:`~autocut_plugins.logmel.describe`. Relative, because what matters is
  which of *these* tracks is the most energetic, whatever the library's overall level.

What it cannot know: harmony (major/minor), genre, lyrics, or whether a calm track "fits" a
luxury brand; two tracks with the same tempo and spectrum are the same mood to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autocut_core.errors import InputError
from autocut_core.media import MediaError, decode_audio

if TYPE_CHECKING:
    import numpy as np

    from .footage import ClipLook

# Anchors of the footage scale: the value that maps to 0 and the change worth one unit.
MOTION_ANCHOR, MOTION_UNIT = 0.008, 0.5  # in decades: 0.025 is +1, 0.0025 is -1
LUMA_ANCHOR, LUMA_UNIT = 0.45, 0.2
CHROMA_ANCHOR, CHROMA_UNIT = 0.25, 0.2
PACE_ANCHOR_S = 3.0  # halving the mean clip length = +1
AXIS_LIMIT = 2.0


@dataclass(frozen=True)
class Mood:
    """A point in the shared space; 0 is ordinary, positive is more energetic / brighter."""

    energy: float
    brightness: float


@dataclass(frozen=True)
class TrackSound:
    """What the music choice measures of one track."""

    tempo_bpm: float
    onset_rate: float
    loudness_db: float
    centroid_hz: float


def footage_mood(looks: Sequence[ClipLook]) -> Mood:
    """The mood of the ordered clips, each weighted by its duration."""
    weights = [max(look.duration, 1e-3) for look in looks]
    total = sum(weights)

    def mean(values: Sequence[float]) -> float:
        return sum(v * w for v, w in zip(values, weights, strict=True)) / total

    motion = _clip(
        math.log10(max(mean([look.motion for look in looks]), 1e-5) / MOTION_ANCHOR) / MOTION_UNIT
    )
    luma = _clip((mean([look.luma for look in looks]) - LUMA_ANCHOR) / LUMA_UNIT)
    chroma = _clip((mean([look.chroma for look in looks]) - CHROMA_ANCHOR) / CHROMA_UNIT)
    pace = _clip(math.log2(PACE_ANCHOR_S / (total / len(looks))))
    return Mood(
        energy=0.7 * motion + 0.15 * chroma + 0.15 * pace,
        brightness=0.7 * luma + 0.3 * chroma,
    )


def listen(path: str, max_seconds: float) -> TrackSound:
    """Measure a track's first ``max_seconds``; an unreadable file is an error naming it."""
    from autocut_plugins.logmel import SAMPLE_RATE, describe

    try:
        audio = decode_audio(path, SAMPLE_RATE, max_seconds=max_seconds)
    except MediaError as error:
        raise MediaError(error.path, f"{error.reason} (a music track offered)") from None
    if audio.size == 0:
        raise InputError(f"{path}: the music track decodes to no samples")
    facts = describe(audio)
    return TrackSound(
        tempo_bpm=float(facts["tempo_bpm"]),
        onset_rate=float(facts["onset_rate"]),
        loudness_db=float(facts["loudness_db"]),
        centroid_hz=float(facts["centroid_hz"]),
    )


def track_moods(sounds: Sequence[TrackSound]) -> list[Mood]:
    """Each track's place among the offered ones (z-scores; one track alone sits at 0)."""
    import numpy as np

    # No detectable beat reads as slow (50 BPM), not as "tempo unknown".
    tempo = np.log2([max(s.tempo_bpm, 50.0) for s in sounds])
    onsets = np.log1p([s.onset_rate for s in sounds])
    loudness = np.array([s.loudness_db for s in sounds])
    centroid = np.log2([max(s.centroid_hz, 20.0) for s in sounds])
    # Tempo first: the most robust cue (a swelling pad can have as many "onsets" as a beat).
    energy = _z(0.55 * _z(tempo) + 0.3 * _z(onsets) + 0.15 * _z(loudness))
    brightness = _z(centroid)
    return [Mood(float(e), float(b)) for e, b in zip(energy, brightness, strict=True)]


def distances(footage: Mood, tracks: Sequence[Mood], brightness_weight: float) -> list[float]:
    """Weighted Euclidean distance from the footage's mood to each track's."""
    return [
        math.sqrt(
            (footage.energy - track.energy) ** 2
            + brightness_weight * (footage.brightness - track.brightness) ** 2
        )
        for track in tracks
    ]


def _z(values: np.ndarray) -> np.ndarray:
    import numpy as np

    values = np.asarray(values, dtype=np.float64)
    spread = values.std()
    if spread < 1e-9:
        return np.zeros_like(values)
    return (values - values.mean()) / spread


def _clip(value: float) -> float:
    return max(-AXIS_LIMIT, min(AXIS_LIMIT, value))
