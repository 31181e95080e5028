"""A tiny untrained artefact: what the ``lm`` backbone's example options load (contract tests).

The random Qwen3 of :mod:`autocut_plugins.lm.tiny` with the 2 x 8 video and audio grids of
the ``rqvae`` tokenizers' example options, written as a ``full`` artefact (no training: the
new rows are the mean of the old ones). Its answers mean nothing; it runs every code path
of generation in about a second, without the SmolLM2 weights. Built once per machine under
the temporary folder, atomically (a second process building it at the same time keeps its
own copy until the rename and then uses the winner's).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from autocut_plugins.lm.config import CodeSpec

#: The grids of ``rqvae`` / ``rqvae-audio`` example options (2 heads x 8 codes).
EXAMPLE_GRID = CodeSpec(heads=2, codebook_size=8)
VERSION = "1"
_TEXTS = [
    "Select the clips that belong in this ad. Answer [0, 2, 5] or [3, 0, 2, 1].",
    "Write one line per clip. Light as air. Rain? No problem. Run further.",
    "Product: Trail Runner 2. Brand: Acme. Selling points: light; waterproof.",
    "Meet the bottle that keeps drinks cold all day, with no leaks ever.",
]


def example_artefact() -> Path:
    """The folder of the example artefact, built on first use."""
    folder = Path(tempfile.gettempdir()) / "autocut-lm-example" / f"v{VERSION}"
    if (folder / "artefact" / "artefact.json").is_file():
        return folder
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=_parent(folder)))
    try:
        _build(building)
        try:
            os.replace(building, folder)
        except OSError:  # another process finished first: its copy is as good as ours
            if not (folder / "artefact" / "artefact.json").is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def _parent(folder: Path) -> Path:
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder.parent


def _build(run_folder: Path) -> None:
    from autocut_plugins.lm import artefact
    from autocut_plugins.lm.modeling import BaseRef, quiet_transformers
    from autocut_plugins.lm.tiny import make_tiny_base
    from autocut_plugins.lm.vocab import extend_embeddings, extend_tokenizer, modality_tokens
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = make_tiny_base(run_folder / "base", _TEXTS, vocab_size=400)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(base)
        model = AutoModelForCausalLM.from_pretrained(base)
    base_rows = len(tokenizer)
    extend_tokenizer(tokenizer, modality_tokens(EXAMPLE_GRID, EXAMPLE_GRID))
    extend_embeddings(model, base_rows, len(tokenizer))
    info = {
        "stage": "sft",
        "mode": "full",
        "base": BaseRef("example", str(base)).to_data(),
        "base_rows": base_rows,
        "total_rows": len(tokenizer),
        "tied": False,
        "video_codes": EXAMPLE_GRID.model_dump(),
        "audio_codes": EXAMPLE_GRID.model_dump(),
        "parent": None,
        "steps": 0,
    }
    artefact.write(run_folder, model, tokenizer, info)
    shutil.rmtree(base)
