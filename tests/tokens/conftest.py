"""Synthetic vectors for the tokenizer tests.

torch runs with one thread here as everywhere in the suite (``OMP_NUM_THREADS=1``, set by
tests/conftest.py, which ``autocut_plugins._torch.device`` honours): the same sums in the
same order on every run, and no oversubscribed cores under pytest-xdist (two threads per
worker on two cores made a training step 3 to 25 times slower).
"""

from __future__ import annotations

from autocut_core.testing.vectors import clustered

__all__ = ["clustered"]
