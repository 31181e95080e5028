"""``autocut train align`` and ``autocut train sft``: the command line of the trainer.

Imported only by the plugin's ``register_commands`` hook; torch and transformers load when a
command runs. Every flag left out falls back to the preset (``--preset``), then to the
stage's Table 4 default (see :mod:`.config`). Under ``torchrun``/``accelerate launch`` each
process runs the command; only the main one prints.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from autocut_plugins.lm.config import CodeSpec, Stage, resolve

from autocut_core.cli.flags import uses_settings
from autocut_core.settings import AutocutSettings

Data = Annotated[Path, typer.Option("--data", help="Training corpus (JSONL).")]
Output = Annotated[
    Path, typer.Option("--output", "-o", help="Run folder (logs, checkpoints, artefact).")
]
Val = Annotated[
    Path | None, typer.Option("--val", help="Held-out corpus: loss at the start and per epoch.")
]
Base = Annotated[
    str | None,
    typer.Option(
        "--base",
        help="Base model: HF folder, .gguf file, cached hub id, or smollm2-135m (default).",
    ),
]
From = Annotated[
    Path | None,
    typer.Option("--from", help="Start from an earlier run (its artefact) instead of --base."),
]
Preset = Annotated[
    str | None, typer.Option("--preset", help="qwen3-8b-paper (Table 4) or a preset JSON file.")
]
Cutoff = Annotated[int | None, typer.Option("--cutoff", min=8, help="Longest row in tokens.")]
Packing = Annotated[
    bool | None, typer.Option("--packing/--no-packing", help="Pack documents into full rows.")
]
Epochs = Annotated[int | None, typer.Option("--epochs", min=1)]
Lr = Annotated[float | None, typer.Option("--lr", help="Peak learning rate.")]
BatchSize = Annotated[
    int | None, typer.Option("--batch-size", min=1, help="Rows per process per micro-batch.")
]
GradAccum = Annotated[
    int | None, typer.Option("--grad-accum", min=1, help="Micro-batches per optimizer step.")
]
Warmup = Annotated[float | None, typer.Option("--warmup-ratio", help="Share of steps warming up.")]
WeightDecay = Annotated[float | None, typer.Option("--weight-decay")]
MaxGradNorm = Annotated[
    float | None, typer.Option("--max-grad-norm", help="Clip at this norm; 0: off.")
]
Bf16 = Annotated[
    bool | None,
    typer.Option("--bf16/--no-bf16", help="bf16 autocast (default: where the GPU has it)."),
]
Checkpointing = Annotated[
    bool | None, typer.Option("--gradient-checkpointing/--no-gradient-checkpointing")
]
Attention = Annotated[
    str | None,
    typer.Option("--attn-implementation", help="sdpa (default), eager, flash_attention_2, ..."),
]
Resume = Annotated[
    bool, typer.Option("--resume", help="Continue from the newest checkpoint in OUTPUT.")
]
Seed = Annotated[int | None, typer.Option("--seed")]
SaveSteps = Annotated[
    int | None,
    typer.Option("--save-steps", min=1, help="Checkpoint every N steps (default: per epoch)."),
]
StopAfter = Annotated[
    int | None,
    typer.Option("--stop-after", min=1, help="Stop with a checkpoint after step N (resume later)."),
]
KeepCheckpoints = Annotated[
    bool, typer.Option("--keep-checkpoints", help="Keep checkpoints after the run.")
]
LogEvery = Annotated[int | None, typer.Option("--log-every", min=1, help="Log every N steps.")]
VideoCodes = Annotated[
    str | None, typer.Option("--video-codes", metavar="HxC", help="Video token grid, e.g. 8x256.")
]
AudioCodes = Annotated[
    str | None, typer.Option("--audio-codes", metavar="HxC", help="Audio token grid, e.g. 8x256.")
]
InitRowsOption = Annotated[
    str | None,
    typer.Option(
        "--init-rows",
        help="New token rows start as the mean row (mean) or from the corpus text they "
        "appear with (text; see docs/training.md). Only with --base.",
    ),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


def _codes(
    settings: AutocutSettings, choice: str, flag_value: str | None, flag: str
) -> CodeSpec | None:
    """A modality's grid: the flag, else the configured tokenizer's metadata/settings, else None."""
    from autocut_plugins.lm.vocab import codes_from_settings

    if flag_value is not None:
        return CodeSpec.parse(flag_value, flag)
    name = getattr(settings, choice)
    options = settings.options_for("tokenizer", name) if name else {}
    return codes_from_settings(options) if options else None


def _run(stage: Stage, settings: AutocutSettings, flags: dict[str, Any], as_json: bool) -> None:
    preset = flags.pop("preset")
    flags["video_codes"] = _codes(settings, "tokenizer", flags.pop("video_codes"), "--video-codes")
    flags["audio_codes"] = _codes(
        settings, "audio_tokenizer", flags.pop("audio_codes"), "--audio-codes"
    )
    flags["parent"] = flags.pop("from_")
    config = resolve(stage, flags, preset)
    from autocut_plugins.lm.trainer import train

    summary = train(config)
    if summary is None:
        return
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        print_summary(summary)


def _fmt(value: Any, digits: int = 4) -> str:
    return (
        "-" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    )


def print_summary(summary: dict[str, Any]) -> None:
    """The end-of-run table: throughput, losses, artefact size."""
    from autocut_core.cli import display

    title = f"train {summary['stage']} ({summary['mode']}): {summary['status']}"
    table = display.table(title, ["", ""], show_header=False)
    table.columns[1].justify = "right"
    size = summary["artefact_bytes"]
    rows = [
        ("steps", f"{summary['steps']} / {summary['total_steps']}"),
        ("processes", summary["processes"]),
        ("trainable parameters", f"{summary['trainable_parameters']:,}"),
        ("tokens trained", f"{summary['tokens']:,}"),
        ("tokens/s", _fmt(summary["tokens_per_s"], 1)),
        (
            "train loss first -> last",
            f"{_fmt(summary['first_loss'])} -> {_fmt(summary['last_loss'])}",
        ),
        (
            "val loss start -> end",
            f"{_fmt(summary['first_val_loss'])} -> {_fmt(summary['last_val_loss'])}",
        ),
        ("model load s", _fmt(summary["load_seconds"], 1)),
        ("artefact", summary["artefact"] or "- (stopped: resume with --resume)"),
        ("artefact size", "-" if size is None else f"{size / 2**20:.2f} MiB"),
    ]
    for name, value in rows:
        display.row(table, name, value)
    display.console().print(table)


Lora = Annotated[
    bool | None,
    typer.Option("--lora/--full", help="LoRA adapters, or every parameter (--full, the default)."),
]
LoraR = Annotated[int | None, typer.Option("--lora-r", min=1)]
LoraAlpha = Annotated[int | None, typer.Option("--lora-alpha", min=1)]
LoraDropout = Annotated[float | None, typer.Option("--lora-dropout")]
LoraTarget = Annotated[
    str | None, typer.Option("--lora-target", help="all-linear, or module names: q_proj,v_proj")
]
TrainNewRows = Annotated[
    bool | None,
    typer.Option("--train-new-rows/--freeze-new-rows", help="LoRA: also train the new token rows."),
]

_REQUIRED = inspect.Parameter.empty
#: What every run names: corpus, run folder, held-out corpus, where the model starts.
_INPUTS = (("data", Data, _REQUIRED), ("output", Output, _REQUIRED), ("val", Val, None),
           ("base", Base, None), ("from_", From, None), ("preset", Preset, None))  # fmt: skip
#: Only stage 2 has a choice of what is trained.
_SFT_MODE = (("lora", Lora, None), ("lora_r", LoraR, None), ("lora_alpha", LoraAlpha, None),
             ("lora_dropout", LoraDropout, None), ("lora_target", LoraTarget, None),
             ("train_new_rows", TrainNewRows, None))  # fmt: skip
#: How training runs, the same for both stages.
_TRAINING = (
    ("cutoff", Cutoff, None), ("packing", Packing, None), ("epochs", Epochs, None),
    ("lr", Lr, None), ("batch_size", BatchSize, None), ("grad_accum", GradAccum, None),
    ("warmup_ratio", Warmup, None), ("weight_decay", WeightDecay, None),
    ("max_grad_norm", MaxGradNorm, None), ("bf16", Bf16, None),
    ("gradient_checkpointing", Checkpointing, None), ("attn_implementation", Attention, None),
    ("resume", Resume, False), ("seed", Seed, None), ("save_steps", SaveSteps, None),
    ("stop_after", StopAfter, None), ("keep_checkpoints", KeepCheckpoints, False),
    ("log_every", LogEvery, None), ("video_codes", VideoCodes, None),
    ("audio_codes", AudioCodes, None), ("init_rows", InitRowsOption, None),
    ("as_json", JsonOut, False),
)  # fmt: skip


def _train_command(stage: Stage, summary: str, options: tuple[tuple[str, Any, Any], ...]):
    """A ``train STAGE`` command taking ``options`` (declared once, shared by the stages)."""

    def command(settings: AutocutSettings, **flags: Any) -> None:
        as_json = flags.pop("as_json")
        if "lora" in flags:
            lora = flags.pop("lora")
            flags["mode"] = None if lora is None else ("lora" if lora else "full")
        _run(stage, settings, flags, as_json)

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    parameters = [inspect.Parameter("settings", keyword, annotation=AutocutSettings)]
    parameters += [
        inspect.Parameter(name, keyword, default=default, annotation=annotation)
        for name, annotation, default in options
    ]
    # Typer reads __signature__, which functions do not declare (hence the ignore).
    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__name__ = command.__qualname__ = f"{stage}_command"
    command.__doc__ = summary
    return uses_settings("tokenizer", "audio_tokenizer")(command)


align_command = _train_command(
    "align",
    "Stage 1: add the modality tokens and train only their new rows (backbone frozen).",
    _INPUTS + _TRAINING,
)
sft_command = _train_command(
    "sft",
    "Stage 2: supervised fine-tuning on the ShareGPT tasks (loss on the answers only).",
    _INPUTS + _SFT_MODE + _TRAINING,
)


def add_train_commands(app: typer.Typer) -> None:
    """Mount the ``train`` group on the root application."""
    train_app = typer.Typer(
        help="Train the lm backbone: align (new token rows), then sft (the editing tasks).",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
    )
    train_app.command("align")(align_command)
    train_app.command("sft")(sft_command)
    app.add_typer(train_app, name="train")
