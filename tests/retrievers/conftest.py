"""Shared data for the retriever tests: seeded clustered unit vectors, built indexes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autocut_core.components import Retriever
from autocut_core.plugins import get_registry

#: Every index the faiss and annoy plugins offer, as (retriever name, options).
#: Annoy builds on one thread: its default (``threads = 0``) builds on every core, and each
#: build thread seeds its own trees (seed + thread number), so the forest, and its recall,
#: would depend on the machine's core count. Faiss takes its thread count from
#: ``OMP_NUM_THREADS=1`` (tests/conftest.py), which also fixes HNSW's insertion order.
INDEXES: dict[str, tuple[str, dict[str, Any]]] = {
    "faiss-flat": ("faiss", {"index_type": "flat"}),
    "faiss-hnsw": ("faiss", {"index_type": "hnsw"}),
    "faiss-ivfflat": ("faiss", {"index_type": "ivfflat"}),
    "faiss-ivfpq": ("faiss", {"index_type": "ivfpq"}),
    "annoy": ("annoy", {"threads": 1}),
}


def clustered(n: int, dim: int = 64, per_cluster: int = 100, seed: int = 0, queries: int = 200):
    """Gaussian clusters on the unit sphere, and fresh queries drawn from the same clusters.

    The same construction as bench/bench_retrievers.py, smaller: the recall floors in the
    tests are measured on it, so change both together.
    """
    generator = np.random.default_rng(seed)
    clusters = max(1, n // per_cluster)
    centers = generator.standard_normal((clusters, dim)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)

    def draw(count: int) -> np.ndarray:
        labels = generator.integers(0, clusters, count)
        noise = generator.standard_normal((count, dim)).astype(np.float32)
        points = centers[labels] + (0.6 / np.sqrt(dim)) * noise
        return points / np.linalg.norm(points, axis=1, keepdims=True)

    return draw(n), draw(queries)


def make(name: str, **extra: Any) -> Retriever:
    retriever_name, options = INDEXES[name]
    return get_registry().create("retriever", retriever_name, {**options, **extra})


def ids_for(n: int) -> list[str]:
    return [f"clip{i:06d}" for i in range(n)]


@pytest.fixture(scope="session")
def data20k():
    """20k x 64 clustered vectors (200 clusters) and 200 queries."""
    return clustered(20000)


@pytest.fixture(scope="session")
def built20k(data20k) -> dict[str, Retriever]:
    """Each index built once on the 20k set (the session's slowest step, ~10 s)."""
    from autocut_core import plugins

    vectors, _ = data20k
    built = {}
    for name in INDEXES:
        retriever = make(name)
        retriever.build(ids_for(len(vectors)), vectors)
        built[name] = retriever
    plugins.reset()
    return built


@pytest.fixture(scope="session")
def truth20k(data20k) -> np.ndarray:
    """Exact top-10 rows of each query (NumPy, independent of both plugins)."""
    vectors, queries = data20k
    return np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
