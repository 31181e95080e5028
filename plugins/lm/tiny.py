"""A tiny random Qwen3 with a small BPE: the trainer's tests, benchmark and smoke runs.

Hidden 64, 2 layers, a byte-level BPE trained on the given texts (about 1000 tokens) and the
ChatML template: a run over a few hundred rows takes seconds on two cores, where Qwen's own
155k vocabulary would make every step ~12x slower (the logits dominate; ENVIRONMENT.md).
Its outputs mean nothing; it exercises every code path of a real base model.
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
