"""The ``lm`` plugin: train a causal language model on AutoCut's token corpora (paper §3.4-3.5).

Stage 1 (``autocut train align``) extends the vocabulary with the modality tokens and markers
and trains only their new embedding rows (and ``lm_head`` rows when untied) on the alignment
corpus; stage 2 (``autocut train sft``) fine-tunes the aligned model on the ShareGPT tasks,
fully or with LoRA. Each run folder ends with an artefact that :func:`autocut_plugins.lm.artefact.load`
rebuilds into a model, which the generation side uses.

Importing this package registers nothing and imports neither typer nor torch: plugin modules
are imported every time ``autocut`` starts, and ``autocut --help`` must stay fast. The
commands module is imported inside its hook, the backbone module inside its hook (when the
registry is built), torch only when a command runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocut_core import hookimpl

if TYPE_CHECKING:
    import typer


@hookimpl
def register_commands(app: typer.Typer) -> None:
    """Add ``autocut train align`` and ``autocut train sft``."""
    from autocut_plugins.lm.cli import add_train_commands

    add_train_commands(app)


@hookimpl
def register_backbones(register) -> None:
    """Register the ``lm`` backbone (the hook itself lives with the backbone)."""
    from autocut_plugins.lm import backbone

    backbone.register_backbones(register)
