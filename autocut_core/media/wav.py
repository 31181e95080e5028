"""Mono float samples into a 16-bit PCM WAV file, atomically.

Stems (`autocut separate`, the music stem `dataset build` embeds) are written as WAV: every
decoder reads it, its content (and so its content hash and track id) depends only on the
samples, and 16 bits are 96 dB of range, more than an embedding of music can tell apart.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path
from typing import TYPE_CHECKING

from autocut_core.fsutil import atomic_path

if TYPE_CHECKING:
    import numpy as np


def write_wav(target: str | os.PathLike[str], samples: np.ndarray, sample_rate: int) -> Path:
    """Write ``samples`` (mono, full scale 1.0; clipped to [-1, 1]) to ``target``."""
    import numpy as np

    pcm = np.round(np.clip(np.asarray(samples, dtype=np.float64), -1.0, 1.0) * 32767)
    path = Path(target)
    with atomic_path(path) as partial, wave.open(os.fspath(partial), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(int(sample_rate))
        handle.writeframes(pcm.astype("<i2").tobytes())
    return path
