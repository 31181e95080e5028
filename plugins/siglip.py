"""``siglip`` and ``siglip-text``: a transformers SiglipModel's image and text towers.

The same shape as ``clip`` / ``clip-text`` (one model, two towers, one space; ``SiglipEncoder
.encode_text`` too, so ``similarity`` needs only ``image_encoder = "siglip"``), for Google's
SigLIP, trained with a sigmoid loss rather than CLIP's softmax: per image-text pair, so its
cosines rank well without a batch of negatives. The weights are named by ``pretrained``: a
model card (``siglip-base-patch16-224``, the default), a hub id of any SigLIP repository
(``google/siglip-so400m-patch14-384``) or a local folder saved by ``save_pretrained``; cards
and hub ids come from the Hugging Face cache (``autocut models pull``), fetched at first use
only when the network is allowed.

SigLIP's tokenizer is SentencePiece (``spiece.model``); sentences are padded to the text
tower's full length (``max_position_embeddings``), as SigLIP was trained: shorter padding
changes the pooled vector. Frames are centre-cropped to a square and resized (the same pixels
the ``clip`` encoder sees, so the two spaces can be compared on one clip), then normalised
with the checkpoint's ``preprocessor_config.json`` mean and std.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import ComponentSettings, Encoder
from autocut_core.errors import InputError, MissingWeightsError
from autocut_core.models import HubFile, HubFiles, ModelCard

if TYPE_CHECKING:
    import numpy as np

#: What a SigLIP repository needs here: both towers' weights and config, the SentencePiece
#: tokenizer, and the image processor's normalisation. Checked (2026-12) against the file
#: listing of google/siglip-base-patch16-224 on the Hugging Face Hub: config.json,
#: model.safetensors (813 MB; pytorch_model.bin too), spiece.model, tokenizer_config.json,
#: special_tokens_map.json, preprocessor_config.json.
SIGLIP_FILES = (
    HubFile("config.json"),
    HubFile("model.safetensors", fallback="pytorch_model.bin"),
    HubFile("spiece.model"),
    HubFile("tokenizer_config.json", required=False),
    HubFile("special_tokens_map.json", required=False),
    HubFile("preprocessor_config.json", required=False),
)
SIGLIP_BASE_224 = ModelCard(
    name="siglip-base-patch16-224",
    summary="Google SigLIP ViT-B/16 at 224 px (WebLI, English): image and text towers, "
    "768-D shared space, sigmoid-loss trained",
    licence="Apache-2.0",
    size=813_000_000,
    size_note="203 M parameters, float32",
    sources=(HubFiles("google/siglip-base-patch16-224", SIGLIP_FILES),),
)
CARDS = (SIGLIP_BASE_224,)
HOW_TO_GET = (
    "Set pretrained to siglip-base-patch16-224 (autocut models pull siglip-base-patch16-224), "
    "a SigLIP hub id, or a local folder with config.json, model.safetensors and spiece.model, "
    "in [encoders.siglip] and [encoders.siglip-text]."
)


class SiglipSettings(ComponentSettings):
    pretrained: str | None = Field(
        None,
        description="Weights: a model name (autocut models list), a SigLIP hub id "
        "(org/name) or a local save_pretrained folder; unset: siglip-base-patch16-224",
    )
    batch_size: int = Field(32, ge=1, description="Frames or sentences per forward pass")


class LoadedSiglip(NamedTuple):
    model: Any
    tokenizer: Any
    image_size: int
    text_length: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    dim: int
    seconds: float


def card_or_folder(settings: SiglipSettings) -> ModelCard | Path:
    """What ``pretrained`` names: a card (listed, or made for a hub id) or a local folder."""
    from autocut_plugins._models import choose, hub_card

    return choose(
        settings.pretrained,
        CARDS,
        SIGLIP_BASE_224,
        lambda repo: hub_card(repo, SIGLIP_FILES, "pretrained", "SigLIP"),
        "pretrained",
    )


def model_folder(settings: SiglipSettings, fetch: bool = True) -> Path | None:
    """The local folder of the weights (a card's fetched into the cache when ``fetch``)."""
    from autocut_core import models

    chosen = card_or_folder(settings)
    if isinstance(chosen, Path):
        if not (chosen / "config.json").is_file():
            raise MissingWeightsError(
                f"{chosen}: not a SigLIP model folder (no config.json). {HOW_TO_GET}"
            )
        return chosen
    found = models.ensure(chosen) if fetch else models.locate(chosen)
    return None if found is None else found[0]


@functools.lru_cache(maxsize=2)
def load_siglip(folder: Path) -> LoadedSiglip:
    """Build (and cache: ``siglip`` and ``siglip-text`` share one copy) the model in ``folder``."""
    from autocut_plugins import _torch
    from transformers import AutoTokenizer, SiglipModel
    from transformers.utils import logging as hf_logging

    started = time.perf_counter()
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    if config.get("model_type") != "siglip":
        raise InputError(
            f"{folder / 'config.json'}: model_type is {config.get('model_type')!r}, not "
            f"'siglip'. {HOW_TO_GET}"
        )
    processor = folder / "preprocessor_config.json"
    norm = json.loads(processor.read_text(encoding="utf-8")) if processor.is_file() else {}
    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a "Loading weights" bar per instance is noise
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        model = SiglipModel.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"{folder}: cannot load a SigLIP model from it ({first})") from None
    finally:
        if bar:
            hf_logging.enable_progress_bar()
    towers: Any = model.config  # SiglipConfig; its sub-configs are typed loosely upstream
    return LoadedSiglip(
        model=_torch.prepare(model),
        tokenizer=tokenizer,
        image_size=int(towers.vision_config.image_size),
        text_length=int(towers.text_config.max_position_embeddings),
        mean=tuple(norm.get("image_mean", (0.5, 0.5, 0.5))),
        std=tuple(norm.get("image_std", (0.5, 0.5, 0.5))),
        dim=int(towers.vision_config.hidden_size),
        seconds=time.perf_counter() - started,
    )


