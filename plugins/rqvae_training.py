"""The torch side of the ``rqvae`` tokenizer: the model, the training loop and its files.

Imported only when a tokenizer first builds a model or trains (it imports torch and
vector-quantize-pytorch at module level); :mod:`autocut_plugins.rqvae` stays light.

Files (all tensors in safetensors, everything else JSON; nothing is ever unpickled):

``OUT/tokenizer.safetensors``
    The trained model's state dict (``autocut`` preset: with the input mean and scale it
    standardises with; ``reference``: the reference implementation's keys).
``OUT/tokenizer.json``
    Format, modality, token prefix, architecture (its ``preset`` included; a file without
    one is an ``autocut`` tokenizer), the encoder name and dimension the vectors
    came from, the SHA-256 of the weights file (a truncated or swapped file is refused on
    load), the training options and the training report.
``OUT/resume.safetensors``
    The state after the last completed epoch: model, AdamW moments, the torch RNG state, and
    as JSON metadata the epoch, history and run fingerprint. Written atomically every epoch;
    a re-run with ``resume=True`` continues after that epoch and ends bit-identical (on the
    CPU) to an uninterrupted run.
``OUT/training_report.json``
    The report so far, rewritten every epoch, for people watching a run (never read back).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Callable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from autocut_plugins import _torch
from autocut_plugins.rqvae_files import (
    CONFIG_FILE,
    FORMAT,
    FORMAT_VERSION,
    LEGACY_PRESET,
    PRESETS,
    WEIGHTS_FILE,
    CodebookCollapseError,
)
from torch import nn
from vector_quantize_pytorch import ResidualVQ

from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_path, atomic_write_text

RESUME_FORMAT = "autocut-rqvae-resume"
RESUME_FILE = "resume.safetensors"
REPORT_FILE = "training_report.json"
#: Fewer held-out vectors than this and code usage is measured on training vectors instead.
MIN_USAGE_SAMPLE = 32
#: What each preset changes in training besides the modules: AdamW's betas (the reference's
#: (0.9, 0.98); torch's default (0.9, 0.999) for ``autocut``) and whether batches are shuffled.
PRESET_TRAINING: dict[str, dict[str, Any]] = {
    "reference": {"betas": (0.9, 0.98), "shuffle": False},
    "autocut": {"betas": (0.9, 0.999), "shuffle": True},
}

# The collapse guard (see `refuse_near_constant` and `_guard`). Thresholds, with what they
# were measured against (bench/bench_rqvae_presets.py and tests/tokens/test_rqvae_guard.py):
#: Training vectors whose spread (1 - |mean|^2 of the unit vectors) is below this are refused
#: before training. Lowest spread of real vectors measured: 'histogram' frames of a static
#: surveillance shot (opencv-doc vtest.avi, 1 fps) 5.4e-3, its 'efficientnet' frames 9.5e-2;
#: a constant vector plus 1e-6 Gaussian noise per dimension (which the old guard accepted
#: with 88-100 % of codes "used") has ~1e-10. The threshold sits ~500x below the first and
#: ~1e5x above the second.
MIN_SPREAD = 1e-5
#: A head whose perplexity on the usage sample is below this sends nearly every vector to one
#: code (95 % on one code of two is 1.22): its tokens carry ~0.3 bits or less.
MIN_PERPLEXITY = 1.25
#: ...but such a head is only *collapsed* when the heads before it left more than this share
#: of the vectors' own variation unexplained; below it the head is idle (the first heads
#: already reproduce the vectors: a corpus with a handful of vectors), which is reported.
IDLE_UNEXPLAINED = 0.05


# -- the model ----------------------------------------------------------------------------


def _mlp(sizes: list[int]) -> nn.Sequential:
    """The ``autocut`` preset's MLP: Linear layers with ReLU between them."""
    layers: list[nn.Module] = []
    for index, (inner, outer) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(inner, outer))
        if index < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class ReferenceMLP(nn.Module):
    """The ``reference`` preset's MLP: Linear -> GELU -> BatchNorm1d per hidden layer, then a
    Linear output layer, held as ``net`` so its state dict has the reference's keys
    (``encoder.net.0.weight``, ...) and the reference's trained weights fit it unchanged."""

    def __init__(self, sizes: list[int]):
        super().__init__()
        layers: list[nn.Module] = []
        for inner, outer in itertools.pairwise(sizes[:-1]):
            layers += [nn.Linear(inner, outer), nn.GELU(), nn.BatchNorm1d(outer)]
        layers.append(nn.Linear(sizes[-2], sizes[-1]))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class RQVAE(nn.Module):
    """MLP encoder -> ResidualVQ (``heads`` codebooks) -> MLP decoder, in one of two presets.

    ``reference``: the reference's modules (:class:`ReferenceMLP`, cosine-similarity codebook
    lookup; the decoder's hidden widths are read from the output side, as the reference reads
    ``decoder_mlp_size``, so Table 3's audio [512, 1024] is 256 -> 1024 -> 512 -> 2048).
    ``autocut``: standardise -> ReLU MLP -> LayerNorm -> Euclidean ResidualVQ -> ReLU MLP ->
    un-standardise (the layout of every tokenizer written before presets were recorded).
    """

    def __init__(self, arch: Mapping[str, Any]):
        super().__init__()
        self.preset = str(arch.get("preset", LEGACY_PRESET))
        if self.preset not in PRESETS:
            raise InputError(f"unknown RQ-VAE preset {self.preset!r} (known: {', '.join(PRESETS)})")
        self.heads = int(arch["heads"])
        self.codebook_size = int(arch["codebook_size"])
        self.dim = int(arch["dim"])
        codebook_dim = int(arch["codebook_dim"])
        encoder_sizes = [self.dim, *arch["encoder_hidden"], codebook_dim]
        reference = self.preset == "reference"
        if reference:
            self.encoder: nn.Module = ReferenceMLP(encoder_sizes)
            self.decoder: nn.Module = ReferenceMLP(
                [codebook_dim, *reversed(arch["decoder_hidden"]), self.dim]
            )
        else:
            self.encoder = nn.Sequential(
                _mlp(encoder_sizes),
                # LayerNorm on the encoder output keeps the first head from collapsing onto
                # one code when the encoder's output drifts in scale (ENVIRONMENT.md).
                nn.LayerNorm(codebook_dim),
            )
            self.decoder = _mlp([codebook_dim, *arch["decoder_hidden"], self.dim])
        self.quantizer = ResidualVQ(
            dim=codebook_dim,
            num_quantizers=self.heads,
            codebook_size=self.codebook_size,
            shared_codebook=False,
            kmeans_init=bool(arch["kmeans_init"]),
            kmeans_iters=int(arch["kmeans_iters"]),
            decay=float(arch["ema_decay"]),
            threshold_ema_dead_code=float(arch["dead_code_threshold"]),
            commitment_weight=float(arch["commitment_weight"]),
            use_cosine_sim=reference,
        )
        self.standardises = not reference
        self.input_mean: torch.Tensor  # buffers: typed here, as register_buffer cannot
        self.input_scale: torch.Tensor
        if self.standardises:
            # Standardisation of the input, set from the training data by `fit` (identity
            # until then): vectors from one encoder share a large common direction, and the
            # codes should spend their bits on how vectors differ, not on what they all share.
            self.register_buffer("input_mean", torch.zeros(self.dim))
            self.register_buffer("input_scale", torch.ones(()))

    def standardise_from(self, vectors: np.ndarray) -> None:
        """Centre on the mean of ``vectors`` and scale to unit RMS per dimension (``autocut``).

        Measured on 'histogram' frame vectors (whose nearest neighbours have cosine 0.998):
        after 25 steps the held-out cosine was 0.79 without this, 0.80 scaling the centred
        vectors to unit length and 0.90 with unit RMS per dimension; on isotropic synthetic
        clusters all three end within 0.015 of each other.
        """
        count, dim = vectors.shape
        mean = vectors.mean(axis=0, dtype=np.float64)
        squares = sum(  # in chunks: no centred copy of a large training set
            float(np.square(vectors[start : start + 65536], dtype=np.float64).sum())
            for start in range(0, count, 65536)
        )
        variance = max(squares / (count * dim) - float(np.square(mean).sum()) / dim, 0.0)
        self.input_mean.copy_(torch.from_numpy(mean.astype(np.float32)))
        self.input_scale.fill_(max(math.sqrt(variance), 1e-8))

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        if self.standardises:
            x = (x - self.input_mean) / self.input_scale
        quantized, codes, commitment = self.quantizer(self.encoder(x)[:, None, :])
        return quantized[:, 0], codes[:, 0], commitment

    def _decode(self, quantized: torch.Tensor) -> torch.Tensor:
        decoded = self.decoder(quantized)
        if self.standardises:
            decoded = decoded * self.input_scale + self.input_mean
        return decoded

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction ``[n, dim]``, codes ``[n, heads]``, weighted commitment losses."""
        quantized, codes, commitment = self._encode(x)
        return self._decode(quantized), codes, commitment

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self._encode(x)[1]

    def decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self._decode(self.quantizer.get_output_from_indices(codes[:, None, :])[:, 0])


def build(arch: Mapping[str, Any], seed: int) -> RQVAE:
    """A freshly initialised model, the same for the same ``seed`` (global RNG left alone)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return RQVAE(arch)


