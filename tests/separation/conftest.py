"""One made ad: an espeak-ng voice over known music over footage (the dataset tests' maker),
and its music alone, the truth a separated music stem is compared with."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocut_core.testing.synthetic_ads import WrittenAd, make_synthetic_ads


@pytest.fixture(scope="session")
def made_ad(tmp_path_factory: pytest.TempPathFactory) -> WrittenAd:
    corpus = make_synthetic_ads(
        tmp_path_factory.mktemp("separation") / "ads", n_ads=3, seed=3, bad=(), zh_share=0.0
    )
    return corpus.ads[0]


def correlation(a, b) -> float:
    """Pearson correlation of two waveforms over their common length (aligned at 0)."""
    import numpy as np

    n = min(a.size, b.size)
    x, y = a[:n].astype(np.float64), b[:n].astype(np.float64)
    x, y = x - x.mean(), y - y.mean()
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


@pytest.fixture
def broken_file(tmp_path: Path) -> Path:
    path = tmp_path / "broken.mp4"
    path.write_bytes(b"not a video at all")
    return path
