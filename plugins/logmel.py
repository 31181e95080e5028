"""``logmel``: a weight-free music descriptor (timbre, dynamics, tempo), 168-D.

What it captures, block by block (each block is scaled to unit length, weighted, and the whole
vector L2-normalised):

- timbre (64): the average log-mel spectrum, with its overall level removed, so bright and dark,
  bass-heavy and thin tracks differ;
- dynamics (64): how much each mel band varies over time (sustained pads vs. percussive hits);
- rhythm (32): the autocorrelation of the onset-strength envelope at tempi from 40 to 240 BPM,
  on a log scale: a tempogram summary in which a 60 and a 120 BPM beat peak in different bins;
- summary (8): the tempo estimate (strongest periodicity, with a mild preference for ~120 BPM)
  and how clear it is, onsets per second, spectral centroid and flatness (mean and spread) and
  the loudness.

What it does not capture: melody, harmony, key, genre, mood, lyrics, or anything learnt.
Two tracks with the same tempo and a similar spectrum look alike to it even if one is a lullaby.
It is the honest default that runs anywhere; ``panns`` is the learnt alternative.

Pure numpy (FFT, mel filterbank, autocorrelation); audio at 22 050 Hz mono (``encode_at``
resamples other rates with scipy).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autocut_plugins._torch import ResamplingMixin
from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import ComponentSettings, Encoder

if TYPE_CHECKING:
    import numpy as np

SAMPLE_RATE = 22050
N_FFT = 2048  # 93 ms: resolves bass notes
HOP = 512  # 23 ms: ~43 frames a second, fine enough for onsets
FMIN = 30.0
TEMPO_BINS = 32
TEMPO_RANGE = (40.0, 240.0)
SUMMARY = 8
#: The tempo prior: log-normal around 120 BPM, one octave wide (as in most beat trackers).
PRIOR_BPM, PRIOR_OCTAVES = 120.0, 1.0
EPS = 1e-10
SILENCE_DB = -100.0


class LogMelSettings(ComponentSettings):
    n_mels: int = Field(64, ge=8, le=256, description="Mel bands of the spectrum blocks")
    timbre_weight: float = Field(1.0, ge=0, description="Weight of the mean log-mel block")
    dynamics_weight: float = Field(0.5, ge=0, description="Weight of the per-band variation block")
    rhythm_weight: float = Field(1.0, ge=0, description="Weight of the tempogram block")
    summary_weight: float = Field(
        1.0, ge=0, description="Weight of the tempo/onset/centroid/flatness/loudness block"
    )


class LogMelEncoder(ResamplingMixin, Encoder[LogMelSettings]):
    """Log-mel statistics + tempogram + spectral summary of a music track (weight-free)."""

    name = "logmel"
    description = "Weight-free music descriptor: log-mel timbre, dynamics, tempo (not learnt)"
    modality = "audio"
    sample_rate = SAMPLE_RATE
    batch_size = 16

    @property
    def dim(self) -> int:
        n_mels = self.settings.n_mels
        return 2 * n_mels + TEMPO_BINS + SUMMARY

    def encode_batch(self, items: Sequence[Any]) -> np.ndarray:
        import numpy as np

        return np.stack([self.vector(item) for item in items]).astype(np.float32)

    def vector(self, audio: Any) -> np.ndarray:
        import numpy as np
        from autocut_plugins._torch import l2_normalize

        settings = self.settings
        parts = describe(audio, settings.n_mels)
        blocks = (
            (_unit(parts["timbre"]), settings.timbre_weight),
            (_unit(parts["dynamics"]), settings.dynamics_weight),
            (_unit(parts["tempogram"]), settings.rhythm_weight),
            (parts["summary"], settings.summary_weight),
        )
        vector = np.concatenate([block * weight for block, weight in blocks])
        return l2_normalize(vector)

    def describe(self, audio: Any) -> dict[str, Any]:
        """The named measurements behind the vector (``tempo_bpm``, ``onset_rate``, ...)."""
        return describe(audio, self.settings.n_mels)


def describe(audio: Any, n_mels: int = 64) -> dict[str, Any]:
    """Every measurement of one mono 22 050 Hz waveform; finite for silence and 10 ms clips."""
    import numpy as np
    from autocut_plugins._torch import as_mono

    signal = as_mono(audio).astype(np.float64)
    power = _power_spectrogram(signal)  # [frames, bins]
    mel_db = 10.0 * np.log10(np.maximum(power @ _mel_filters(n_mels).T, EPS))
    mel_db = np.maximum(mel_db, SILENCE_DB)  # [frames, mels]

    mean_db = mel_db.mean(axis=0)
    timbre = (mean_db - mean_db.mean()) / 20.0
    dynamics = mel_db.std(axis=0) / 10.0

    fps = SAMPLE_RATE / HOP
    envelope = _onset_envelope(mel_db)
    autocorr = _autocorrelation(envelope)
    tempogram = _tempogram(autocorr, fps)
    tempo_bpm, tempo_strength = _tempo(autocorr, fps)
    onset_rate = _onset_rate(
        envelope, fps, duration=max(signal.size / SAMPLE_RATE, HOP / SAMPLE_RATE)
    )

    freqs = np.linspace(0.0, SAMPLE_RATE / 2, power.shape[1])
    total = power.sum(axis=1)
    centroid = np.where(total > EPS, (power @ freqs) / np.maximum(total, EPS), 0.0) / (
        SAMPLE_RATE / 2
    )
    flatness = np.exp(np.log(power + EPS).mean(axis=1)) / (power + EPS).mean(axis=1)
    rms = np.sqrt(np.mean(signal**2)) if signal.size else 0.0
    loudness_db = max(20.0 * np.log10(rms + EPS), SILENCE_DB)

    summary = np.array(
        [
            np.log2(tempo_bpm / PRIOR_BPM) / 2.0 if tempo_bpm > 0 else 0.0,
            tempo_strength,
            min(onset_rate / 10.0, 2.0),
            centroid.mean(),
            centroid.std(),
            flatness.mean(),
            flatness.std(),
            (loudness_db - SILENCE_DB) / -SILENCE_DB,
        ]
    )
    return {
        "timbre": timbre,
        "dynamics": dynamics,
        "tempogram": tempogram,
        "summary": summary,
        "tempo_bpm": tempo_bpm,
        "tempo_strength": tempo_strength,
        "onset_rate": onset_rate,
        "centroid_hz": float(centroid.mean() * SAMPLE_RATE / 2),
        "flatness": float(flatness.mean()),
        "loudness_db": float(loudness_db),
    }


def _unit(vector: np.ndarray) -> np.ndarray:
    import numpy as np

    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _power_spectrogram(signal: np.ndarray) -> np.ndarray:
    """Hann-windowed power spectra of centred frames; short input is zero-padded to one frame."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    padded = np.pad(signal, (N_FFT // 2, N_FFT // 2))
    if padded.size < N_FFT:
        padded = np.pad(padded, (0, N_FFT - padded.size))
    frames = sliding_window_view(padded, N_FFT)[::HOP]
    window = np.hanning(N_FFT + 1)[:-1]  # periodic Hann
    spectrum = np.fft.rfft(frames * window, axis=1)
    return (spectrum.real**2 + spectrum.imag**2) / N_FFT


