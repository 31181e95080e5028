"""``resnet50``: the paper's frame encoder, a ResNet-50 trunk (2048-D) with an optional projection.

The AutoCut paper encodes frames with a ResNet-50 and projects them to 128-D before the RQ-VAE.
This plugin runs torchvision's ResNet-50 with weights from a local file (``weights``):
torchvision's ImageNet checkpoint ``resnet50-0676ba61.pth`` (IMAGENET1K_V1) or
``resnet50-11ad3fa6.pth`` (IMAGENET1K_V2), or a safetensors file with the same keys. Unset, it
uses the model card ``resnet50-imagenet1k-v1`` (or another named by ``pretrained``: a card or
a hub id of a timm-format repository): torchvision's own checkpoint in torchvision's own
cache (``$TORCH_HOME/hub/checkpoints``), fetched once by ``autocut models pull``. With ``project_dim`` set, a linear head maps the 2048-D pooled features to that size; its
``weight`` [project_dim, 2048] and optional ``bias`` come from ``projection`` (a safetensors
file with ``weight``/``bias`` or ``projection.weight``/``projection.bias``) or, when that is
unset, from ``projection.*`` tensors inside the ``weights`` file.

Offline without the file it fails at first use with a one-line error that says what to fetch;
``random_init = true`` runs the same code path on random weights (for tests; not semantic).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import ComponentSettings, Encoder
from autocut_core.errors import InputError, MissingWeightsError
from autocut_core.models import HubFile, ModelCard, UrlFile

if TYPE_CHECKING:
    import numpy as np
    import torch

FEATURES = 2048
HOW_TO_GET = (
    "Download torchvision's ImageNet ResNet-50 weights on a machine with internet "
    "(https://download.pytorch.org/models/resnet50-0676ba61.pth, or copy it from "
    "~/.cache/torch/hub/checkpoints/ where torchvision caches it), copy the file here and set "
    "weights = '/path/to/resnet50-0676ba61.pth' in [encoders.resnet50] "
    "(or AUTOCUT_ENCODERS__RESNET50__WEIGHTS). random_init = true runs without weights "
    "(not semantic)."
)
#: URL and size checked against the installed torchvision (``ResNet50_Weights.IMAGENET1K_V1``:
#: this URL, ``_file_size`` 97.781 MiB = 102,530,333 bytes); the sha256 prefix is the file name's.
RESNET50_V1 = ModelCard(
    name="resnet50-imagenet1k-v1",
    summary="torchvision ResNet-50, ImageNet-1k (IMAGENET1K_V1, top-1 76.1%): the paper's "
    "frame encoder trunk, 2048-D",
    licence="BSD-3-Clause (torchvision)",
    size=102_530_333,
    sources=(
        UrlFile(
            "https://download.pytorch.org/models/resnet50-0676ba61.pth",
            "resnet50-0676ba61.pth",
            "torch-hub",
            sha256="0676ba61",
        ),
    ),
    setting="weights",
)
HEAD_HOW_TO_GET = (
    "Set projection = '/path/to/head.safetensors' (tensors 'weight' [project_dim, 2048] and "
    "optionally 'bias'), put 'projection.weight' into the weights file, or leave project_dim "
    "unset to get the 2048-D trunk features."
)


class ResNet50Settings(ComponentSettings):
    weights: Path | None = Field(
        None,
        description="Local ResNet-50 weights: torchvision's resnet50-0676ba61.pth (or -11ad3fa6) "
        "or a .safetensors file with torchvision's keys; wins over pretrained",
    )
    pretrained: str | None = Field(
        None,
        description="A model name (autocut models list) or a hub id of a timm-format ResNet-50; "
        "unset: resnet50-imagenet1k-v1 from torchvision's cache",
    )
    project_dim: int | None = Field(
        None,
        ge=1,
        description="Size of the linear projection head (the paper uses 128); unset: 2048-D trunk",
    )
    projection: Path | None = Field(
        None,
        description="Safetensors file holding the projection head ('weight', optional 'bias'); "
        "unset: 'projection.*' tensors of the weights file",
    )
    image_size: int = Field(
        224, ge=32, le=1024, description="Side of the square centre crop fed to the network"
    )
    batch_size: int = Field(32, ge=1, description="Frames per forward pass")
    random_init: bool = Field(
        False, description="Use random weights instead of loading any (tests; not semantic)"
    )


class ResNet50Encoder(Encoder[ResNet50Settings]):
    """ResNet-50 pooled features (2048-D) or their projection (``project_dim``), L2-normalised."""

    name = "resnet50"
    model_cards = (RESNET50_V1,)
    description = "ResNet-50 trunk (2048-D) + optional projection head; local weights file"
    modality = "image"

    def __init__(self, settings: ResNet50Settings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size
        self._model: torch.nn.Module | None = None
        self.load_seconds: float | None = None

    @property
    def dim(self) -> int:
        settings = self.settings
        return settings.project_dim or FEATURES

    def model(self) -> torch.nn.Module:
        if self._model is None:
            started = time.perf_counter()
            self._model = self._load()
            self.load_seconds = time.perf_counter() - started
        return self._model

    def _load(self) -> torch.nn.Module:
        import torch
        from autocut_plugins import _torch
        from torchvision.models import resnet50

        settings = self.settings

        def build() -> torch.nn.Module:
            trunk = resnet50(weights=None)
            trunk.fc = torch.nn.Identity()
            if settings.project_dim is None:
                return trunk
            return torch.nn.Sequential(trunk, torch.nn.Linear(FEATURES, settings.project_dim))

        if settings.random_init:
            return _torch.prepare(_torch.seeded_init(build))
        path = self._weights_path(fetch=True)
        assert path is not None
        state = _torch.load_state_dict(path)
        model = build()
        trunk = model[0] if isinstance(model, torch.nn.Sequential) else model
        trunk_state = {k: v for k, v in state.items() if not k.startswith(("fc.", "projection."))}
        missing, unexpected = trunk.load_state_dict(trunk_state, strict=False)
        if missing or unexpected:
            raise InputError(
                f"{path}: not a torchvision ResNet-50 state dict (missing {missing[:3]}, "
                f"unexpected {unexpected[:3]})"
            )
        if isinstance(model, torch.nn.Sequential) and settings.project_dim is not None:
            model[1].load_state_dict(self._head(state, path, settings.project_dim))
        return _torch.prepare(model)

    def _card(self) -> ModelCard:
        from autocut_plugins._models import choose, hub_card

        files = (HubFile("model.safetensors", fallback="pytorch_model.bin"),)
        chosen = choose(
            self.settings.pretrained,
            self.model_cards,
            RESNET50_V1,
            lambda repo: hub_card(repo, files, "pretrained", "a timm-format ResNet-50"),
            "pretrained",
        )
        if isinstance(chosen, Path):
            raise InputError(f"pretrained = {chosen}: a local file goes in weights = '{chosen}'")
        return chosen

    def _weights_path(self, fetch: bool) -> Path | None:
        """The weights file: ``weights``, else the card's file (fetched when ``fetch``)."""
        from autocut_plugins import _torch

        from autocut_core import models

        settings = self.settings
        if settings.weights is not None:
            return _torch.require_file(settings.weights, "ResNet-50 weights file", HOW_TO_GET)
        card = self._card()
        found = models.ensure(card) if fetch else models.locate(card)
        if found is None:
            return None
        folder = found[0]
        if folder.is_file():
            return folder
        for name in ("model.safetensors", "pytorch_model.bin"):
            if (folder / name).is_file():
                return folder / name
        raise MissingWeightsError(f"{folder}: holds no model.safetensors or pytorch_model.bin")

    def _head(
        self, weights_state: dict[str, torch.Tensor], weights_path: Path, dim: int
    ) -> dict[str, torch.Tensor]:
        from autocut_plugins import _torch

        settings = self.settings
        if settings.projection is not None:
            path = _torch.require_file(settings.projection, "projection head file", HEAD_HOW_TO_GET)
            state = _torch.load_state_dict(path)
            head = {k.removeprefix("projection."): v for k, v in state.items()}
        else:
            path = weights_path
            head = {
                k.removeprefix("projection."): v
                for k, v in weights_state.items()
                if k.startswith("projection.")
            }
        if "weight" not in head:
            raise MissingWeightsError(
                f"project_dim = {settings.project_dim} but {path} holds no projection head "
                f"('weight' or 'projection.weight'). {HEAD_HOW_TO_GET}"
            )
        expected = (dim, FEATURES)
        if tuple(head["weight"].shape) != expected:
            raise InputError(
                f"{path}: the projection weight has shape {tuple(head['weight'].shape)}, "
                f"expected {expected} for project_dim = {settings.project_dim}"
            )
        if "bias" not in head:
            import torch

            head["bias"] = torch.zeros(dim)
        return {"weight": head["weight"], "bias": head["bias"]}

    def encode_batch(self, items: Sequence[np.ndarray]) -> np.ndarray:
        from autocut_plugins import _torch

        settings = self.settings
        model = self.model()
        images = _torch.image_batch(items, settings.image_size, who=self.name)
        return _torch.infer(model, images, settings.batch_size)

    def diagnose(self) -> list[Check]:
        settings = self.settings
        if settings.random_init:
            return [Check("encoder resnet50", "warn", "random_init = true: not semantic")]
        checks = []
        if settings.weights is None:
            from autocut_plugins._models import cache_check

            checks.append(cache_check("encoder resnet50 weights", self._card()))
        for label, path, fix in (
            ("weights", settings.weights, HOW_TO_GET),
            ("projection", settings.projection, HEAD_HOW_TO_GET),
        ):
            if path is None:
                continue
            if path is None or not Path(path).is_file():
                shown = "not configured" if path is None else f"not found: {path}"
                checks.append(Check(f"encoder resnet50 {label}", "fail", shown, fix))
            else:
                checks.append(Check(f"encoder resnet50 {label}", "ok", str(path)))
        return checks

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # Same code path as the real model (trunk + head), random weights, small input.
        return {"random_init": True, "project_dim": 16, "image_size": 64}


@hookimpl
def register_encoders(register):
    register(ResNet50Encoder)
