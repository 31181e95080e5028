"""What an ``rqvae`` tokenizer folder holds (file names, format tag) and the collapse error.

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


class CodebookCollapseError(AutocutError):
    """Training ended with a quantizer head that uses a single code (its tokens carry nothing)."""