def _state_tensors(module: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().contiguous().clone() for k, v in module.state_dict().items()}


# -- inference ----------------------------------------------------------------------------


def encode(model: RQVAE, vectors: np.ndarray, batch_size: int) -> np.ndarray:
    """``[n, dim]`` (already L2-normalised float32) to ``[n, heads]`` int64 codes."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    with torch.inference_mode():
        for start in range(0, len(vectors), batch_size):
            chunk = torch.from_numpy(vectors[start : start + batch_size]).to(device)
            out.append(model.encode(chunk).cpu())
    if not out:
        return np.zeros((0, model.heads), dtype=np.int64)
    return torch.cat(out).numpy().astype(np.int64)


def decode(model: RQVAE, codes: np.ndarray, batch_size: int) -> np.ndarray:
    """``[n, heads]`` int64 codes to ``[n, dim]`` L2-normalised float32 vectors."""
    model.eval()
    device = next(model.parameters()).device
    out = []
    with torch.inference_mode():
        for start in range(0, len(codes), batch_size):
            chunk = torch.from_numpy(codes[start : start + batch_size]).to(device)
            out.append(model.decode(chunk).float().cpu())
    if not out:
        return np.zeros((0, model.dim), dtype=np.float32)
    return _torch.l2_normalize(torch.cat(out).numpy())


def code_usage(codes: np.ndarray, codebook_size: int) -> tuple[list[float], list[float]]:
    """Per head: share of the codebook used, and perplexity (exp of the code entropy)."""
    utilisation, perplexity = [], []
    for head in range(codes.shape[1]):
        counts = np.bincount(codes[:, head], minlength=codebook_size)
        used = counts[counts > 0] / max(1, len(codes))
        utilisation.append(float((counts > 0).sum() / codebook_size))
        perplexity.append(float(np.exp(-(used * np.log(used)).sum())) if len(used) else 0.0)
    return utilisation, perplexity


def spread(vectors: np.ndarray) -> float:
    """The total variance of unit vectors, ``1 - |mean|^2`` (0: all the same; ~1: no shared
    direction): the yardstick every other measure of the guard is judged against."""
    if not len(vectors):
        return 0.0
    mean = vectors.mean(axis=0, dtype=np.float64)
    return float(max(0.0, 1.0 - mean @ mean))


def evaluate(model: RQVAE, vectors: np.ndarray, batch_size: int) -> dict[str, Any]:
    """Mean cosine of the reconstructions, code utilisation and perplexity per head."""
    codes = encode(model, vectors, batch_size)
    decoded = decode(model, codes, batch_size)
    cosine = float(np.mean(np.sum(decoded * vectors, axis=1))) if len(vectors) else None
    utilisation, perplexity = code_usage(codes, model.codebook_size)
    return {"cosine": cosine, "utilisation": utilisation, "perplexity": perplexity}


def information(model: RQVAE, vectors: np.ndarray, batch_size: int) -> dict[str, Any]:
    """How much of the vectors' own variation the codes carry, head by head.

    ``unexplained[h]`` is the variation the first ``h`` heads leave unresolved: group the
    vectors by their first ``h`` codes and divide the spread within the groups by the spread
    of all of them (1 for ``h`` = 0; 0 once every group holds copies of one vector). It needs
    no decoding, so it means the same for both presets. ``explained`` compares the full
    reconstruction with the best single vector (the mean direction): ``1 - (1 - cos) / (1 -
    |mean|)``, 0 when the tokens say no more than "a typical vector". ``entropy_bits`` per
    head is the information its code choice carries (log2 of the perplexity).
    """
    codes = encode(model, vectors, batch_size)
    data = vectors.astype(np.float64)
    total = float(np.square(data - data.mean(axis=0)).sum())
    unexplained = []
    for heads in range(model.heads + 1):
        _, groups = np.unique(codes[:, :heads], axis=0, return_inverse=True)
        groups = groups.reshape(-1)
        sums = np.zeros((int(groups.max()) + 1 if len(groups) else 0, data.shape[1]))
        np.add.at(sums, groups, data)
        counts = np.bincount(groups, minlength=len(sums))[:, None]
        within = float(np.square(data).sum() - (np.square(sums) / np.maximum(counts, 1)).sum())
        unexplained.append(max(within, 0.0) / total if total > 0 else 0.0)
    decoded = decode(model, codes, batch_size)
    cosine = float(np.mean(np.sum(decoded * data, axis=1))) if len(data) else 1.0
    baseline = 1.0 - float(np.linalg.norm(data.mean(axis=0))) if len(data) else 0.0
    _, perplexity = code_usage(codes, model.codebook_size)
    return {
        "spread": spread(vectors),
        "unexplained": unexplained,
        "explained": 1.0 - (1.0 - cosine) / baseline if baseline > 0 else 0.0,
        "entropy_bits": [float(np.log2(p)) if p > 0 else 0.0 for p in perplexity],
    }


# -- files --------------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    versions = {}
    for package in ("torch", "vector-quantize-pytorch"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:  # pragma: no cover - both are imported above
            versions[package] = "unknown"
    return versions


def load_model(folder: Path, config: Mapping[str, Any], how_to_get: str) -> RQVAE:
    """The model whose weights lie in ``folder`` (checked against the config's SHA-256)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = _torch.require_file(Path(folder) / WEIGHTS_FILE, "tokenizer weights", how_to_get)
    expected = config["weights"].get("sha256")
    if expected and sha256_file(path) != expected:
        raise InputError(
            f"{path}: does not match {CONFIG_FILE} (SHA-256 differs): the file is truncated, "
            f"damaged or from another training run. {how_to_get}"
        )
    try:
        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as error:
        raise InputError(f"{path}: cannot be read as safetensors ({error}). {how_to_get}") from None
    model = build(config, seed=_torch.RANDOM_INIT_SEED)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise InputError(
            f"{path}: does not fit the architecture in {CONFIG_FILE}: {error}"
        ) from None
    return _torch.prepare(model)


# -- training -----------------------------------------------------------------------------


def _cosine_lr(step: int, total: int, lr: float, min_lr: float) -> float:
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * step / max(1, total)))