def _hz_to_mel(hz: Any) -> Any:
    import numpy as np

    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def _mel_to_hz(mel: Any) -> Any:
    import numpy as np

    return 700.0 * (10.0 ** (np.asarray(mel) / 2595.0) - 1.0)


@functools.cache
def _mel_filters(n_mels: int) -> np.ndarray:
    """Triangular filters equally spaced on the HTK mel scale, area-normalised (Slaney)."""
    import numpy as np

    edges = _mel_to_hz(np.linspace(_hz_to_mel(FMIN), _hz_to_mel(SAMPLE_RATE / 2), n_mels + 2))
    freqs = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling)) * (2.0 / (upper - lower))
    weights.setflags(write=False)  # shared by every call
    return weights


def _onset_envelope(mel_db: np.ndarray) -> np.ndarray:
    """Spectral flux: the mean rise in dB across bands from one frame to the next, smoothed."""
    import numpy as np

    if mel_db.shape[0] < 2:
        return np.zeros(mel_db.shape[0])
    flux = np.maximum(np.diff(mel_db, axis=0), 0.0).mean(axis=1)
    flux = np.concatenate([[0.0], flux])
    kernel = np.array([0.25, 0.5, 0.25])  # a click's flux lands on one or two frames
    return np.convolve(flux, kernel, mode="same")


