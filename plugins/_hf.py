"""What the transformers-based plugins and their tiny test models share.

:func:`quiet_transformers` keeps transformers' per-tensor bars and notes off the screen while
weights load or save (a run draws its own progress). Nothing here imports transformers at
module level: plugin modules import this one when ``autocut`` starts.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_transformers() -> Iterator[None]:
    """No per-tensor progress bars or notes while transformers loads or saves weights.

    Also silences the FutureWarning peft triggers by asking models ``is_gradient_checkpointing``
    (deprecated in transformers 5): not ours to fix, and it would print on every run.
    """
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", ".*is_gradient_checkpointing.*", FutureWarning)
            yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
