"""Helpers the model encoders share: device, threads, preprocessing, safe weight loading.

Nothing here imports torch (or scipy) at module level: plugin modules import this one when
``autocut`` starts, and ``autocut --help`` must not pay for torch. Every function imports what
it needs when it is called.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from autocut_core.errors import InputError, MissingWeightsError

if TYPE_CHECKING:
    import numpy as np
    import torch

#: Any torch module: ``prepare`` hands back the type it was given.
ModuleT = TypeVar("ModuleT", bound="torch.nn.Module")

#: ImageNet channel statistics (torchvision, timm), for [0, 1] RGB input.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

#: Seed of every random initialisation, so a random-init model is the same in every process.
RANDOM_INIT_SEED = 0


def available_cores() -> int:
    """CPU cores this process may run on (the affinity mask, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@functools.cache
def device() -> torch.device:
    """CUDA when a GPU is visible, else the CPU; torch's CPU threads set to every core, once,
    unless ``OMP_NUM_THREADS`` says how many (then torch already uses that many)."""
    import torch

    # torch defaults to the physical cores of the whole machine; a container or a taskset may
    # give us fewer (or hyper-threads that help convolutions), so follow the affinity mask.
    # An explicit OMP_NUM_THREADS wins: the thread count changes the order of floating-point
    # sums, so a run that must repeat bit for bit (the test suite, a resumed training) pins it.
    if not os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(available_cores())
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_and_dtype(who: str, device: str, dtype: str) -> tuple[str, str]:
    """A model's ``device`` (``cpu``, ``cuda``, ``cuda:N``, ``auto``) and ``dtype`` (``auto``,
    ``float32``, ``bfloat16``, ``float16``) settings made concrete: ``auto`` is the GPU when
    one is visible, and float32 on the CPU (exact, and torch's fastest CPU kernels) or the
    GPU's half precision (bfloat16 where it has it). A GPU asked for on a machine without one
    is an :class:`InputError` naming ``who``, not a CUDA traceback at the first tensor."""
    import torch

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"{who}: device {device!r} asked for, but no GPU is available")
    if dtype == "auto":
        if device == "cpu":
            dtype = "float32"
        else:
            dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return device, dtype


def require_file(path: Path | str | None, what: str, how_to_get: str) -> Path:
    """``path`` as a Path if it is an existing file, else a MissingWeightsError saying how to get it."""
    if path is None:
        raise MissingWeightsError(f"No {what} is configured. {how_to_get}")
    path = Path(path).expanduser()
    if not path.is_file():
        raise MissingWeightsError(f"{what} not found: {path} does not exist. {how_to_get}")
    return path


