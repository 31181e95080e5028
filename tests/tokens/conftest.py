"""Synthetic vectors for the tokenizer tests, and a fair share of the CPU for torch."""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest


def clustered(n: int, dim: int = 128, clusters: int = 2000, noise: float = 0.3, seed: int = 0):
    """``n`` unit vectors around ``clusters`` random centres on the unit sphere (seeded)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = rng.integers(0, clusters, n)
    vectors = centres[labels] + noise * rng.standard_normal((n, dim)) / np.sqrt(dim)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(autouse=True, scope="session")
def _torch_threads_per_worker() -> Iterator[None]:
    """Under pytest-xdist, give torch cores / workers threads instead of every core.

    Training takes torch's threads from the affinity mask (one per core). With two xdist
    workers on two cores that oversubscribes the CPU, and torch's thread pool then waits at
    every barrier: measured here, a training step ran 3 to 25 times slower with two threads
    than with one while other processes kept both cores busy.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers <= 1:
        yield
        return
    try:
        import torch
        from autocut_plugins import _torch
    except ImportError:  # the token-string tests need no torch
        yield
        return

    _torch.device()  # sets the threads once (cached); we override it afterwards
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, _torch.available_cores() // workers))
    yield
    torch.set_num_threads(before)
