"""The model a run starts from, and the parameters it trains.

A run starts either from a base model (``--base``: the vocabulary is extended here, new rows
= mean of the old) or from an earlier run (``--from RUN``: its artefact already holds the
tokens and their trained rows). :func:`prepare_trainable` then decides what moves:

- ``rows`` (alignment): only the new rows, split off (:mod:`.rows`), the backbone frozen;
- ``full``: every parameter;
- ``lora``: LoRA adapters on the linear layers plus, unless ``train_new_rows`` is off, the
  new rows (a LoRA on the transformer cannot teach the model rows it has never seen).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autocut_plugins.lm.config import CodeSpec, TrainConfig

from autocut_core.errors import InputError


@dataclass
class Start:
    model: Any
    tokenizer: Any
    base: Any  # BaseRef: where the base weights live (recorded in the artefact)
    base_rows: int
    base_checksum: float
    added_tokens: int
    video_codes: CodeSpec
    audio_codes: CodeSpec


def starting_model(config: TrainConfig) -> Start:
    """The model and tokenizer a run begins with (vocabulary extended, new rows initialised)."""
    from autocut_plugins.lm import artefact, modeling, vocab

    if config.parent is not None:
        info = artefact.read_info(config.parent)
        if config.mode == "lora" and info["mode"] == "lora":
            raise InputError(
                f"--from {config.parent}: starting a LoRA run from a LoRA run is not supported; "
                "start from its base (--from the alignment run) or train --full."
            )
        loaded = artefact.load(config.parent, attn_implementation=config.attn_implementation)
        model, tokenizer = loaded.model, loaded.tokenizer
        base_rows = loaded.base_rows
        if info["mode"] == "full":
            # The fine-tuned folder is the new base: its rows past base_rows are still the
            # modality tokens, so the split and the artefact work as for any base.
            base = modeling.BaseRef(str(loaded.folder), str(loaded.folder / artefact.MODEL_DIR))
        else:
            base = modeling.BaseRef.from_data(info["base"])
        video = CodeSpec(**info["video_codes"])
        audio = CodeSpec(**info["audio_codes"])
        if (video, audio) != (config.video_codes, config.audio_codes) and (
            config.video_codes != CodeSpec() or config.audio_codes != CodeSpec()
        ):
            raise InputError(
                f"--from {config.parent} was trained with video {video} and audio {audio} "
                f"tokens, not {config.video_codes} and {config.audio_codes}."
            )
        checksum = (
            artefact.embedding_checksum(model, base_rows)
            if info["mode"] == "full"
            else float(info["base_checksum"])
        )
        model.train()
        return Start(model, tokenizer, base, base_rows, checksum, 0, video, audio)

    base = modeling.resolve_base(config.base)
    tokenizer = modeling.load_tokenizer(base)
    model = modeling.load_model(base, config.attn_implementation)
    base_rows = len(tokenizer)
    added = vocab.ensure_chat_template(tokenizer)
    added += vocab.extend_tokenizer(
        tokenizer, vocab.modality_tokens(config.video_codes, config.audio_codes)
    )
    checksum = artefact.embedding_checksum(model, base_rows)
    vocab.extend_embeddings(model, base_rows, len(tokenizer))
    model.train()
    return Start(
        model, tokenizer, base, base_rows, checksum, len(added), config.video_codes,
        config.audio_codes,
    )  # fmt: skip


def prepare_trainable(model: Any, config: TrainConfig, base_rows: int) -> Any:
    """Freeze and wrap ``model`` for the run's mode; return the model to train."""
    from autocut_plugins.lm.rows import split_new_rows

    if config.mode == "full":
        model.requires_grad_(True)
        return model
    model.requires_grad_(False)
    rows = split_new_rows(
        model, base_rows, trainable=config.mode == "rows" or config.train_new_rows
    )
    if config.mode == "rows":
        return model
    from autocut_plugins.lm.modeling import quiet_transformers
    from peft import LoraConfig, get_peft_model

    target: str | list[str] = config.lora_target
    if config.lora_target != "all-linear":
        target = [name.strip() for name in config.lora_target.split(",") if name.strip()]
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=target,
        task_type="CAUSAL_LM",
    )
    with quiet_transformers():
        peft_model = get_peft_model(model, lora)
    for parameter in rows:  # peft froze everything that is not an adapter
        parameter.requires_grad_(config.train_new_rows)
    return peft_model


def enable_checkpointing(model: Any) -> None:
    """Activation (gradient) checkpointing, non-reentrant (works with a frozen backbone)."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    kwargs = {"use_reentrant": False}
    if hasattr(inner, "activation_checkpointing_enable"):
        inner.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
    else:  # transformers < 5.2
        inner.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
