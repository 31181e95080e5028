"""``panns``: PANNs Cnn14 audio embeddings (2048-D), learnt on AudioSet.

The checkpoint is ``checkpoint`` (a local file) or, unset, the model card ``panns-cnn14``:
``~/panns_data/Cnn14_mAP=0.431.pth``, where panns-inference itself keeps it, fetched once
from Zenodo by ``autocut models pull panns-cnn14``.

Cnn14 (Kong et al., 2020) was trained to tag the 527 AudioSet sound classes, music genres and
instruments among them; its 2048-D penultimate layer is a general-purpose audio embedding. The
network comes from the ``panns-inference`` package, but that package's ``__init__`` downloads a
labels CSV with ``wget`` and its ``AudioTagging`` re-downloads checkpoints, so this plugin loads
only its ``models`` module (under a private name, without running the package ``__init__``) and
reads the checkpoint itself, weights only.

Input is mono audio at 32 kHz: the rate Cnn14 was trained at (``sample_rate = 32000``; audio
at another rate must be resampled, e.g. with :meth:`PannsEncoder.encode_at`). Clips shorter
than 0.32 s are zero-padded to that length, the least the network's six pooling stages accept.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import sys
import time
import types
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_plugins._torch import ResamplingMixin
from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import ComponentSettings, Encoder
from autocut_core.errors import InputError
from autocut_core.models import ModelCard, UrlFile

if TYPE_CHECKING:
    import numpy as np
    import torch

SAMPLE_RATE = 32000
FEATURES = 2048
CHECKPOINT_NAME = "Cnn14_mAP=0.431.pth"
#: Where panns-inference itself keeps the checkpoint: used when none is configured.
DEFAULT_CHECKPOINT = Path.home() / "panns_data" / CHECKPOINT_NAME
#: Cnn14's front end, as trained (32 kHz, 1024-point window, 10 ms hop, 64 mel bands).
CNN14_ARGS = {
    "sample_rate": SAMPLE_RATE,
    "window_size": 1024,
    "hop_size": 320,
    "mel_bins": 64,
    "fmin": 50,
    "fmax": 14000,
    "classes_num": 527,
}
#: Five 2x time poolings need at least 32 spectrogram frames: 31 hops of 320 samples.
MIN_SAMPLES = 31 * 320
HOW_TO_GET = (
    f"Download {CHECKPOINT_NAME} (Cnn14, 327 MB) from Zenodo record 3987831 "
    f"(https://zenodo.org/record/3987831/files/{CHECKPOINT_NAME.replace('=', '%3D')}) on a "
    f"machine with internet, copy it to {DEFAULT_CHECKPOINT} or set checkpoint = "
    "'/path/to/Cnn14_mAP=0.431.pth' in [encoders.panns]. random_init = true runs without "
    "weights (not semantic)."
)
_PRIVATE_PACKAGE = "_autocut_panns_inference"
#: The URL is the one panns_inference itself downloads (inference.py, Zenodo record 3987831);
#: the size is Zenodo's listing as remembered, not checked here (no public copy was found).
PANNS_CNN14 = ModelCard(
    name="panns-cnn14",
    summary="PANNs Cnn14 (Kong et al. 2020), AudioSet tagging mAP 0.431: 2048-D audio "
    "embedding at 32 kHz",
    licence="MIT (PANNs code); weights: see Zenodo record 3987831",
    size=327_000_000,
    size_note="as Zenodo lists it",
    sources=(
        UrlFile(
            f"https://zenodo.org/record/3987831/files/{CHECKPOINT_NAME.replace('=', '%3D')}",
            CHECKPOINT_NAME,
            "panns",
        ),
    ),
    setting="checkpoint",
)


class PannsSettings(ComponentSettings):
    checkpoint: Path | None = Field(
        None,
        description=f"Local Cnn14 checkpoint ({CHECKPOINT_NAME}); default: the panns-cnn14 "
        "model in ~/panns_data",
    )
    batch_size: int = Field(8, ge=1, description="Clips of equal length per forward pass")
    random_init: bool = Field(
        False, description="Use random weights instead of loading any (tests; not semantic)"
    )


def cnn14_class() -> type:
    """panns_inference's Cnn14, imported without running the package's downloading __init__."""
    if _PRIVATE_PACKAGE not in sys.modules:
        spec = importlib.util.find_spec("panns_inference")
        if spec is None or not spec.submodule_search_locations:
            raise InputError("panns-inference is not installed: pip install 'autocut[audio]'")
        # An empty package over the same folder: `models` and its relative import of
        # `pytorch_utils` resolve, and `__init__` / `config` (the wget) never run.
        package = types.ModuleType(_PRIVATE_PACKAGE)
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules[_PRIVATE_PACKAGE] = package
    return importlib.import_module(f"{_PRIVATE_PACKAGE}.models").Cnn14


@functools.lru_cache(maxsize=1)
def load_cnn14(checkpoint: Path | None, random_init: bool) -> tuple[torch.nn.Module, float]:
    """(the model, seconds it took to build and load); cached, it is 80 M parameters."""
    from autocut_plugins import _torch

    started = time.perf_counter()
    if not random_init:
        if checkpoint is None:
            from autocut_core import models

            path = models.ensure(PANNS_CNN14)[0]
        else:
            path = _torch.require_file(
                checkpoint, f"PANNs checkpoint {CHECKPOINT_NAME}", HOW_TO_GET
            )
    cnn14 = cnn14_class()
    if random_init:
        model = _torch.seeded_init(lambda: cnn14(**CNN14_ARGS))
    else:
        model = cnn14(**CNN14_ARGS)
        state = _torch.load_state_dict(path)
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as error:
            first = " ".join(str(error).splitlines()[:2])
            raise InputError(f"{path}: not a Cnn14 checkpoint ({first})") from None
    return _torch.prepare(model), time.perf_counter() - started


class PannsEncoder(ResamplingMixin, Encoder[PannsSettings]):
    """Cnn14 2048-D clip embedding (AudioSet-trained), L2-normalised; 32 kHz mono input."""

    name = "panns"
    model_cards = (PANNS_CNN14,)
    description = "PANNs Cnn14 audio embedding, 2048-D, 32 kHz (local AudioSet checkpoint)"
    modality = "audio"
    sample_rate = SAMPLE_RATE
    batch_size = 8

    def __init__(self, settings: PannsSettings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size

    @property
    def dim(self) -> int:
        return FEATURES

    def model(self) -> torch.nn.Module:
        settings = self.settings
        return load_cnn14(settings.checkpoint, settings.random_init)[0]

    @property
    def load_seconds(self) -> float:
        settings = self.settings
        return load_cnn14(settings.checkpoint, settings.random_init)[1]

    def encode_batch(self, items: Sequence[Any]) -> np.ndarray:
        import numpy as np
        import torch
        from autocut_plugins import _torch

        settings = self.settings
        model = self.model()

        def embed(batch: torch.Tensor) -> torch.Tensor:
            return model(batch)["embedding"]

        waves = [_padded(_torch.as_mono(item)) for item in items]
        vectors = np.zeros((len(waves), FEATURES), dtype=np.float32)
        # Clips of one length go through together; never pad one clip to another's length,
        # or a clip's vector would depend on the batch it came in.
        by_length: dict[int, list[int]] = {}
        for index, wave in enumerate(waves):
            by_length.setdefault(wave.size, []).append(index)
        for indices in by_length.values():
            stacked = torch.from_numpy(np.stack([waves[i] for i in indices]))
            vectors[indices] = _torch.infer(embed, stacked, settings.batch_size)
        return vectors

    def diagnose(self) -> list[Check]:
        settings = self.settings
        if settings.random_init:
            return [Check("encoder panns", "warn", "random_init = true: not semantic")]
        checks = []
        if importlib.util.find_spec("panns_inference") is None:
            fix = "pip install 'autocut[audio]'"
            checks.append(Check("encoder panns", "fail", "panns-inference not installed", fix))
        if settings.checkpoint is None:
            from autocut_plugins._models import cache_check

            return [*checks, cache_check("encoder panns", PANNS_CNN14)]
        path = settings.checkpoint
        if not Path(path).is_file():
            checks.append(
                Check("encoder panns", "fail", f"checkpoint not found: {path}", HOW_TO_GET)
            )
        return checks or [Check("encoder panns", "ok", str(path))]

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        return {"random_init": True}


def _padded(wave: np.ndarray) -> np.ndarray:
    import numpy as np

    if wave.size >= MIN_SAMPLES:
        return np.ascontiguousarray(wave, dtype=np.float32)
    return np.pad(wave, (0, MIN_SAMPLES - wave.size)).astype(np.float32)


@hookimpl
def register_encoders(register):
    register(PannsEncoder)
