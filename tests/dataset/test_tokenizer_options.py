"""Tokenizers trained by the build get a codebook and batch that small corpora can fill."""

from __future__ import annotations

import pytest

from autocut_core.dataset.encoding import small_data_options
from autocut_core.plugins import get_registry


@pytest.mark.parametrize(
    ("vectors", "given", "wanted"),
    [
        (8, {}, {"codebook_size": 2, "batch_size": 16}),
        (300, {}, {"codebook_size": 64, "batch_size": 128}),
        (5000, {}, {"batch_size": 512}),  # the paper's 256 codes fit; one batch would not
        (100_000, {}, {}),  # a real corpus trains with the paper's options
        (300, {"codebook_size": 16}, {"codebook_size": 16, "batch_size": 32}),
        (300, {"codebook_size": 16, "batch_size": 8}, {"codebook_size": 16, "batch_size": 8}),
    ],
)
def test_unset_options_shrink_to_the_data_and_set_ones_stay(vectors, given, wanted):
    for name in ("rqvae", "rqvae-audio"):
        tokenizer = get_registry().create("tokenizer", name, given)
        assert small_data_options(tokenizer, given, vectors) == wanted
