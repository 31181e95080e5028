"""Beat times of a music track: onset strength, tempo, dynamic-programming beat tracking.

The method is Ellis (2007), "Beat tracking by dynamic programming", the one librosa's
``beat_track`` implements, written here on NumPy alone: librosa 0.11 (in the venv through
panns) compiles its kernels with numba on first call, which measured 10 s warm and 40 s cold
per process on the 2-core build machine, more than the whole render it would serve.

1. **Onset strength**: a log-compressed magnitude spectrogram (1024-sample frames, hop 512
   at 22.05 kHz, 23 ms; longer frames move a beat ~20 ms early) summed over 40 log-spaced bands; the positive first difference
   (spectral flux) of each band, summed, with the local mean removed.
2. **Tempo**: the onset envelope's autocorrelation over 40-240 BPM, weighted by a
   log-normal prior around 120 BPM (one octave wide), as librosa does; its peak is the beat
   period.
3. **Beats**: every frame's best predecessor one period back (``period/2 .. 2*period``),
   paying ``tightness * log(gap/period)^2`` for a gap off the period; the path ending at the
   best-scoring frame near the end is traced back. Beats in the quiet lead-in and tail
   (onset below half the mean of the others) are dropped.

Frame ``i`` is centred at ``i * hop`` samples (the signal is padded by half a frame), so a
beat's time is accurate to about one hop (23 ms), below a video frame at 30 fps.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from autocut_core.media.decode import decode_audio

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 22050
FRAME = 1024
HOP = 512
BANDS = 40
MIN_BPM, MAX_BPM, PRIOR_BPM = 40.0, 240.0, 120.0
#: How strictly beats keep to the period (librosa's default).
TIGHTNESS = 100.0


@dataclass(frozen=True)
class Beats:
    """The beat grid of a track: times in seconds of the track, and its tempo."""

    times: tuple[float, ...]
    bpm: float
    duration: float


def track_beats(path: str | os.PathLike[str], max_seconds: float | None = None) -> Beats:
    """Decode ``path`` (mono, 22.05 kHz) and track its beats (see the module docs)."""
    samples = decode_audio(path, SAMPLE_RATE, max_seconds)
    return beats_of(samples, SAMPLE_RATE)


def beats_of(samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Beats:
    """Beats of mono PCM ``samples``; a signal shorter than two frames has none."""
    import numpy as np

    duration = samples.size / sample_rate
    envelope = onset_strength(samples, sample_rate)
    if envelope.size < 4 or not np.any(envelope > 0):
        return Beats(times=(), bpm=0.0, duration=duration)
    fps = sample_rate / HOP
    period = tempo_period(envelope, fps)
    frames = track(envelope, period)
    times = tuple(round(float(frame) * HOP / sample_rate, 4) for frame in frames)
    return Beats(times=times, bpm=round(60.0 * fps / period, 2), duration=duration)


def onset_strength(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Spectral flux over log-spaced bands, one value per hop (frame ``i`` at ``i * HOP``)."""
    import numpy as np

    signal = np.asarray(samples, dtype=np.float64)
    if signal.size < FRAME:
        return np.zeros(0)
    padded = np.pad(signal, FRAME // 2, mode="reflect")
    count = 1 + (padded.size - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    spectrum = np.abs(np.fft.rfft(padded[index] * np.hanning(FRAME), axis=1))
    frequencies = np.fft.rfftfreq(FRAME, 1.0 / sample_rate)
    edges = np.geomspace(30.0, min(11000.0, sample_rate / 2), BANDS + 1)
    band_of = np.digitize(frequencies, edges) - 1
    bands = np.zeros((count, BANDS))
    for band in range(BANDS):
        chosen = band_of == band
        if np.any(chosen):
            bands[:, band] = spectrum[:, chosen].sum(axis=1)
    compressed = np.log1p(1000.0 * bands / max(1e-12, float(bands.max())))
    flux = np.maximum(0.0, np.diff(compressed, axis=0, prepend=compressed[:1])).sum(axis=1)
    # Remove the slowly varying part (about 0.3 s), so loud passages do not dominate.
    width = max(1, round(0.3 * sample_rate / HOP))
    local = np.convolve(flux, np.ones(width) / width, mode="same")
    envelope = np.maximum(0.0, flux - local)
    spread = float(envelope.std())
    return envelope / spread if spread > 0 else envelope


def tempo_period(envelope: np.ndarray, fps: float) -> float:
    """The beat period in frames: the prior-weighted autocorrelation peak."""
    import numpy as np

    # Smoothed by two frames first: a period that falls between two lags splits its peak.
    smooth = np.convolve(envelope, np.exp(-0.5 * (np.arange(-4, 5) / 2.0) ** 2), mode="same")
    centred = smooth - smooth.mean()
    full = np.correlate(centred, centred, mode="full")[centred.size - 1 :]
    shortest = max(1, int(np.floor(60.0 * fps / MAX_BPM)))
    longest = min(full.size - 1, int(np.ceil(60.0 * fps / MIN_BPM)))
    if longest <= shortest:
        return float(max(1, shortest))
    lags = np.arange(shortest, longest + 1)
    bpm = 60.0 * fps / lags
    prior = np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM)) ** 2)
    weighted = full[lags] * prior
    best = int(np.argmax(weighted))
    lag = float(lags[best])
    if 0 < best < lags.size - 1:  # parabolic refinement of the peak
        left, middle, right = weighted[best - 1], weighted[best], weighted[best + 1]
        curvature = left - 2 * middle + right
        if curvature < 0:
            lag += 0.5 * (left - right) / curvature
    return lag


def track(envelope: np.ndarray, period: float) -> list[int]:
    """Frames of the best beat sequence at ``period`` (Ellis 2007, see the module docs)."""
    import numpy as np

    window = np.exp(-0.5 * ((np.arange(-period, period + 1) * 32.0 / period) ** 2))
    local = np.convolve(envelope, window, mode="same")
    count = local.size
    score = np.zeros(count)
    previous = np.full(count, -1, dtype=np.int64)
    low, high = max(1, round(period / 2)), max(2, round(2 * period))
    gaps = np.arange(low, high + 1)
    penalty = -TIGHTNESS * np.log(gaps / period) ** 2
    for frame in range(count):
        starts = frame - gaps
        valid = starts >= 0
        if np.any(valid):
            candidates = score[starts[valid]] + penalty[valid]
            best = int(np.argmax(candidates))
            score[frame] = local[frame] + candidates[best]
            previous[frame] = starts[valid][best]
        else:
            score[frame] = local[frame]
    # End on the best frame of the last period (a path ending earlier is one beat short).
    tail_start = max(0, count - round(period))
    frame = tail_start + int(np.argmax(score[tail_start:]))
    path = []
    while frame >= 0:
        path.append(frame)
        frame = int(previous[frame])
    path.reverse()
    strengths = local[path]
    keep = strengths >= 0.5 * float(strengths.mean()) if strengths.size else strengths
    first = int(np.argmax(keep)) if np.any(keep) else 0
    last = len(path) - int(np.argmax(keep[::-1])) if np.any(keep) else len(path)
    return path[first:last]
