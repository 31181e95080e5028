"""``clip`` and ``clip-text``: an open_clip model's image and text towers, one embedding space.

``clip`` embeds frames, ``clip-text`` embeds sentences, and both (and ``ClipEncoder.encode_text``)
come from the same model, so a script sentence can be matched against frames by cosine
similarity. The model is any open_clip architecture (``ViT-B-32``, ``ViT-B-16``, ``RN50``, or
``xlm-roberta-base-ViT-B-32``, whose multilingual text tower is a Hugging Face XLM-RoBERTa).

The weights are named by ``pretrained``: a model card (``clip-vit-b-32``, the default for
ViT-B-32; ``clip-xlm-roberta-base-vit-b-32``, the default for the multilingual one), one of
open_clip's pretrained tags of the architecture (``laion2b_s34b_b79k``: resolved through
open_clip's own table to its hub files), a hub id (``hf-hub:org/name``) or a local file; or
by ``checkpoint``, a local open_clip checkpoint as before. Cards, tags and hub ids come from
the Hugging Face cache, fetched once (``autocut models pull``, or at first use when the
network is allowed); offline and uncached, loading fails in one line saying how to get them.
``random_init = true`` builds random towers instead (tests; not semantic: random image and
text towers do not agree on anything).
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
from autocut_core.models import HubFile, HubFiles, ModelCard

if TYPE_CHECKING:
    import numpy as np
    import torch

#: The smallest open_clip architecture (43 M parameters, ~0.5 s to build): the contract tests'.
TINY_MODEL = "ViT-S-32-alt"


#: open_clip's weight file names: the safetensors one first, as open_clip itself tries them
#: (``HF_SAFE_WEIGHTS_NAME`` then ``HF_WEIGHTS_NAME``, open_clip/pretrained.py
#: ``download_pretrained_from_hf``). The repositories and tags of the cards below are open_clip's
#: pretrained table's (``laion2b_s34b_b79k``, ``laion5b_s13b_b90k``). Checked (2026-12) against
#: the Hub's file listings: the xlm-roberta-base laion5B repository holds only
#: open_clip_pytorch_model.bin (1.46 GB, fetched through the fallback) with its
#: preprocessor_config.json and tokenizer.json; for the laion2B ViT-B-32 repository no listing
#: was found, so which of the two names it serves is unconfirmed (either is fetched).
WEIGHTS = HubFile("open_clip_model.safetensors", fallback="open_clip_pytorch_model.bin")
#: What a Hugging Face text tower (or tokenizer) needs from its repository. Checked (2026-12)
#: for xlm-roberta-base (now FacebookAI/xlm-roberta-base, the old id redirects; open_clip's
#: model config names its tokenizer ``xlm-roberta-base``, so the cache folder is that id's):
#: config.json, tokenizer.json (9.1 MB), sentencepiece.bpe.model, tokenizer_config.json; it has
#: no special_tokens_map.json (optional here).
TEXT_FILES = (
    HubFile("config.json"),
    HubFile("tokenizer.json"),
    HubFile("tokenizer_config.json", required=False),
    HubFile("special_tokens_map.json", required=False),
    HubFile("sentencepiece.bpe.model", required=False),
)

CLIP_VIT_B_32 = ModelCard(
    name="clip-vit-b-32",
    summary="OpenCLIP ViT-B-32 trained on LAION-2B English captions: image and text towers, "
    "512-D shared space",
    licence="MIT",
    size=605_000_000,
    size_note="151 M parameters, float32",
    sources=(
        HubFiles(
            "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
            (WEIGHTS,),
            open_clip=("ViT-B-32", "laion2b_s34b_b79k"),
        ),
    ),
)
CLIP_XLM_ROBERTA_B_32 = ModelCard(
    name="clip-xlm-roberta-base-vit-b-32",
    summary="OpenCLIP ViT-B-32 image tower with a multilingual XLM-RoBERTa-base text tower "
    "(LAION-5B, 100+ languages incl. Chinese), 512-D; needs xlm-roberta-base's config and "
    "tokenizer",
    licence="MIT",
    size=1_480_000_000,
    size_note="366 M parameters, float32, plus the 9 MB tokenizer",
    sources=(
        HubFiles(
            "laion/CLIP-ViT-B-32-xlm-roberta-base-laion5B-s13B-b90k",
            (WEIGHTS,),
            open_clip=("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k"),
        ),
        HubFiles("xlm-roberta-base", TEXT_FILES),
    ),
)
CARDS = (CLIP_VIT_B_32, CLIP_XLM_ROBERTA_B_32)


def default_card(model: str) -> ModelCard | None:
    """The card whose weights are for architecture ``model``, if one is listed."""
    for card in CARDS:
        source = card.sources[0]
        if isinstance(source, HubFiles) and source.open_clip and source.open_clip[0] == model:
            return card
    return None


def how_to_get(model: str) -> str:
    return (
        f"Set pretrained to a model name (autocut models list), one of open_clip's pretrained "
        f"tags of {model}, a hub id or a local file, or checkpoint = '/path/to/"
        "open_clip_model.safetensors', in [encoders.clip] and [encoders.clip-text]. "
        "random_init = true runs without weights (not semantic)."
    )


class ClipSettings(ComponentSettings):
    model: str = Field(
        "ViT-B-32", description="open_clip architecture name (open_clip.list_models())"
    )
    pretrained: str | None = Field(
        None,
        description="Weights: a model name (autocut models list), an open_clip pretrained tag "
        "of `model`, a hub id (hf-hub:org/name) or a local file; unset: the architecture's "
        "card (clip-vit-b-32 for ViT-B-32)",
    )
    checkpoint: Path | None = Field(
        None,
        description="Local open_clip checkpoint for that architecture (.safetensors, or a "
        "weights-only .bin/.pt state dict); wins over pretrained",
    )
    tokenizer: Path | None = Field(
        None,
        description="Local Hugging Face folder of the text tower's config and tokenizer, only "
        "for architectures that use one (XLM-RoBERTa, SigLIP); unset: from the hub cache",
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
    return json.loads(path.read_text(encoding="utf-8"))


class Weights(NamedTuple):
    """What a clip encoder loads: the checkpoint (None: random), the Hugging Face folder of
    its text tower or tokenizer (None: open_clip's own BPE), open_clip's quick_gelu flag."""

    checkpoint: Path | None
    text_dir: Path | None
    quick_gelu: bool = False


def _tag_card(model: str, tag: str) -> ModelCard | None:
    """The card of open_clip pretrained tag ``tag`` of ``model`` (listed, or made from
    open_clip's own table), None when ``tag`` is not one of its tags."""
    for card in CARDS:
        source = card.sources[0]
        if isinstance(source, HubFiles) and source.open_clip == (model, tag):
            return card
    from open_clip.pretrained import get_pretrained_cfg

    config = get_pretrained_cfg(model, tag)
    if not config:
        return None
    if not config.get("hf_hub"):
        raise MissingWeightsError(
            f"open_clip tag {tag!r} of {model} has no Hugging Face copy, only {config['url']}: "
            "download it elsewhere and set checkpoint = '/path/to/file'"
        )
    repo, filename = config["hf_hub"].rstrip("/"), ""
    if repo.count("/") > 1:
        repo, filename = repo.rsplit("/", 1)
    if filename.endswith((".bin", ".pth")) and filename != WEIGHTS.fallback:
        entry = HubFile(filename.rsplit(".", 1)[0] + ".safetensors", fallback=filename)
    else:
        entry = WEIGHTS
    source = HubFiles(repo, (entry,), open_clip=(model, tag))
    return ModelCard(
        f"hf-hub:{repo}", f"open_clip {model} {tag}", "see the repository", 1, (source,)
    )


def _weights_card(settings: ClipSettings) -> ModelCard:
    from autocut_plugins._models import choose, hub_card

    value = settings.pretrained
    if value and "/" not in value and not Path(value).expanduser().exists():
        tagged = _tag_card(settings.model, value)
        if tagged is not None:
            return tagged
    chosen = choose(
        value,
        CARDS,
        default_card(settings.model),
        lambda repo: hub_card(repo, (WEIGHTS,), "pretrained", f"open_clip {settings.model}"),
        "pretrained",
    )
    if isinstance(chosen, Path):
        return ModelCard("local", str(chosen), "", 1, (), setting=str(chosen))
    return chosen


def _text_card(model: str, card: ModelCard | None) -> ModelCard | None:
    """Where the text tower's Hugging Face files come from (None: none needed)."""
    from autocut_plugins._models import hub_card

    text_cfg = model_config(model).get("text_cfg", {})
    repo = text_cfg.get("hf_model_name") or text_cfg.get("hf_tokenizer_name")
    if repo is None:
        return None
    if card is not None:
        for source in card.sources[1:]:
            if isinstance(source, HubFiles) and source.repo == repo:
                return ModelCard(card.name, card.summary, card.licence, card.size, (source,))
    files = TEXT_FILES if "hf_model_name" in text_cfg else TEXT_FILES[1:]
    return hub_card(repo, files, "tokenizer", f"text tower of open_clip {model}")


def resolve_weights(settings: ClipSettings, fetch: bool = True) -> Weights:
    """The local files ``settings`` name (fetched into the cache when ``fetch`` allows)."""
    from autocut_plugins import _torch

    from autocut_core import models

    def get(card: ModelCard) -> tuple[Path, ...] | None:
        return models.ensure(card) if fetch else models.locate(card)

    weights_card: ModelCard | None = None
    checkpoint: Path | None = None
    quick_gelu = False
    if not settings.random_init:
        if settings.checkpoint is not None:
            checkpoint = _torch.require_file(
                settings.checkpoint,
                f"open_clip checkpoint for {settings.model}",
                how_to_get(settings.model),
            )
        else:
            weights_card = _weights_card(settings)
            if not weights_card.sources:  # a local file named by pretrained
                checkpoint = Path(weights_card.setting)
            else:
                found = get(weights_card)
                source = weights_card.sources[0]
                assert isinstance(source, HubFiles)
                checkpoint = None if found is None else models_file(source)
                if source.open_clip is not None:
                    quick_gelu = _quick_gelu(*source.open_clip)
    text_dir = None
    if settings.tokenizer is not None:
        text_dir = _torch.require_dir(
            settings.tokenizer,
            f"text tower folder for {settings.model}",
            "copy the Hugging Face repository's config and tokenizer files there",
        )
    else:
        text_card = _text_card(settings.model, weights_card)
        if text_card is not None:
            found = get(text_card)
            text_dir = None if found is None else found[0]
    return Weights(checkpoint, text_dir, quick_gelu)


def models_file(source: HubFiles) -> Path | None:
    from autocut_core.models import hub_file

    return hub_file(source, source.files[0])


def _quick_gelu(model: str, tag: str) -> bool:
    """open_clip's flag for tags trained with QuickGELU (OpenAI's, LAION-400M's)."""
    from open_clip.pretrained import get_pretrained_cfg

    return bool(get_pretrained_cfg(model, tag).get("quick_gelu", False))


@functools.lru_cache(maxsize=2)
def load_clip(name: str, weights: Weights) -> LoadedClip:
    """Build (and cache: ``clip`` and ``clip-text`` share one copy) an open_clip model."""
    started = time.perf_counter()
    config = model_config(name)
    text_cfg = dict(config.get("text_cfg", {}))
    from autocut_plugins import _torch

    overrides: dict[str, Any] = {}
    if "hf_model_name" in text_cfg or "hf_tokenizer_name" in text_cfg:
        if weights.text_dir is None:
            raise MissingWeightsError(
                f"open_clip model {name!r} needs the Hugging Face files of "
                f"{text_cfg.get('hf_model_name') or text_cfg['hf_tokenizer_name']!r}; set "
                "tokenizer = '/path/to/folder' or pretrained to a model name"
            )
        if "hf_model_name" in text_cfg:
            # The tower's config from the local folder; its weights come with the checkpoint.
            overrides["text_cfg"] = {
                **text_cfg,
                "hf_model_name": str(weights.text_dir),
                "hf_model_pretrained": False,
            }
    if weights.quick_gelu:
        overrides["force_quick_gelu"] = True

    import open_clip

    def build() -> Any:
        return open_clip.create_model(name, pretrained=None, **overrides)

    if weights.checkpoint is None:
        model = _torch.seeded_init(build)
    else:
        model = build()
        _load_checkpoint(model, weights.checkpoint, name)
    if weights.text_dir is not None:
        from open_clip.tokenizer import HFTokenizer

        tokenizer = HFTokenizer(
            str(weights.text_dir),
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
    model_cards = CARDS

    def __init__(self, settings: ClipSettings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size

    @property
    def dim(self) -> int:
        return int(model_config(self.settings.model)["embed_dim"])

    def loaded(self) -> LoadedClip:
        settings = self.settings
        weights = resolve_weights(settings)
        if weights.checkpoint is None and not settings.random_init:
            raise MissingWeightsError(
                f"No weights for {settings.model}. {how_to_get(settings.model)}"
            )
        return load_clip(settings.model, weights)

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
        from autocut_plugins._models import cache_check

        settings = self.settings
        label = f"encoder {self.name}"
        try:
            model_config(settings.model)
            if settings.random_init:
                return [Check(label, "warn", f"{settings.model}, random_init = true: not semantic")]
            if settings.checkpoint is not None:
                if not settings.checkpoint.is_file():
                    fix = how_to_get(settings.model)
                    return [Check(label, "fail", f"checkpoint {settings.checkpoint}", fix)]
                return [Check(label, "ok", f"{settings.model} from {settings.checkpoint}")]
            card = _weights_card(settings)
        except (InputError, MissingWeightsError) as error:
            return [Check(label, "fail", str(error), how_to_get(settings.model))]
        if not card.sources:
            return [Check(label, "ok", f"{settings.model} from {card.setting}")]
        checks = [cache_check(label, card)]
        text = _text_card(settings.model, card) if settings.tokenizer is None else None
        if text is not None:
            checks.append(cache_check(f"{label} text tower", text))
        return checks

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
