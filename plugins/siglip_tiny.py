"""A tiny randomly initialised SigLIP (both towers) with a SentencePiece tokenizer, saved as
``SiglipModel.save_pretrained`` saves one.

What the ``siglip`` encoders' example options load (the contract) and what their tests load
from a hand-laid hub cache: the real classes (``SiglipModel``, ``SiglipTokenizer``) at a few
hundred kilobytes, so loading, tokenising with full-length padding, preprocessing and pooling
run the code a real SigLIP runs through. No tiny SigLIP tokenizer ships with any package, so
one is trained here with sentencepiece's own trainer from a few sentences (unigram, ~40
pieces, well under a second). Built once per machine under the temporary folder, atomically
(a concurrent builder's copy is as good).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
from pathlib import Path

VERSION = "1"
#: What the tokenizer is trained on: English and Chinese lines like a script's.
SENTENCES = (
    "a ripe orange for a bright morning", "一杯热咖啡", "red running shoes",
    "a cup of hot coffee", "跑步鞋", "the office building at night",
)  # fmt: skip
#: Width of both towers and of the shared space.
WIDTH = 32
#: Text tower length (every sentence is padded to it, as SigLIP is).
TEXT_LENGTH = 16


def tiny_siglip_folder() -> Path:
    """The folder of the tiny SigLIP, built on first use."""
    folder = Path(tempfile.gettempdir()) / "autocut-tiny-siglip" / f"v{VERSION}"
    if (folder / "config.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    try:
        save_tiny_siglip(building)
        try:
            os.replace(building, folder)
        except OSError:  # another process finished first
            if not (folder / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def save_tiny_siglip(folder: Path, seed: int = 0) -> Path:
    """Write a tiny random SigLIP (model, SentencePiece tokenizer, preprocessor) into ``folder``."""
    import sentencepiece
    import torch
    from transformers import SiglipConfig, SiglipModel, SiglipTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    model = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(SENTENCES * 5), model_writer=model, vocab_size=40,
        hard_vocab_limit=False, model_type="unigram", character_coverage=1.0, pad_id=0,
        eos_id=1, unk_id=2, bos_id=-1, minloglevel=2, num_threads=1,
    )  # fmt: skip
    (folder / "spiece.model").write_bytes(model.getvalue())
    tokenizer = SiglipTokenizer(str(folder / "spiece.model"))
    tokenizer.save_pretrained(folder)
    ids = {"pad_token_id": 1, "bos_token_id": 1, "eos_token_id": 1}
    config = SiglipConfig(
        text_config={"vocab_size": len(tokenizer), "hidden_size": WIDTH,
                     "intermediate_size": 2 * WIDTH, "num_hidden_layers": 2,
                     "num_attention_heads": 2, "max_position_embeddings": TEXT_LENGTH, **ids},
        vision_config={"hidden_size": WIDTH, "intermediate_size": 2 * WIDTH,
                       "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 32,
                       "patch_size": 8},
    )  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        SiglipModel(config).save_pretrained(folder)
    norm = {"image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}
    (folder / "preprocessor_config.json").write_text(json.dumps(norm), encoding="utf-8")
    return folder
