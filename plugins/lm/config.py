"""What one training run does: :class:`TrainConfig`, the stage defaults and the presets.

A flag given on the command line wins over the preset, which wins over the stage's defaults.
The defaults are the paper's Table 4 (alignment: cutoff 8096, packing, batch 2, lr 5e-5,
5 epochs; SFT: cutoff 4000, no packing, batch 1, lr 1e-5, 3 epochs; both cosine with 10 %
warm-up, AdamW), except the base model (the offline SmolLM2-135M-Instruct instead of
Qwen3-8B) and bf16 (on only where the GPU supports it). ``--preset qwen3-8b-paper`` sets the
rest of Table 4; a preset is a JSON file with an ``align`` and an ``sft`` table, so a user can
write their own and pass its path.

No torch here: the CLI builds and checks a config before anything heavy is imported.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from autocut_core.errors import InputError, SettingsError
from autocut_core.serde import describe_validation_error

CONFIG_DIR = Path(__file__).parent / "configs"
DEFAULT_BASE = "smollm2-135m"
Stage = Literal["align", "sft"]
Mode = Literal["rows", "lora", "full"]
InitRows = Literal["mean", "text"]

#: Table 4 of the paper, per stage (the base model aside).
STAGE_DEFAULTS: dict[str, dict[str, Any]] = {
    "align": {
        "cutoff": 8096,
        "packing": True,
        "batch_size": 2,
        "grad_accum": 1,
        "lr": 5e-5,
        "epochs": 5,
        "warmup_ratio": 0.1,
        "mode": "rows",
    },
    "sft": {
        "cutoff": 4000,
        "packing": False,
        "batch_size": 1,
        "grad_accum": 1,
        "lr": 1e-5,
        "epochs": 3,
        "warmup_ratio": 0.1,
        "mode": "full",
    },
}

#: Fields that may differ between a run and its resumption (they do not change the result).
RESUME_FREE = frozenset({"resume", "stop_after", "output", "log_every", "keep_checkpoints"})


class CodeSpec(BaseModel):
    """One modality's token grid: ``heads`` tokens per vector, ``codebook_size`` codes each."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    heads: int = Field(8, ge=1, le=64)
    codebook_size: int = Field(256, ge=2, le=65536)

    @classmethod
    def parse(cls, text: str, flag: str) -> CodeSpec:
        """``"8x256"`` -> CodeSpec(8, 256); a SettingsError naming ``flag`` otherwise."""
        parts = text.lower().split("x")
        try:
            heads, size = (int(part) for part in parts)
            return cls(heads=heads, codebook_size=size)
        except (ValueError, ValidationError):
            raise SettingsError(
                f"{flag} {text!r}: expected HEADSxCODES with 1..64 heads and 2..65536 codes, "
                "e.g. 8x256"
            ) from None

    def __str__(self) -> str:
        return f"{self.heads}x{self.codebook_size}"


class TrainConfig(BaseModel):
    """Everything a run needs; saved as ``config.json`` in the run folder and checked on resume."""

    model_config = ConfigDict(extra="forbid")

    stage: Stage
    data: Path
    output: Path
    val: Path | None = None
    base: str | None = Field(None, description="HF folder, .gguf file, hub id or smollm2-135m")
    parent: Path | None = Field(None, description="Run folder this one starts from (--from)")
    mode: Mode = "full"
    cutoff: int = Field(4000, ge=8)
    packing: bool = False
    epochs: int = Field(3, ge=1)
    lr: float = Field(1e-5, gt=0)
    batch_size: int = Field(1, ge=1)
    grad_accum: int = Field(1, ge=1)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, ge=0, description="0 turns clipping off")
    bf16: bool | None = Field(None, description="None: on where the GPU supports bf16")
    gradient_checkpointing: bool = False
    attn_implementation: str | None = "sdpa"
    seed: int = 42
    save_steps: int | None = Field(None, ge=1, description="None: a checkpoint per epoch")
    stop_after: int | None = Field(None, ge=1, description="Stop with a checkpoint at this step")
    resume: bool = False
    keep_checkpoints: bool = False
    log_every: int = Field(1, ge=1)
    video_codes: CodeSpec = CodeSpec()
    audio_codes: CodeSpec = CodeSpec()
    lora_r: int = Field(16, ge=1)
    lora_alpha: int = Field(32, ge=1)
    lora_dropout: float = Field(0.05, ge=0, lt=1)
    lora_target: str = "all-linear"
    train_new_rows: bool = Field(True, description="LoRA: also train the new token rows")
    init_rows: InitRows = Field(
        "mean", description="New rows from --base: the mean row, or the text they appear with"
    )

    @model_validator(mode="after")
    def _stage_fits_mode(self) -> TrainConfig:
        if self.stage == "align" and self.mode != "rows":
            raise ValueError("the align stage trains only the new rows (mode 'rows')")
        if self.stage == "sft" and self.mode == "rows":
            raise ValueError("the sft stage trains with mode 'full' or 'lora'")
        if self.parent is not None and self.base is not None:
            raise ValueError("give either --base or --from, not both")
        if self.parent is not None and self.init_rows != "mean":
            raise ValueError(
                "--init-rows applies to a run that starts from a base model; a run started "
                "--from another one keeps that run's trained rows"
            )
        return self

    def fingerprint(self) -> dict[str, Any]:
        """The fields that decide the result (what a resumed run must share)."""
        return self.model_dump(mode="json", exclude=set(RESUME_FREE))


def load_preset(name: str | None) -> dict[str, dict[str, Any]]:
    """A preset's ``{"align": {...}, "sft": {...}}``: a shipped name or a JSON file's path."""
    if name is None:
        return {}
    path = CONFIG_DIR / f"{name}.json"
    if not path.is_file():
        path = Path(name).expanduser()
    if not path.is_file():
        shipped = sorted(p.stem for p in CONFIG_DIR.glob("*.json") if not p.stem.startswith("ds_"))
        raise SettingsError(
            f"Unknown preset {name!r}: not one of {', '.join(shipped)} and not a JSON file."
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SettingsError(f"{path}: cannot read the preset ({error})") from None
    if not isinstance(data, dict) or not set(data) <= {"align", "sft", "description"}:
        raise SettingsError(f"{path}: a preset holds 'align' and 'sft' tables (and a description)")
    return {stage: dict(data.get(stage, {})) for stage in ("align", "sft")}


def resolve(stage: Stage, flags: dict[str, Any], preset: str | None = None) -> TrainConfig:
    """Stage defaults < preset < flags (flags that are None were not given)."""
    values: dict[str, Any] = {"stage": stage, **STAGE_DEFAULTS[stage]}
    values.update(load_preset(preset).get(stage, {}))
    values.update({key: value for key, value in flags.items() if value is not None})
    if values.get("parent") is not None and flags.get("base") is None:
        values.pop("base", None)  # a preset's base does not apply to a run that starts --from
    try:
        return TrainConfig(**values)
    except ValidationError as error:
        source = f"autocut train {stage}"
        raise SettingsError(describe_validation_error(error, source, "options")) from None


def file_digest(path: Path) -> str:
    """SHA-256 of a data file, so a resumed run can tell that its data changed."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    return digest.hexdigest()
