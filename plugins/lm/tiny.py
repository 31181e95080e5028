"""A tiny random Qwen3 with a small BPE: the trainer's tests, benchmark and smoke runs.

Hidden 64, 2 layers, a byte-level BPE trained on the given texts (about 1000 tokens) and the
ChatML template: a run over a few hundred rows takes seconds on two cores, where Qwen's own
155k vocabulary would make every step ~12x slower (the logits dominate; ENVIRONMENT.md).
Its outputs mean nothing; it exercises every code path of a real base model.
:func:`make_tiny_model_folder` extends one with a modality vocabulary and saves it as a plain
Hugging Face folder, laid out as a released checkpoint is.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from autocut_plugins.lm.modeling import quiet_transformers
from autocut_plugins.lm.vocab import CHATML_TEMPLATE

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")


def make_tiny_base(
    folder: Path, texts: Iterable[str], tied: bool = False, vocab_size: int = 1000, seed: int = 0
) -> Path:
    """Write a random Qwen3 (hidden 64, 2 layers) and a BPE trained on ``texts`` to ``folder``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(texts, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHATML_TEMPLATE,
    )
    config = Qwen3Config(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, head_dim=16, max_position_embeddings=8192,
        tie_word_embeddings=tied, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )  # fmt: skip
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen3ForCausalLM(config)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with quiet_transformers():
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    return folder


def make_tiny_model_folder(
    folder: Path,
    texts: Iterable[str],
    video: tuple[int, int] = (24, 256),
    audio: tuple[int, int] = (16, 256),
    seed: int = 0,
) -> Path:
    """A tiny random Qwen3 whose vocabulary is extended like a released checkpoint's, saved as
    a plain Hugging Face folder (``config.json``, ``model.safetensors``, the tokenizer files;
    no ``artefact.json``): the stand-in for ``MiltonZ/AutoCut_embsft`` in tests.

    The defaults are the reference profile's grids (24 x 256 video, 16 x 256 audio codes);
    every marker is added. The new rows are random like the rest: only the layout is real.
    """
    import torch
    from autocut_plugins.lm.config import CodeSpec
    from autocut_plugins.lm.vocab import extend_tokenizer, modality_tokens
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = Path(folder)
    make_tiny_base(folder, texts, seed=seed)
    with quiet_transformers():
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder)
    tokens = modality_tokens(CodeSpec(heads=video[0], codebook_size=video[1]),
                             CodeSpec(heads=audio[0], codebook_size=audio[1]))  # fmt: skip
    extend_tokenizer(tokenizer, tokens)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed + 1)
        model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    model.config.vocab_size = len(tokenizer)
    with quiet_transformers():
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
    return folder
