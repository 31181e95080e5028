"""A tiny randomly initialised Hybrid Transformer Demucs, saved as demucs saves its models.

What the ``demucs`` separator's example options load (the contract) and what its tests put
where the ``htdemucs`` card's checkpoint lives, to load it by name offline: the real class
(``demucs_infer.htdemucs.HTDemucs``, the four sources of ``htdemucs``, 44.1 kHz stereo) at
tiny widths (4 channels, depth 4, one transformer layer: 77 k parameters, 1 s segments),
in demucs' checkpoint layout (``klass``, ``args``, ``kwargs``, ``state``), so loading,
normalisation, segmenting and the stems' sum run the code a real checkpoint runs through.
Its stems are random.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

VERSION = "1"
SOURCES = ("drums", "bass", "other", "vocals")
#: Depth 4 with 1024-point frames keeps the transformer's sequence short (depth 2 made one
#: second take 1.6 s on one core, depth 4 takes 0.05 s).
TINY_KWARGS: dict[str, Any] = {
    "sources": list(SOURCES),
    "channels": 4,
    "depth": 4,
    "nfft": 1024,
    "t_layers": 1,
    "t_heads": 2,
    "t_hidden_scale": 1.0,
    "dconv_comp": 2,
    "samplerate": 44_100,
    "segment": 1,
}


def write_tiny_demucs(target: Path, seed: int = 0) -> Path:
    """Save a tiny random HTDemucs checkpoint to ``target``, atomically."""
    import torch
    from demucs_infer.htdemucs import HTDemucs

    from autocut_core.fsutil import atomic_path

    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        network = HTDemucs(**TINY_KWARGS)
    finally:
        torch.random.set_rng_state(generator_state)
    package = {"klass": HTDemucs, "args": (), "kwargs": dict(TINY_KWARGS),
               "state": network.state_dict()}  # fmt: skip
    with atomic_path(Path(target)) as partial:
        torch.save(package, partial)
    return Path(target)


def tiny_demucs_checkpoint() -> Path:
    """The tiny checkpoint under the temporary folder, written on first use."""
    path = Path(tempfile.gettempdir()) / "autocut-tiny-demucs" / f"v{VERSION}" / "tiny.th"
    if not path.is_file():
        os.makedirs(path.parent, exist_ok=True)
        write_tiny_demucs(path)
    return path
