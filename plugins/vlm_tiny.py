"""A tiny randomly initialised BLIP captioning model, laid out as a saved hub model.

What the ``transformers`` captioner's example options load (the contract) and what its tests
caption with: the real classes (``BlipForConditionalGeneration``, ``BlipProcessor`` with a
WordPiece tokenizer) at a few hundred kilobytes, so the loading, preprocessing, generation and
decoding code is the code a real BLIP runs through. Its captions are random words. Built once
per machine under the temporary folder, atomically (a concurrent builder's copy is as good).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

VERSION = "1"
#: The tokenizer's words: BERT's special tokens, BLIP's decoder start, and a few words.
WORDS = (
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]",
    "a", "the", "red", "green", "blue", "apple", "orange", "shot", "of", "on", "in", "tree",
    "butterfly", "squirrel", "building", "fruit", "table", "close", "up", "bright", "dark",
)  # fmt: skip


def tiny_blip_folder() -> Path:
    """The folder of the tiny BLIP, built on first use."""
    folder = Path(tempfile.gettempdir()) / "autocut-tiny-blip" / f"v{VERSION}"
    if (folder / "config.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    try:
        save_tiny_blip(building)
        try:
            os.replace(building, folder)
        except OSError:  # another process finished first
            if not (folder / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def save_tiny_blip(folder: Path, seed: int = 0) -> Path:
    """Write a tiny random BLIP (model, processor, tokenizer) into ``folder``."""
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(WORDS) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(vocab), bos_token="[DEC]", do_lower_case=True)
    config = BlipConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        text_config={"vocab_size": len(WORDS), "hidden_size": 32, "intermediate_size": 64,
                     "num_hidden_layers": 1, "num_attention_heads": 2,
                     "max_position_embeddings": 64, "encoder_hidden_size": 32,
                     "bos_token_id": WORDS.index("[DEC]"), "pad_token_id": 0,
                     "sep_token_id": WORDS.index("[SEP]"), "eos_token_id": WORDS.index("[SEP]")},
        projection_dim=32,
    )  # fmt: skip
    torch.manual_seed(seed)
    model = BlipForConditionalGeneration(config)
    model.generation_config.decoder_start_token_id = WORDS.index("[DEC]")
    images = BlipImageProcessor(size={"height": 32, "width": 32})
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        BlipProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
        model.save_pretrained(folder)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    return folder