def _fingerprint(*arrays: np.ndarray) -> str:
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(str(array.shape).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:32]


def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], Any]:
    state = optimizer.state_dict()
    tensors = {}
    for index, values in state["state"].items():
        for key, value in values.items():
            tensors[f"optimizer.{index}.{key}"] = value.detach().cpu().contiguous().clone()
    return tensors, state["param_groups"]


def _restore_optimizer(
    optimizer: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor], groups: Any
) -> None:
    state: dict[int, dict[str, torch.Tensor]] = {}
    for name, value in tensors.items():
        _, index, key = name.split(".", 2)
        state.setdefault(int(index), {})[key] = value
    for group in groups:
        if "betas" in group:
            group["betas"] = tuple(group["betas"])
    optimizer.load_state_dict({"state": state, "param_groups": groups})


def _save_resume(
    path: Path,
    model: RQVAE,
    optimizer: torch.optim.Optimizer,
    run: Mapping[str, Any],
    epochs_done: int,
    history: list[dict[str, Any]],
) -> None:
    from safetensors.torch import save_file

    tensors = {f"model.{k}": v for k, v in _state_tensors(model).items()}
    optimizer_tensors, groups = _optimizer_tensors(optimizer)
    tensors.update(optimizer_tensors)
    tensors["rng.cpu"] = torch.get_rng_state()
    if torch.cuda.is_available():
        tensors["rng.cuda"] = torch.cuda.get_rng_state()
    state = {"run": run, "epochs_done": epochs_done, "history": history, "param_groups": groups}
    with atomic_path(path) as temporary:
        save_file(
            tensors, str(temporary), metadata={"format": RESUME_FORMAT, "state": json.dumps(state)}
        )


