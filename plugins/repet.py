"""``repet``: voice/music separation without weights, by REPET-SIM (Rafii & Pardo, 2012).

The idea: a music bed repeats (the same chords, bars, loops), a voice-over does not. In the
magnitude spectrogram every frame of music has other frames that look like it, somewhere in
the track; a spoken syllable over it has few. REPET-SIM makes that a filter:

1. the frames' magnitude spectra are compared by cosine similarity (one matrix per chunk);
2. for each frame, its *repeating frames* are the most similar others: local peaks of its
   row of the matrix, at least ``min_distance`` seconds apart (so one long note does not
   count as many repeats), above ``min_similarity``, at most ``max_repeats`` of them;
3. the element-wise median of their spectra models what of this frame repeats: the median
   ignores a voice that is in some of them, as it ignores an outlier;
4. that model, capped by the frame itself, over the frame is a soft mask (0..1 per bin):
   the mask times the mix is the music, and the mix minus the music is the voice, so the
   two stems add up to the mix exactly.

Written from the paper's description with NumPy only (the STFT too), so it runs on every
install and is the dataset builder's default separator: deterministic (no random state,
no threads that reorder sums), and bounded in memory by the base class's chunks (the
similarity matrix of a 60 s chunk is 2.6 k x 2.6 k floats, 27 MB). It knows nothing about
voices, only about repetition: music that never repeats, or a voice that does (a chant, a
jingle's sung hook), ends up in the other stem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import Separator, SeparatorSettings

if TYPE_CHECKING:
    import numpy as np

#: 2048-point frames at 22.05 kHz (93 ms, 10.8 Hz bins) and a quarter-frame hop, as the
#: paper's STFT; smaller windows blur the harmonics a repeating chord is recognised by.
SAMPLE_RATE = 22_050
FRAME = 2048
HOP = FRAME // 4
#: Frames whose repeating frames are gathered at once: bins x block x max_repeats floats.
BLOCK = 64


class RepetSettings(SeparatorSettings):
    min_distance: float = Field(
        0.5, gt=0.0, description="Seconds at least between two repeating frames of one frame"
    )
    max_repeats: int = Field(
        40, ge=2, description="Most repeating frames whose median models one frame's music"
    )
    min_similarity: float = Field(
        0.0, ge=0.0, lt=1.0, description="Cosine similarity a repeating frame must exceed"
    )


class RepetSeparator(Separator[RepetSettings]):
    """REPET-SIM: the music is what repeats (median of similar frames, soft mask)."""

    name = "repet"
    description = "REPET-SIM (Rafii & Pardo 2012): music is what repeats; no weights (NumPy)"
    sample_rate = SAMPLE_RATE

    @property
    def model(self) -> str:
        settings = self.settings
        return (
            f"repet-sim-d{settings.min_distance:g}-k{settings.max_repeats}"
            f"-t{settings.min_similarity:g}"
        )

    def _separate(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        spectrum = stft(audio)
        magnitude = np.abs(spectrum)
        model = repeating_model(magnitude, self._repeats(magnitude))
        mask = np.minimum(model, magnitude) / np.maximum(magnitude, 1e-10)
        music = istft(mask * spectrum, audio.size)
        return (audio - music).astype(np.float32), music.astype(np.float32)

    def _repeats(self, magnitude: np.ndarray) -> np.ndarray:
        """Each frame's repeating frames as indices (frames x k, -1 where it has fewer)."""
        settings = self.settings
        gap = max(1, round(settings.min_distance * SAMPLE_RATE / HOP))
        return repeating_frames(
            similarity(magnitude), gap, settings.max_repeats, settings.min_similarity
        )


def window() -> np.ndarray:
    """The periodic Hann window: its quarter-hop overlaps add up to a constant."""
    import numpy as np

    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / FRAME)).astype(np.float64)


def stft(audio: np.ndarray) -> np.ndarray:
    """The complex spectrogram (bins x frames), frames centred on multiples of ``HOP``."""
    import numpy as np

    frames = 1 + -(-audio.size // HOP)
    padded = np.zeros((frames - 1) * HOP + FRAME, dtype=np.float64)
    padded[FRAME // 2 : FRAME // 2 + audio.size] = audio
    windows = np.lib.stride_tricks.sliding_window_view(padded, FRAME)[::HOP][:frames]
    return np.fft.rfft(windows * window(), axis=1).T


def istft(spectrum: np.ndarray, length: int) -> np.ndarray:
    """``length`` samples back from a spectrogram :func:`stft` made (weighted overlap-add)."""
    import numpy as np

    hann = window()
    pieces = np.fft.irfft(spectrum.T, n=FRAME, axis=1) * hann
    total = (pieces.shape[0] - 1) * HOP + FRAME
    signal = np.zeros(total)
    weight = np.zeros(total)
    for index, piece in enumerate(pieces):
        signal[index * HOP : index * HOP + FRAME] += piece
        weight[index * HOP : index * HOP + FRAME] += hann**2
    middle = slice(FRAME // 2, FRAME // 2 + length)
    return signal[middle] / np.maximum(weight[middle], 1e-10)


def similarity(magnitude: np.ndarray) -> np.ndarray:
    """Cosine similarity of every pair of frames (frames x frames, float32)."""
    import numpy as np

    columns = magnitude.astype(np.float32)
    norms = np.linalg.norm(columns, axis=0)
    unit = columns / np.maximum(norms, 1e-10)
    return unit.T @ unit


def repeating_frames(matrix: np.ndarray, gap: int, most: int, threshold: float) -> np.ndarray:
    """Per row of the similarity ``matrix``: the columns of its ``most`` highest local peaks
    (a peak is the largest value within ``gap`` frames on either side) above ``threshold``,
    -1 where there are fewer. A frame is its own highest peak (similarity 1), so every row
    has at least one: silence is modelled by itself, and kept whole in the music stem."""
    import numpy as np

    frames = matrix.shape[0]
    padded = np.pad(matrix, ((0, 0), (gap, gap)), constant_values=-np.inf)
    neighbourhood = np.lib.stride_tricks.sliding_window_view(padded, 2 * gap + 1, axis=1)
    peaks = (matrix >= neighbourhood.max(axis=2)) & (matrix > threshold)
    score = np.where(peaks, matrix, -np.inf)
    keep = min(most, frames)
    # Ties broken by column (stable sort), so the choice never depends on the platform.
    order = np.argsort(-score, axis=1, kind="stable")[:, :keep]
    chosen = np.take_along_axis(score, order, axis=1)
    return np.where(np.isfinite(chosen), order, -1)


def repeating_model(magnitude: np.ndarray, repeats: np.ndarray) -> np.ndarray:
    """Each frame's element-wise median over its repeating frames' spectra (bins x frames)."""
    import numpy as np

    model = np.empty_like(magnitude)
    for start in range(0, magnitude.shape[1], BLOCK):
        block = repeats[start : start + BLOCK]
        gathered = magnitude[:, np.maximum(block, 0)]  # bins x block x k
        gathered[:, block < 0] = np.inf
        gathered.sort(axis=2)  # the missing repeats (inf) last
        count = (block >= 0).sum(axis=1)  # at least 1: the frame itself
        lower = np.take_along_axis(gathered, ((count - 1) // 2)[None, :, None], axis=2)
        upper = np.take_along_axis(gathered, (count // 2)[None, :, None], axis=2)
        model[:, start : start + BLOCK] = (lower[..., 0] + upper[..., 0]) / 2
    return model


@hookimpl
def register_separators(register):
    register(RepetSeparator)