def require_dir(path: Path | str, what: str, how_to_get: str) -> Path:
    """``path`` as a Path if it is an existing directory, else a MissingWeightsError."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise MissingWeightsError(f"{what} not found: {path} is not a directory. {how_to_get}")
    return path


def load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors from a safetensors file or a weights-only torch checkpoint; never unpickles code.

    A checkpoint that wraps its tensors (``{"state_dict": ...}``, ``{"model": ...}``) or was
    saved from ``DataParallel`` (``module.`` prefixes) is unwrapped.
    """
    import torch

    path = Path(path)
    state: Any  # a dict of tensors, or whatever a checkpoint file holds (checked below)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        state = load_file(str(path), device="cpu")
    else:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # an UnpicklingError names the class it refused
            raise InputError(
                f"{path}: cannot be read as a weights-only checkpoint ({error}). Convert it to "
                "safetensors, or re-save only its state_dict with torch.save."
            ) from None
    for key in ("state_dict", "model", "model_state_dict"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
            break
    if not isinstance(state, dict):
        raise InputError(f"{path}: holds a {type(state).__name__}, not a dict of tensors")
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if tensors and all(k.startswith("module.") for k in tensors):
        tensors = {k.removeprefix("module."): v for k, v in tensors.items()}
    return tensors


def seeded_init(build: Callable[[], Any]) -> Any:
    """Run ``build`` (which initialises weights randomly) under a fixed seed, leaving the global RNG as it was."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(RANDOM_INIT_SEED)
        return build()


def prepare(module: ModuleT) -> ModuleT:
    """Eval mode, on the chosen device, gradients off."""
    module.eval()
    module.requires_grad_(False)
    return module.to(device())


def batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def infer(
    forward: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor, batch_size: int
) -> np.ndarray:
    """``forward`` over ``inputs`` in chunks of ``batch_size`` under inference mode.

    Returns float32 rows L2-normalised on the host.
    """
    import torch

    outputs = []
    with torch.inference_mode():
        for start in range(0, inputs.shape[0], batch_size):
            chunk = inputs[start : start + batch_size].to(device(), non_blocking=True)
            outputs.append(forward(chunk).float().cpu())
    return l2_normalize(torch.cat(outputs).numpy())


def l2_normalize(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length as float32; all-zero rows stay zero (never NaN)."""
    import numpy as np

    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


def as_rgb(frame: Any, who: str) -> np.ndarray:
    """An HxWx3 uint8 view of ``frame`` (grey is repeated, alpha dropped); ValueError otherwise."""
    import numpy as np

    array = np.asarray(frame)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or min(array.shape[:2]) < 1:
        raise ValueError(f"{who} expects HxWx3 RGB frames, got shape {array.shape}")
    if array.dtype != np.uint8:
        raise ValueError(f"{who} expects uint8 frames, got {array.dtype}")
    return array[:, :, :3]


def image_batch(
    frames: Sequence[Any],
    size: int,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
    who: str = "encoder",
) -> torch.Tensor:
    """Frames of any size as a normalised ``[n, 3, size, size]`` float32 batch.

    Each frame is centre-cropped to a square (the same result as resizing its shorter side to
    ``size`` and centre-cropping, but the crop comes first so less is resized), then resized
    with antialiased bicubic interpolation on uint8 (torch's fast path; no PIL round trip),
    scaled to [0, 1] and normalised with ``mean``/``std``. Frames are resized one by one, so a
    frame gives the same tensor whatever batch it is in.
    """
    import numpy as np
    import torch
    import torch.nn.functional as F

    if not frames:
        return torch.zeros((0, 3, size, size))
    resized = []
    for frame in frames:
        rgb = as_rgb(frame, who)
        height, width = rgb.shape[:2]
        side = min(height, width)
        top, left = (height - side) // 2, (width - side) // 2
        square = torch.from_numpy(np.ascontiguousarray(rgb[top : top + side, left : left + side]))
        square = square.permute(2, 0, 1)[None]
        if side != size:
            square = F.interpolate(square, size=(size, size), mode="bicubic", antialias=True)
        resized.append(square)
    batch = torch.cat(resized).float().div_(255.0)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    return batch.sub_(mean_t).div_(std_t)


# -- audio -------------------------------------------------------------------------------


def as_mono(audio: Any) -> np.ndarray:
    """A 1-D float32 waveform: ``[n]`` as it is, ``[n, channels]`` or ``[channels, n]`` averaged."""
    import numpy as np

    array = np.asarray(audio, dtype=np.float32)
    if array.ndim == 2:
        array = array.mean(axis=int(np.argmin(array.shape)))
    if array.ndim != 1:
        raise ValueError(f"expected a mono waveform, got an array of shape {array.shape}")
    return np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)


def resample(audio: Any, from_rate: int, to_rate: int) -> np.ndarray:
    """``audio`` (mono) resampled from ``from_rate`` to ``to_rate`` Hz with a polyphase filter."""
    import math

    import numpy as np

    mono = as_mono(audio)
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} -> {to_rate}")
    if from_rate == to_rate or mono.size == 0:
        return mono
    from scipy.signal import resample_poly

    common = math.gcd(int(from_rate), int(to_rate))
    out = resample_poly(mono, int(to_rate) // common, int(from_rate) // common)
    return np.asarray(out, dtype=np.float32)


class ResamplingMixin:
    """``encode_at(items, rate)`` for audio encoders: resample to ``sample_rate``, then encode."""

    sample_rate: ClassVar[int | None]
    encode: Callable[..., np.ndarray]

    def encode_at(self, items: Sequence[Any], rate: int) -> np.ndarray:
        """Encode waveforms recorded at ``rate`` Hz (resampled to this encoder's rate first)."""
        assert self.sample_rate is not None
        return self.encode(resample(item, rate, self.sample_rate) for item in items)