def _autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Autocorrelation of the mean-removed envelope, 1 at lag 0 (all zeros if it is flat)."""
    import numpy as np

    centred = envelope - envelope.mean() if envelope.size else envelope
    energy = float(np.dot(centred, centred))
    if envelope.size < 2 or energy <= EPS:
        return np.zeros(max(envelope.size, 1))
    size = 2 ** int(np.ceil(np.log2(2 * centred.size)))
    spectrum = np.fft.rfft(centred, n=size)
    autocorr = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=size)[: centred.size]
    return autocorr / energy


def _at_bpm(autocorr: np.ndarray, bpm: np.ndarray, fps: float) -> np.ndarray:
    """Autocorrelation at the lag of each tempo (linear interpolation; 0 beyond the signal)."""
    import numpy as np

    lags = 60.0 * fps / bpm
    return np.interp(lags, np.arange(autocorr.size), autocorr, right=0.0)


def _tempogram(autocorr: np.ndarray, fps: float) -> np.ndarray:
    """Peak periodicity in each of TEMPO_BINS log-spaced tempo bands (negative values clipped)."""
    import numpy as np

    low, high = np.log2(TEMPO_RANGE[0]), np.log2(TEMPO_RANGE[1])
    fine = 2.0 ** np.linspace(low, high, TEMPO_BINS * 8, endpoint=False) * 2 ** (
        (high - low) / (TEMPO_BINS * 16)
    )
    values = _at_bpm(autocorr, fine, fps).reshape(TEMPO_BINS, 8).max(axis=1)
    return np.clip(values, 0.0, 1.0)


def _tempo(autocorr: np.ndarray, fps: float) -> tuple[float, float]:
    """(bpm, strength): the strongest periodicity weighted by the prior; (0, 0) if there is none."""
    import numpy as np

    bpm = 2.0 ** np.linspace(np.log2(30.0), np.log2(300.0), 512)
    values = _at_bpm(autocorr, bpm, fps)
    prior = np.exp(-0.5 * (np.log2(bpm / PRIOR_BPM) / PRIOR_OCTAVES) ** 2)
    best = int(np.argmax(values * prior))
    if values[best] <= 0.1:  # no periodicity worth the name (silence, noise, a 0.1 s clip)
        return 0.0, 0.0
    # Frames are 23 ms apart, so refine the peak lag with a parabola through its neighbours
    # (a 120 BPM beat falls every 21.5 frames: the integer lags alone say 117.5 or 123).
    lag = 60.0 * fps / bpm[best]
    k = round(lag)
    if 1 <= k < autocorr.size - 1:
        a, b, c = autocorr[k - 1], autocorr[k], autocorr[k + 1]
        curvature = a - 2 * b + c
        if curvature < 0:
            lag = k + float(np.clip(0.5 * (a - c) / curvature, -0.5, 0.5))
    return float(60.0 * fps / lag), float(min(values[best], 1.0))


def _onset_rate(envelope: np.ndarray, fps: float, duration: float) -> float:
    """Peaks of the envelope clearly above its typical level, per second."""
    import numpy as np

    if envelope.size < 3 or float(envelope.max()) <= EPS:
        return 0.0
    threshold = float(np.median(envelope) + envelope.std())
    middle = envelope[1:-1]
    peaks = (middle > envelope[:-2]) & (middle >= envelope[2:]) & (middle > threshold)
    return float(peaks.sum()) / duration


@hookimpl
def register_encoders(register):
    register(LogMelEncoder)
