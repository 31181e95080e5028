"""``demucs``: voice/music separation by Hybrid Transformer Demucs (Rouard et al., 2023).

The model is ``model``: a card name (``htdemucs``, ``htdemucs_6s``) or a local checkpoint
file. A card's checkpoint lives where demucs and ``torch.hub`` keep it,
``$TORCH_HOME/hub/checkpoints/<signature>-<sha256 prefix>.th``, fetched once by
``autocut models pull htdemucs`` (its sha256 is checked then); offline, a missing one is a
one-line error naming the model and that command.

The network comes from ``demucs-infer`` (the inference half of demucs 4, which needs neither
torchaudio nor the training stack: ``pip install 'autocut[separation]'``). Only its model
classes and ``apply_model`` (overlapping segments, as demucs separates) are used; the
checkpoint is demucs' own format (the class, its arguments and the weights), read with
``weights_only`` and only the demucs model classes allowed, so a file cannot run code.

Demucs separates four (or six) sources of 44.1 kHz stereo: ``vocals`` is the voice, and the
sum of the others (drums, bass, other, and guitar and piano for the 6-source model) the
music. Mono input is given to both channels, normalised as demucs does (the mix's mean and
standard deviation), and the stems are averaged back to mono. ``device`` picks the GPU when
there is one; ``dtype = "bfloat16"`` runs the network under autocast there (half the memory).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import Separator, SeparatorSettings
from autocut_core.errors import InputError, MissingWeightsError, SeparationError
from autocut_core.models import ModelCard, UrlFile

if TYPE_CHECKING:
    import numpy as np
    import torch

SAMPLE_RATE = 44_100
ROOT = "https://dl.fbaipublicfiles.com/demucs/hybrid_transformer/"
VOICE_SOURCE = "vocals"
INSTALL = "pip install 'autocut[separation]' (demucs-infer)"


def _card(name: str, signature: str, sha256: str, sources: str, parameters: float) -> ModelCard:
    return ModelCard(
        name=name,
        summary=f"Hybrid Transformer Demucs v4 (Rouard et al. 2023): {sources} at 44.1 kHz; "
        "voice = vocals, music = the rest",
        licence="MIT (demucs code and weights)",
        size=int(parameters * 4),
        size_note="parameters x 4: HTDemucs at its released widths has 42.0 M",
        sources=(UrlFile(f"{ROOT}{signature}.th", f"{signature}.th", "torch-hub", sha256),),
        setting="model",
    )


#: Signatures and digests as demucs-infer 4.4.0's ``config/checkpoints.toml`` lists them.
HTDEMUCS = _card(
    "htdemucs", "955717e8-8726e21a",
    "8726e21a993978c7ba086d3872e7608d7d5bfca646ca4aca459ffda844faa8b4",
    "drums, bass, other, vocals", 42.0e6,
)  # fmt: skip
HTDEMUCS_6S = _card(
    "htdemucs_6s", "5c90dfd2-34c22ccb",
    "34c22ccb381c6f9fdbf324f04e1e2fe21aaaf293f5ded163a162697ff9a02ddd",
    "drums, bass, other, vocals, guitar, piano", 42.0e6,
)  # fmt: skip


class DemucsSettings(SeparatorSettings):
    model: str = Field(
        "htdemucs", description="Model card (htdemucs, htdemucs_6s) or a local .th checkpoint"
    )
    device: Literal["auto", "cpu", "cuda"] = Field(
        "auto", description="Where the network runs; auto: the GPU when there is one"
    )
    dtype: Literal["float32", "bfloat16"] = Field(
        "float32", description="bfloat16 runs the network under autocast (GPU: half the memory)"
    )
    overlap: float = Field(
        0.25, ge=0.0, lt=1.0, description="Share of demucs' own segments that overlap"
    )


class DemucsSeparator(Separator[DemucsSettings]):
    """Hybrid Transformer Demucs: voice = vocals, music = the other sources."""

    name = "demucs"
    description = "Hybrid Transformer Demucs v4 (demucs-infer): vocals vs the rest, 44.1 kHz"
    sample_rate = SAMPLE_RATE
    model_cards = (HTDEMUCS, HTDEMUCS_6S)

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # The contract runs offline: a tiny random HTDemucs in demucs' checkpoint format.
        from autocut_plugins.demucs_tiny import tiny_demucs_checkpoint

        return {"model": str(tiny_demucs_checkpoint()), "device": "cpu"}

    @property
    def model(self) -> str:
        return self.settings.model

    def checkpoint(self) -> Path:
        """The local checkpoint ``model`` names: a card's (fetched unless offline) or a file."""
        from autocut_core import models

        for card in self.model_cards:
            if card.name == self.settings.model:
                return models.ensure(card)[0]
        path = Path(self.settings.model).expanduser()
        if path.is_file():
            return path
        names = ", ".join(card.name for card in self.model_cards)
        raise MissingWeightsError(
            f"separator demucs: model = {self.settings.model!r} is not a model card ({names}) "
            f"or a local checkpoint file ({path} does not exist)"
        )

    def _separate(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np
        import torch
        from demucs_infer.apply import apply_model

        network, device = self._network()
        stereo = torch.from_numpy(np.ascontiguousarray(audio)).repeat(network.audio_channels, 1)
        mean, std = stereo.mean(), stereo.std().clamp_min(1e-8)
        mix = ((stereo - mean) / std)[None]
        autocast = torch.autocast(
            device.type, dtype=torch.bfloat16, enabled=self.settings.dtype == "bfloat16"
        )
        with torch.inference_mode(), autocast:
            sources = apply_model(
                network, mix, shifts=0, split=True, overlap=self.settings.overlap,
                progress=False, device=device,
            )[0].float().cpu()  # fmt: skip
        sources = sources * std + mean
        names = list(network.sources)
        voice = sources[names.index(VOICE_SOURCE)].mean(dim=0)
        music = sources.sum(dim=0).mean(dim=0) - voice
        return voice.numpy().astype(np.float32), music.numpy().astype(np.float32)

    def _network(self) -> tuple[Any, torch.device]:
        from autocut_plugins import _torch

        device = _torch.device() if self.settings.device == "auto" else None
        if device is None:
            import torch

            device = torch.device(self.settings.device)
        return load_network(str(self.checkpoint()), str(device)), device

    def diagnose(self) -> list[Check]:
        from autocut_plugins._models import cache_check

        if importlib.util.find_spec("demucs_infer") is None:
            return [Check("separator demucs", "fail", "demucs-infer is not installed", INSTALL)]
        for card in self.model_cards:
            if card.name == self.settings.model:
                return [cache_check("separator demucs", card)]
        path = Path(self.settings.model).expanduser()
        if not path.is_file():
            return [Check("separator demucs", "fail", f"{path} does not exist",
                          "set model to htdemucs or a local .th checkpoint")]  # fmt: skip
        return [Check("separator demucs", "ok", f"checkpoint {path}")]


@functools.lru_cache(maxsize=2)
def load_network(path: str, device: str) -> Any:
    """The demucs model of checkpoint ``path`` on ``device``, in eval mode (cached)."""
    import pickle
    from fractions import Fraction

    import torch

    try:
        from demucs_infer.demucs import Demucs
        from demucs_infer.hdemucs import HDemucs
        from demucs_infer.htdemucs import HTDemucs
    except ImportError:
        raise InputError(f"separator demucs needs demucs-infer: {INSTALL}") from None
    allowed = [Demucs, HDemucs, HTDemucs, Fraction]
    try:
        with torch.serialization.safe_globals(allowed):
            package = torch.load(path, map_location="cpu", weights_only=True)
        klass, args, kwargs, state = (package[key] for key in ("klass", "args", "kwargs", "state"))
    except (pickle.UnpicklingError, RuntimeError, KeyError, TypeError, EOFError) as error:
        first = " ".join(str(error).split())[:200]
        raise SeparationError(f"{path}: not a demucs checkpoint ({first})") from None
    if klass not in (Demucs, HDemucs, HTDemucs) or state.get("__quantized"):
        raise SeparationError(f"{path}: a {klass!r} checkpoint, not an unquantized demucs model")
    network = klass(*args, **kwargs)
    network.load_state_dict(state)
    if VOICE_SOURCE not in network.sources:
        raise SeparationError(f"{path}: the model separates {network.sources}, no 'vocals'")
    return network.eval().to(device)


@hookimpl
def register_separators(register):
    register(DemucsSeparator)
