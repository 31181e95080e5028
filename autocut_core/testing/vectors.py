"""Seeded synthetic vectors with a known structure, for tokenizer tests and benchmarks.

Unit vectors scattered around random centres on the sphere: a tokenizer that learns should
reconstruct them far better than chance, and one seed always gives the same vectors, so a
test threshold and a benchmark table mean the same thing on every run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def clustered(
    n: int, dim: int = 128, clusters: int = 2000, noise: float = 0.3, seed: int = 0
) -> np.ndarray:
    """``n`` float32 unit vectors around ``clusters`` random centres on the unit sphere."""
    import numpy as np

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, clusters, n)
    vectors = centres[labels] + noise * rng.standard_normal((n, dim)) / np.sqrt(dim)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
