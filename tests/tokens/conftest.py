"""Synthetic vectors for the tokenizer tests.

torch runs with one thread here as everywhere in the suite (``OMP_NUM_THREADS=1``, set by
tests/conftest.py, which ``autocut_plugins._torch.device`` honours): the same sums in the
same order on every run, and no oversubscribed cores under pytest-xdist (two threads per
worker on two cores made a training step 3 to 25 times slower).
"""

from __future__ import annotations

import numpy as np


def clustered(n: int, dim: int = 128, clusters: int = 2000, noise: float = 0.3, seed: int = 0):
    """``n`` unit vectors around ``clusters`` random centres on the unit sphere (seeded)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, clusters, n)
    vectors = centres[labels] + noise * rng.standard_normal((n, dim)) / np.sqrt(dim)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
