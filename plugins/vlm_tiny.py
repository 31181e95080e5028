"""Tiny randomly initialised captioning models, laid out as saved hub models.

What the ``transformers`` captioner's example options load (the contract) and what its tests
caption with, one per path of the captioner, each of the real classes at a few hundred
kilobytes, so the loading, preprocessing, generation and decoding code is the code a real
model runs through; their captions are random words:

- BLIP (``BlipForConditionalGeneration``, ``BlipProcessor`` with a WordPiece tokenizer): an
  image-to-text model with no chat template. Built once per machine under the temporary
  folder, atomically (a concurrent builder's copy is as good).
- Idefics3 (``Idefics3ForConditionalGeneration``, ``Idefics3Processor``), the classes of the
  default model SmolVLM-256M-Instruct: a chat VLM asked through the processor's chat template
  (SmolVLM's own), its frames split into tiles with row/column tokens as the real processor
  splits them, and a word-level tokenizer built here (no tokenizer is downloaded) that holds
  the real model's special tokens (``<image>``, ``<fake_token_around_image>``,
  ``<global-img>``, ``<row_i_col_j>``, ``<end_of_utterance>``). Whole words rather than a
  byte-level BPE, so that its random captions are words a test can read.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autocut_plugins._hf import quiet_transformers

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
    with quiet_transformers():
        BlipProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
        model.save_pretrained(folder)
    return folder


#: SmolVLM-256M-Instruct's chat template (its ``chat_template.json``): the role capitalised,
#: ``<image>`` where an image goes, each turn closed by ``<end_of_utterance>``, and
#: ``Assistant:`` as the generation prompt.
IDEFICS3_CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}"
    "<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
#: The special tokens of SmolVLM's tokenizer that its processor and template use; the tile
#: tokens go up to 6 x 6, as the processor looks them all up.
IDEFICS3_SPECIAL_TOKENS = (
    "<|endoftext|>", "<|im_start|>", "<end_of_utterance>", "<fake_token_around_image>",
    "<image>", "<global-img>",
    *(f"<row_{row}_col_{col}>" for row in range(1, 7) for col in range(1, 7)),
)  # fmt: skip
#: The tiny tokenizer's words after its special tokens: the chat's and the default prompt's
#: (so the prompt is words, not unknowns) and the caption words of the tiny BLIP.
IDEFICS3_WORDS = (
    "User", "Assistant", ":", ",", ".", "describe", "Describe", "what", "this", "video", "shot",
    "shows", "in", "one", "short", "sentence", "main", "subject", "it", "does", "and", "where",
    "Plain", "words", "no", "preamble",
    *(word for word in WORDS if not word.startswith("[")),
)  # fmt: skip
#: Pixels of one tile (the vision tower's input) and of a frame's longest side after resizing:
#: a frame is split into up to 2 x 2 tiles plus the whole frame shrunk to one tile.
IDEFICS3_TILE, IDEFICS3_LONGEST_EDGE = 32, 64
#: Image tokens per tile: (32 / 8)^2 patches, merged 2 x 2 by the pixel shuffle.
IDEFICS3_IMAGE_SEQ_LEN = 4


def save_tiny_idefics3(folder: Path, seed: int = 0) -> Path:
    """Write a tiny random Idefics3 (SmolVLM's classes: model, processor with its chat
    template, a word-level tokenizer with SmolVLM's special tokens) into ``folder``."""
    import torch
    from transformers import (
        Idefics3Config,
        Idefics3ForConditionalGeneration,
        Idefics3ImageProcessor,
        Idefics3Processor,
        PreTrainedTokenizerFast,
    )

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=word_level(IDEFICS3_SPECIAL_TOKENS, IDEFICS3_WORDS),
        bos_token="<|im_start|>", eos_token="<end_of_utterance>", pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )  # fmt: skip
    ids = {"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
           "pad_token_id": tokenizer.pad_token_id}  # fmt: skip
    config = Idefics3Config(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": IDEFICS3_TILE, "patch_size": 8},
        text_config={"model_type": "llama", "vocab_size": len(tokenizer), "hidden_size": 32,
                     "intermediate_size": 64, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "num_key_value_heads": 1, "max_position_embeddings": 1024, **ids},
        image_token_id=IDEFICS3_SPECIAL_TOKENS.index("<image>"), scale_factor=2,
    )  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Idefics3ForConditionalGeneration(config)
    model.generation_config.update(**ids)
    images = Idefics3ImageProcessor(
        size={"longest_edge": IDEFICS3_LONGEST_EDGE},
        max_image_size={"longest_edge": IDEFICS3_TILE}, do_image_splitting=True,
    )  # fmt: skip
    processor = Idefics3Processor(
        image_processor=images, tokenizer=tokenizer, image_seq_len=IDEFICS3_IMAGE_SEQ_LEN,
        chat_template=IDEFICS3_CHAT_TEMPLATE,
    )  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    with quiet_transformers():
        processor.save_pretrained(folder)
        model.save_pretrained(folder)
    return folder


def word_level(special_tokens: Sequence[str], words: Sequence[str]) -> Any:
    """A ``tokenizers.Tokenizer`` that knows ``special_tokens`` (ids 0, 1, ..., matched whole
    before anything else is split) and then ``words`` (split at spaces and punctuation)."""
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers

    vocab = {token: index for index, token in enumerate(dict.fromkeys((*special_tokens, *words)))}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token=special_tokens[0]))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.add_special_tokens([AddedToken(token, normalized=False) for token in special_tokens])
    return tokenizer