def _pooled(output: Any) -> Any:
    """transformers 5 returns a model output from ``get_*_features``; 4.x a tensor."""
    return output if hasattr(output, "ndim") else output.pooler_output


class _SiglipBase(Encoder[SiglipSettings]):
    model_cards = CARDS

    def __init__(self, settings: SiglipSettings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size

    def loaded(self) -> LoadedSiglip:
        folder = model_folder(self.settings)
        if folder is None:  # ensure() raises first when it cannot fetch
            raise MissingWeightsError(f"No SigLIP weights found. {HOW_TO_GET}")
        return load_siglip(folder)

    @property
    def dim(self) -> int:
        folder = model_folder(self.settings, fetch=False)
        if folder is not None:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            width = config.get("vision_config", {}).get("hidden_size")
            if width:
                return int(width)
        return 768  # siglip-base's width; loading fails clearly if the weights are missing

    @property
    def load_seconds(self) -> float:
        return self.loaded().seconds

    def encode_images(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """Frames (HxWx3 uint8 RGB) to unit vectors in the shared space."""
        import numpy as np
        from autocut_plugins import _torch

        siglip = self.loaded()
        if not frames:
            return np.zeros((0, siglip.dim), dtype=np.float32)
        images = _torch.image_batch(frames, siglip.image_size, siglip.mean, siglip.std, self.name)

        def forward(batch: Any) -> Any:
            return _pooled(siglip.model.get_image_features(pixel_values=batch))

        return _torch.infer(forward, images, self.settings.batch_size)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        """Sentences to unit vectors in the same space as :meth:`encode_images`."""
        import numpy as np
        from autocut_plugins import _torch

        siglip = self.loaded()
        if not texts:
            return np.zeros((0, siglip.dim), dtype=np.float32)
        tokens = siglip.tokenizer(
            [str(text) for text in texts],
            padding="max_length",
            max_length=siglip.text_length,
            truncation=True,
            return_tensors="pt",
        )["input_ids"]

        def forward(batch: Any) -> Any:
            return _pooled(siglip.model.get_text_features(input_ids=batch))

        return _torch.infer(forward, tokens, self.settings.batch_size)

    def diagnose(self) -> list[Check]:
        from autocut_plugins._models import cache_check

        label = f"encoder {self.name}"
        try:
            chosen = card_or_folder(self.settings)
        except MissingWeightsError as error:
            return [Check(label, "fail", str(error), HOW_TO_GET)]
        if isinstance(chosen, Path):
            ok = (chosen / "config.json").is_file()
            return [Check(label, "ok" if ok else "fail", f"SigLIP from {chosen}",
                          "" if ok else HOW_TO_GET)]  # fmt: skip
        return [cache_check(label, chosen)]

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # The contract runs offline: a tiny random SigLIP of the real classes, built once.
        from autocut_plugins.siglip_tiny import tiny_siglip_folder

        return {"pretrained": str(tiny_siglip_folder())}


class SiglipEncoder(_SiglipBase):
    """SigLIP image tower; :meth:`encode_text` embeds sentences into the same space."""

    name = "siglip"
    description = "SigLIP image embedding (transformers; siglip-base-patch16-224), text-aligned"
    modality = "image"

    def encode_batch(self, items: Sequence[np.ndarray]) -> np.ndarray:
        return self.encode_images(items)


class SiglipTextEncoder(_SiglipBase):
    """SigLIP text tower: sentences in the space of the ``siglip`` frame vectors."""

    name = "siglip-text"
    description = "SigLIP text embedding, same space as the `siglip` encoder"
    modality = "text"

    def encode_batch(self, items: Sequence[str]) -> np.ndarray:
        return self.encode_text(items)


@hookimpl
def register_encoders(register):
    register(SiglipEncoder)
    register(SiglipTextEncoder)
