"""What an ``rqvae`` tokenizer folder holds: file names, format tag, presets, collapse error.

Shared by the tokenizer (:mod:`autocut_plugins.rqvae`, which reads the folder) and its
training (:mod:`autocut_plugins.rqvae_training`, which writes it), so neither imports the other
to learn the names.
"""

from __future__ import annotations

from autocut_core.errors import AutocutError

FORMAT = "autocut-rqvae"
FORMAT_VERSION = 1
WEIGHTS_FILE = "tokenizer.safetensors"
CONFIG_FILE = "tokenizer.json"

#: The model designs a tokenizer can have. ``reference`` is the public reference
#: implementation's (cosine codebook lookup, Linear-GELU-BatchNorm MLPs, AdamW betas
#: (0.9, 0.98), batches in data order); ``autocut`` is this project's earlier design
#: (Euclidean lookup, ReLU MLPs, input standardisation, LayerNorm, shuffled batches).
PRESETS = ("reference", "autocut")
#: The preset of a ``tokenizer.json`` that names none: every folder written before the preset
#: was recorded holds the ``autocut`` layout, so it must load back as that.
LEGACY_PRESET = "autocut"


class CodebookCollapseError(AutocutError):
    """The tokens would carry no information: the input is (nearly) constant, or a quantizer
    head uses a single code while the vectors still differ in ways it could have coded."""