def _flat(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (to name what changed between two runs)."""
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _load_resume(path: Path, run: Mapping[str, Any]) -> tuple[dict[str, torch.Tensor], dict]:
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    fix = f"Delete {path} or train with resume=False (`autocut tokenizer train --fresh`)."
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
        tensors = load_file(str(path), device="cpu")
        state = json.loads(meta["state"])
    except (SafetensorError, OSError, ValueError, KeyError) as error:
        raise InputError(f"{path}: the resume state is damaged ({error}). {fix}") from None
    if meta.get("format") != RESUME_FORMAT:
        raise InputError(f"{path}: not an AutoCut RQ-VAE resume state. {fix}")
    saved, wanted = _flat(state.get("run", {})), _flat(json.loads(json.dumps(run)))
    if saved != wanted:
        changes = [
            f"{key} {saved.get(key, '(none)')} -> {wanted.get(key, '(none)')}"
            for key in sorted(set(saved) | set(wanted))
            if saved.get(key) != wanted.get(key)
        ]
        raise InputError(
            f"{path}: holds a run with other options or data ({'; '.join(changes)}), so it "
            f"cannot be continued. {fix}"
        )
    return tensors, state


def _samples(
    train: np.ndarray, held_out: np.ndarray, size: int, seed: int
) -> tuple[np.ndarray, np.ndarray, str]:
    """What every epoch is scored on: up to ``size`` held-out vectors (cosine), and the
    vectors code use is measured on: the same, or training vectors if fewer than
    ``MIN_USAGE_SAMPLE`` are held out (one vector uses one code per head, collapsed or not)."""

    def sample(pool: np.ndarray) -> np.ndarray:
        rows = np.sort(np.random.default_rng([seed, 1]).permutation(len(pool))[:size])
        return np.ascontiguousarray(pool[rows])

    held = sample(held_out)
    if len(held_out) >= MIN_USAGE_SAMPLE:
        return held, held, "held_out"
    return held, sample(train), "train"


def refuse_near_constant(train: np.ndarray, out_dir: Path) -> None:
    """Refuse, before any training, vectors that hardly differ: their codes would encode noise.

    Code use alone cannot show this: standardising (or any scale-free quantizer) blows tiny
    differences up to unit size, and 1e-6 noise then spreads over every code.
    """
    measured = spread(train)
    if measured < MIN_SPREAD:
        raise CodebookCollapseError(
            f"RQ-VAE training refused: the {len(train)} training vectors are (nearly) all the "
            f"same: their spread (1 - |mean|^2 of the unit vectors) is {measured:.2g}, below "
            f"{MIN_SPREAD:g}, so they differ only by noise and any codes learnt from them "
            f"would mean nothing. No tokenizer was written to {out_dir}. Check that the "
            "encoder sees varied footage or music (not one still image, a blank video or one "
            "track repeated), or train on more material."
        )


def _score(
    model: RQVAE, held: np.ndarray, usage_sample: np.ndarray, batch_size: int
) -> dict[str, Any]:
    usage = evaluate(model, usage_sample, batch_size)
    if held is usage_sample:
        cosine = usage["cosine"]
    else:
        cosine = evaluate(model, held, batch_size)["cosine"] if len(held) else None
    return {**usage, "cosine": cosine}


def _train_epoch(
    model: RQVAE,
    optimizer: torch.optim.Optimizer,
    train: np.ndarray,
    training: Mapping[str, Any],
    epoch: int,
) -> tuple[float, float, int]:
    """One pass over ``train``: (mean 1 - cos, last lr, vectors seen).

    ``autocut`` batches a fresh shuffle every epoch; ``reference`` takes the vectors in data
    order, as the reference's DataLoader does (no sampler, ``drop_last``). Either way the
    remainder after the last full batch is dropped.
    """
    device = next(model.parameters()).device
    seed, epochs = int(training["seed"]), int(training["epochs"])
    batch = min(int(training["batch_size"]), len(train))
    steps = max(1, len(train) // batch)
    lr, min_lr = float(training["lr"]), float(training["min_lr"])
    if PRESET_TRAINING[model.preset]["shuffle"]:
        order = np.random.default_rng([seed, 0, epoch]).permutation(len(train))
    else:
        order = np.arange(len(train))
    model.train()
    losses, learning_rate = [], lr
    for step in range(steps):
        learning_rate = _cosine_lr(epoch * steps + step, epochs * steps, lr, min_lr)
        for group in optimizer.param_groups:
            group["lr"] = learning_rate
        x = torch.from_numpy(train[np.sort(order[step * batch : (step + 1) * batch])]).to(device)
        reconstructed, _, commitment = model(x)
        reconstruction = 1.0 - F.cosine_similarity(reconstructed, x, dim=-1).mean()
        loss = reconstruction + commitment.sum()  # the quantizer already weighted commitment
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(float(reconstruction.detach()))
    return float(np.mean(losses)), learning_rate, steps * batch


def fit(
    arch: dict[str, Any],
    training: Mapping[str, Any],
    train: np.ndarray,
    held_out: np.ndarray,
    out_dir: Path,
    *,
    header: Mapping[str, Any],
    progress: Callable[[dict[str, Any]], None] | None = None,
    resume: bool = True,
) -> tuple[RQVAE, dict[str, Any], dict[str, Any]]:
    """Train, write the tokenizer files into ``out_dir``; returns (model, config, report).

    ``train`` and ``held_out`` are L2-normalised float32 ``[n, dim]``; ``header`` holds the
    config entries that are not architecture (tokenizer name, modality, prefix, encoder).
    Training runs under a forked torch RNG seeded with ``training["seed"]``; the shuffles
    come from numpy generators seeded with (seed, epoch), so they need no saved state.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    device = _torch.device()
    seed = int(training["seed"])
    held_sample, usage_sample, usage_on = _samples(
        train, held_out, int(training["usage_sample"]), seed
    )
    run = json.loads(json.dumps({
        "architecture": arch,
        "training": dict(training),
        "encoder": header["encoder"],
        "data": {"train": list(train.shape), "held_out": list(held_out.shape),
                 "sha256": _fingerprint(train, held_out)},
    }))  # fmt: skip
    resume_path = out_dir / RESUME_FILE
    refuse_near_constant(train, out_dir)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        model = RQVAE(arch).to(device)
        optimizer = torch.optim.AdamW(
            model.parameters(),
            lr=float(training["lr"]),
            betas=PRESET_TRAINING[model.preset]["betas"],
            weight_decay=float(training["weight_decay"]),
        )
        start = 0
        history: list[dict[str, Any]] = []
        if resume and resume_path.is_file():
            start, history = _restore(resume_path, run, model, optimizer, device)
        elif model.standardises:
            model.standardise_from(train)
        for epoch in range(start, int(training["epochs"])):
            started = time.perf_counter()
            loss, learning_rate, seen = _train_epoch(model, optimizer, train, training, epoch)
            train_seconds = time.perf_counter() - started
            metrics = _score(model, held_sample, usage_sample, int(training["batch_size"]))
            record = {
                "epoch": epoch + 1,
                "epochs": int(training["epochs"]),
                "loss": loss,
                "held_out_cosine": metrics["cosine"],
                "utilisation": metrics["utilisation"],
                "perplexity": metrics["perplexity"],
                "lr": learning_rate,
                "seconds": time.perf_counter() - started,
                "vectors_per_second": seen / max(train_seconds, 1e-9),
            }
            history.append(record)
            _save_resume(resume_path, model, optimizer, run, epoch + 1, history)
            atomic_write_text(
                out_dir / REPORT_FILE, json.dumps({"history": history}, indent=2) + "\n"
            )
            if progress is not None:
                progress(dict(record))
    model.eval()
    report = _final_report(model, history, train, held_out, usage_sample, usage_on, training)
    atomic_write_text(out_dir / REPORT_FILE, json.dumps(report, indent=2) + "\n")
    if report["collapsed_heads"]:
        raise _collapse_error(report, model.codebook_size, out_dir)
    config = _write_tokenizer(out_dir, model, arch, training, header, report)
    return model, config, report


def _restore(
    path: Path,
    run: Mapping[str, Any],
    model: RQVAE,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
) -> tuple[int, list[dict[str, Any]]]:
    """Load the resume state into ``model``, ``optimizer`` and the torch RNG."""
    tensors, state = _load_resume(path, run)
    model.load_state_dict(
        {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    )
    _restore_optimizer(
        optimizer,
        {k: v for k, v in tensors.items() if k.startswith("optimizer.")},
        state["param_groups"],
    )
    torch.set_rng_state(tensors["rng.cpu"])
    if "rng.cuda" in tensors and device.type == "cuda":
        torch.cuda.set_rng_state(tensors["rng.cuda"])
    return int(state["epochs_done"]), list(state["history"])


def _final_report(
    model: RQVAE,
    history: list[dict[str, Any]],
    train: np.ndarray,
    held_out: np.ndarray,
    usage_sample: np.ndarray,
    usage_on: str,
    training: Mapping[str, Any],
) -> dict[str, Any]:
    batch_size = int(training["batch_size"])
    final = evaluate(model, held_out, batch_size)["cosine"] if len(held_out) else None
    usage = evaluate(model, usage_sample, batch_size)
    info = information(model, usage_sample, batch_size)
    collapsed, idle = _guard(usage["perplexity"], info["unexplained"])
    speeds = [epoch["vectors_per_second"] for epoch in history]
    return {
        "history": history,
        "preset": model.preset,
        "held_out_cosine": final,
        "utilisation": usage["utilisation"],
        "perplexity": usage["perplexity"],
        "entropy_bits": info["entropy_bits"],
        "spread": info["spread"],
        "train_spread": spread(train),
        "unexplained": info["unexplained"],
        "explained": info["explained"],
        "usage_measured_on": usage_on,
        "usage_sample": len(usage_sample),
        "collapsed_heads": collapsed,
        "idle_heads": idle,
        "train_vectors": len(train),
        "held_out_vectors": len(held_out),
        "vectors_per_second": float(np.mean(speeds)) if speeds else None,
        "seconds": float(sum(epoch["seconds"] for epoch in history)),
    }


def _guard(perplexity: list[float], unexplained: list[float]) -> tuple[list[int], list[int]]:
    """(collapsed heads, idle heads): heads at one code with / without variation left to code.

    ``unexplained[h]`` is what the heads before head ``h`` left of the vectors' variation.
    """
    collapsed: list[int] = []
    idle: list[int] = []
    for head, value in enumerate(perplexity):
        if value < MIN_PERPLEXITY:
            (collapsed if unexplained[head] > IDLE_UNEXPLAINED else idle).append(head)
    return collapsed, idle


def _collapse_error(
    report: Mapping[str, Any], codebook_size: int, out_dir: Path
) -> CodebookCollapseError:
    heads = report["collapsed_heads"]
    used = max(round(report["utilisation"][head] * codebook_size) for head in heads)
    which = f"heads {', '.join(map(str, heads))}" if len(heads) > 1 else f"head {heads[0]}"
    on = report["usage_measured_on"].replace("_", "-")
    return CodebookCollapseError(
        f"RQ-VAE training collapsed: {which} of {len(report['perplexity'])} send nearly every "
        f"one of {report['usage_sample']} {on} vectors to one code (at most {used} of "
        f"{codebook_size} codes seen, perplexity "
        f"{max(report['perplexity'][head] for head in heads):.2f} at most, below "
        f"{MIN_PERPLEXITY}) while {report['unexplained'][heads[0]]:.0%} of the vectors' "
        f"variation was still left to code, so those tokens would carry no information. No "
        f"tokenizer was written to {out_dir} (the report is in {out_dir / REPORT_FILE}). "
        "Train on more vectors or for more epochs, or start over with another seed "
        "(resume=False / `autocut tokenizer train --fresh`)."
    )


def _write_tokenizer(
    out_dir: Path,
    model: RQVAE,
    arch: Mapping[str, Any],
    training: Mapping[str, Any],
    header: Mapping[str, Any],
    report: Mapping[str, Any],
) -> dict[str, Any]:
    """``tokenizer.safetensors`` then ``tokenizer.json``, each replaced atomically.

    The config names the weights' SHA-256, so a reader that catches the moment between the
    two replacements (or a later truncation) gets a clear error, never mismatched weights.
    """
    from safetensors.torch import save_file

    weights = out_dir / WEIGHTS_FILE
    with atomic_path(weights) as temporary:
        save_file(_state_tensors(model), str(temporary), metadata={"format": FORMAT})
    config = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **header,
        **arch,
        "weights": {"file": WEIGHTS_FILE, "sha256": sha256_file(weights)},
        "training": dict(training),
        "report": dict(report),
        "libraries": _library_versions(),
    }
    atomic_write_text(out_dir / CONFIG_FILE, json.dumps(config, indent=2) + "\n")
    return config
