"""``resnet50``: the paper's frame encoder, a ResNet-50 trunk (2048-D) with an optional projection.

The AutoCut paper encodes frames with a ResNet-50 and projects them to 128-D before the RQ-VAE.
This plugin runs torchvision's ResNet-50 with weights from a LOCAL file named in the settings
(nothing is downloaded): torchvision's ImageNet checkpoint ``resnet50-0676ba61.pth``
(IMAGENET1K_V1) or ``resnet50-11ad3fa6.pth`` (IMAGENET1K_V2), or a safetensors file with the same
keys. With ``project_dim`` set, a linear head maps the 2048-D pooled features to that size; its
``weight`` [project_dim, 2048] and optional ``bias`` come from ``projection`` (a safetensors
file with ``weight``/``bias`` or ``projection.weight``/``projection.bias``) or, when that is
unset, from ``projection.*`` tensors inside the ``weights`` file.

Without weights it fails at first use with a MissingWeightsError that says what to fetch;
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
HEAD_HOW_TO_GET = (
    "Set projection = '/path/to/head.safetensors' (tensors 'weight' [project_dim, 2048] and "
    "optionally 'bias'), put 'projection.weight' into the weights file, or leave project_dim "
    "unset to get the 2048-D trunk features."
)


class ResNet50Settings(ComponentSettings):
    weights: Path | None = Field(
        None,
        description="Local ResNet-50 weights: torchvision's resnet50-0676ba61.pth (or -11ad3fa6) "
        "or a .safetensors file with torchvision's keys",
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
        path = _torch.require_file(settings.weights, "ResNet-50 weights file", HOW_TO_GET)
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
        for label, path, fix in (
            ("weights", settings.weights, HOW_TO_GET),
            ("projection", settings.projection, HEAD_HOW_TO_GET),
        ):
            if path is None and label == "projection":
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
