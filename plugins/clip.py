"""``clip`` and ``clip-text``: an open_clip model's image and text towers, one embedding space.

``clip`` embeds frames, ``clip-text`` embeds sentences, and both (and ``ClipEncoder.encode_text``)
come from the same model, so a script sentence can be matched against frames by cosine
similarity. The model is any open_clip architecture with a built-in text tower (``ViT-B-32``,
``ViT-B-16``, ``RN50``, ...), with weights from a LOCAL checkpoint file: open_clip's
``open_clip_model.safetensors`` / ``open_clip_pytorch_model.bin`` from the Hugging Face Hub
(e.g. ``laion/CLIP-ViT-B-32-laion2B-s34B-b79K``), downloaded elsewhere and copied here. Nothing
is downloaded at run time. Without a checkpoint it fails at first use with a
MissingWeightsError, unless ``random_init = true`` (tests; not semantic: random image and text
towers do not agree on anything).
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
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

if TYPE_CHECKING:
    import numpy as np
    import torch

#: The smallest open_clip architecture (43 M parameters, ~0.5 s to build): the contract tests'.
TINY_MODEL = "ViT-S-32-alt"


def how_to_get(model: str) -> str:
    return (
        f"Download an open_clip checkpoint for {model} on a machine with internet (e.g. the file "
        "open_clip_model.safetensors of laion/CLIP-ViT-B-32-laion2B-s34B-b79K on the Hugging "
        "Face Hub for ViT-B-32), copy it here and set checkpoint = '/path/to/"
        "open_clip_model.safetensors' in [encoders.clip] and [encoders.clip-text]. "
        "random_init = true runs without weights (not semantic)."
    )


class ClipSettings(ComponentSettings):
    model: str = Field(
        "ViT-B-32", description="open_clip architecture name (open_clip.list_models())"
    )
    checkpoint: Path | None = Field(
        None,
        description="Local open_clip checkpoint for that architecture (.safetensors, or a "
        "weights-only .bin/.pt state dict)",
    )
    tokenizer: Path | None = Field(
        None,
        description="Local Hugging Face tokenizer folder, only for architectures whose text "
        "tower uses one (SigLIP); others use the BPE vocabulary open_clip ships",
    )
    batch_size: int = Field(32, ge=1, description="Frames or sentences per forward pass")
    random_init: bool = Field(
        False, description="Use random weights instead of loading any (tests; not semantic)"
    )


class LoadedClip(NamedTuple):
    model: Any
    tokenizer: Any
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    seconds: float


@functools.cache
def model_config(name: str) -> dict[str, Any]:
    """open_clip's JSON config of ``name``, read without importing open_clip (or torch)."""
    spec = importlib.util.find_spec("open_clip")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("open_clip is not installed: pip install 'autocut[video]'")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model_configs"
    path = folder / f"{name}.json"
    if not path.is_file():
        available = sorted(p.stem for p in folder.glob("*.json"))
        close = difflib.get_close_matches(name, available, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise InputError(
            f"Unknown open_clip model {name!r}.{hint} Available: {', '.join(available)}."
        )
    config = json.loads(path.read_text(encoding="utf-8"))
    if "hf_model_name" in config.get("text_cfg", {}):
        raise InputError(
            f"open_clip model {name!r} builds its text tower from the Hugging Face model "
            f"{config['text_cfg']['hf_model_name']!r}, which cannot be fetched offline; choose "
            "an architecture with a built-in text tower (ViT-B-32, ViT-B-16, RN50, ...)"
        )
    return config


@functools.lru_cache(maxsize=2)
def load_clip(
    name: str, checkpoint: Path | None, tokenizer_dir: Path | None, random_init: bool
) -> LoadedClip:
    """Build (and cache: ``clip`` and ``clip-text`` share one copy) an open_clip model."""
    started = time.perf_counter()
    config = model_config(name)
    text_cfg = config.get("text_cfg", {})
    from autocut_plugins import _torch

    weights = (
        None
        if random_init
        else _torch.require_file(checkpoint, f"open_clip checkpoint for {name}", how_to_get(name))
    )
    if "hf_tokenizer_name" in text_cfg:
        fetch = (
            f"{name} tokenizes with the Hugging Face tokenizer {text_cfg['hf_tokenizer_name']!r}: "
            "download that repository's tokenizer files elsewhere, copy the folder here and set "
            "tokenizer = '/path/to/folder'."
        )
        if tokenizer_dir is None:
            raise MissingWeightsError(f"No tokenizer folder is configured. {fetch}")
        tokenizer_dir = _torch.require_dir(tokenizer_dir, f"tokenizer folder for {name}", fetch)
    else:
        tokenizer_dir = None

    import open_clip

    if weights is None:
        model = _torch.seeded_init(lambda: open_clip.create_model(name, pretrained=None))
    else:
        model = open_clip.create_model(name, pretrained=None)
        _load_checkpoint(model, weights, name)
    if tokenizer_dir is not None:
        from open_clip.tokenizer import HFTokenizer

        tokenizer = HFTokenizer(
            str(tokenizer_dir),
            context_length=text_cfg.get("context_length", 77),
            **text_cfg.get("tokenizer_kwargs", {}),
        )
    else:
        tokenizer = open_clip.get_tokenizer(name)
    preprocess = model.visual.preprocess_cfg
    size = preprocess["size"]
    side = int(size if isinstance(size, int) else max(size))
    return LoadedClip(
        model=_torch.prepare(model),
        tokenizer=tokenizer,
        image_size=side,
        mean=tuple(preprocess["mean"]),
        std=tuple(preprocess["std"]),
        seconds=time.perf_counter() - started,
    )


def _load_checkpoint(model: torch.nn.Module, path: Path, name: str) -> None:
    """open_clip's own state-dict fix-ups, on tensors read without unpickling."""
    from autocut_plugins import _torch
    from open_clip.convert import convert_state_dict
    from open_clip.model import (
        convert_to_custom_text_state_dict,
        resize_pos_embed,
        resize_text_pos_embed,
    )

    state = _torch.load_state_dict(path)
    try:
        state = convert_state_dict(model, state)
        if "positional_embedding" in state and not hasattr(model, "positional_embedding"):
            state = convert_to_custom_text_state_dict(state)
        for key in ("logit_scale", "logit_bias"):
            own = getattr(model, key, None)
            if key in state and own is not None and own.ndim != state[key].ndim:
                state[key] = state[key].reshape(own.shape)
        bias = getattr(model, "logit_bias", None)
        if "logit_bias" not in state and bias is not None:
            state["logit_bias"] = bias.detach().clone()
        state.pop("text.transformer.embeddings.position_ids", None)
        resize_pos_embed(state, model)
        resize_text_pos_embed(state, model)
        model.load_state_dict(state, strict=True)
    except (AssertionError, KeyError, RuntimeError, ValueError) as error:
        # open_clip's converters assert on mismatched widths; load_state_dict lists keys.
        first = " ".join(str(error).splitlines()[:2]) or type(error).__name__
        raise InputError(
            f"{path}: is not a checkpoint of open_clip model {name!r} ({first}). Set `model` "
            "to the architecture the checkpoint was trained as."
        ) from None


class _ClipBase(Encoder[ClipSettings]):
    def __init__(self, settings: ClipSettings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size

    @property
    def dim(self) -> int:
        return int(model_config(self.settings.model)["embed_dim"])

    def loaded(self) -> LoadedClip:
        settings = self.settings
        return load_clip(
            settings.model, settings.checkpoint, settings.tokenizer, settings.random_init
        )

    @property
    def load_seconds(self) -> float:
        return self.loaded().seconds

    def encode_images(self, frames: Sequence[np.ndarray]) -> np.ndarray:
        """Frames (HxWx3 uint8 RGB) to unit vectors in the shared space."""
        from autocut_plugins import _torch

        clip = self.loaded()
        if not frames:
            import numpy as np

            return np.zeros((0, self.dim), dtype=np.float32)
        images = _torch.image_batch(frames, clip.image_size, clip.mean, clip.std, who=self.name)
        return _torch.infer(clip.model.encode_image, images, self.settings.batch_size)

    def encode_text(self, texts: Sequence[str]) -> np.ndarray:
        """Sentences to unit vectors in the same space as :meth:`encode_images`."""
        from autocut_plugins import _torch

        clip = self.loaded()
        if not texts:
            import numpy as np

            return np.zeros((0, self.dim), dtype=np.float32)
        tokens = clip.tokenizer([str(text) for text in texts])
        return _torch.infer(clip.model.encode_text, tokens, self.settings.batch_size)

    def diagnose(self) -> list[Check]:
        settings = self.settings
        label = f"encoder {self.name}"
        try:
            model_config(settings.model)
        except InputError as error:
            return [Check(label, "fail", str(error), "set model to an open_clip architecture")]
        if settings.random_init:
            return [Check(label, "warn", f"{settings.model}, random_init = true: not semantic")]
        if settings.checkpoint is None or not settings.checkpoint.is_file():
            shown = "not configured" if settings.checkpoint is None else settings.checkpoint
            return [Check(label, "fail", f"checkpoint {shown}", how_to_get(settings.model))]
        return [Check(label, "ok", f"{settings.model} from {settings.checkpoint}")]

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        return {"model": TINY_MODEL, "random_init": True}


class ClipEncoder(_ClipBase):
    """open_clip image tower; :meth:`encode_text` embeds sentences into the same space."""

    name = "clip"
    description = "open_clip image embedding (ViT-B-32 by default; local checkpoint), text-aligned"
    modality = "image"

    def encode_batch(self, items: Sequence[np.ndarray]) -> np.ndarray:
        return self.encode_images(items)


class ClipTextEncoder(_ClipBase):
    """open_clip text tower: sentences in the space of the ``clip`` frame vectors."""

    name = "clip-text"
    description = "open_clip text embedding, same space as the `clip` encoder (local checkpoint)"
    modality = "text"

    def encode_batch(self, items: Sequence[str]) -> np.ndarray:
        return self.encode_text(items)


@hookimpl
def register_encoders(register):
    register(ClipEncoder)
    register(ClipTextEncoder)
