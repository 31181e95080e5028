"""Shared by the backbone tests: one loaded sentence encoder for the whole directory."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def similarity():
    """The ``similarity`` backbone with its defaults (all-MiniLM-L6-v2 from PyPI), loaded once:
    its encoder and caches persist across tests, as they would across one run's calls."""
    from autocut_plugins.similarity import SimilarityBackbone

    return SimilarityBackbone.from_options({})


@pytest.fixture(scope="session")
def lexical():
    """The ``similarity`` backbone without any model: word and character overlap only."""
    from autocut_plugins.similarity import SimilarityBackbone

    return SimilarityBackbone.from_options({"text_encoder": "none"})
