"""Tokenizers trained by the build get a codebook, batch and schedule small corpora can fill."""

from __future__ import annotations

import pytest

from autocut_core.dataset.encoding import MIN_STEPS, small_data_options
from autocut_core.plugins import get_registry


@pytest.mark.parametrize(
    ("name", "vectors", "given", "wanted"),
    [
        # One step an epoch: epochs grow to MIN_STEPS (100) for both (defaults 20 and 50).
        ("rqvae", 8, {}, {"codebook_size": 2, "batch_size": 16, "epochs": 100}),
        ("rqvae-audio", 8, {}, {"codebook_size": 2, "batch_size": 16, "epochs": 100}),
        # Two steps an epoch: video's 20 epochs make 40 steps, audio's 50 make 100.
        ("rqvae", 300, {}, {"codebook_size": 64, "batch_size": 128, "epochs": 50}),
        ("rqvae-audio", 300, {}, {"codebook_size": 64, "batch_size": 128}),
        ("rqvae", 5000, {}, {"batch_size": 512}),  # the paper's 256 codes fit; one batch would not
        ("rqvae", 100_000, {}, {}),  # a real corpus trains with the paper's options
        ("rqvae", 300, {"codebook_size": 16}, {"codebook_size": 16, "batch_size": 32}),
        (
            "rqvae",
            300,
            {"codebook_size": 16, "batch_size": 8},
            {"codebook_size": 16, "batch_size": 8},
        ),
        ("rqvae", 8, {"epochs": 3}, {"codebook_size": 2, "batch_size": 16, "epochs": 3}),
    ],
)
def test_unset_options_shrink_to_the_data_and_set_ones_stay(name, vectors, given, wanted):
    tokenizer = get_registry().create("tokenizer", name, given)
    assert small_data_options(tokenizer, given, vectors) == wanted
    assert MIN_STEPS == 100
