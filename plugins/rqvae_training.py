"""The torch side of the ``rqvae`` tokenizer: the model, the training loop and its files.

Imported only when a tokenizer first builds a model or trains (it imports torch and
vector-quantize-pytorch at module level); :mod:`autocut_plugins.rqvae` stays light.

Files (all tensors in safetensors, everything else JSON; nothing is ever unpickled):

``OUT/tokenizer.safetensors``
    The trained model's state dict (with the input mean and scale it standardises with).
``OUT/tokenizer.json``
    Format, modality, token prefix, architecture, the encoder name and dimension the vectors
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


# -- the model ----------------------------------------------------------------------------


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index, (inner, outer) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(inner, outer))
        if index < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class RQVAE(nn.Module):
    """Standardise -> MLP encoder -> LayerNorm -> ResidualVQ (``heads`` codebooks) -> MLP
    decoder -> un-standardise."""

    def __init__(self, arch: Mapping[str, Any]):
        super().__init__()
        self.heads = int(arch["heads"])
        self.codebook_size = int(arch["codebook_size"])
        codebook_dim = int(arch["codebook_dim"])
        self.encoder = nn.Sequential(
            _mlp([int(arch["dim"]), *arch["encoder_hidden"], codebook_dim]),
            # LayerNorm on the encoder output keeps the first head from collapsing onto one
            # code when the encoder's output drifts in scale (ENVIRONMENT.md).
            nn.LayerNorm(codebook_dim),
        )
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
        )
        self.decoder = _mlp([codebook_dim, *arch["decoder_hidden"], int(arch["dim"])])

        # Standardisation of the input, set from the training data by `fit` (identity until
        # then): vectors from one encoder share a large common direction, and the codes
        # should spend their bits on how vectors differ, not on what they all have in common.
        self.register_buffer("input_mean", torch.zeros(int(arch["dim"])))
        self.register_buffer("input_scale", torch.ones(()))

    def standardise_from(self, vectors: np.ndarray) -> None:
        """Centre on the mean of ``vectors`` and scale to unit RMS per dimension.

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
        z = self.encoder((x - self.input_mean) / self.input_scale)
        quantized, codes, commitment = self.quantizer(z[:, None, :])
        return quantized[:, 0], codes[:, 0], commitment

    def _decode(self, quantized: torch.Tensor) -> torch.Tensor:
        return self.decoder(quantized) * self.input_scale + self.input_mean

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
    dim = model.decoder[-1].out_features
    if not out:
        return np.zeros((0, dim), dtype=np.float32)
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


def evaluate(model: RQVAE, vectors: np.ndarray, batch_size: int) -> dict[str, Any]:
    """Mean cosine of the reconstructions, code utilisation and perplexity per head."""
    codes = encode(model, vectors, batch_size)
    decoded = decode(model, codes, batch_size)
    cosine = float(np.mean(np.sum(decoded * vectors, axis=1))) if len(vectors) else None
    utilisation, perplexity = code_usage(codes, model.codebook_size)
    return {"cosine": cosine, "utilisation": utilisation, "perplexity": perplexity}


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
    return _torch.prepare(model)  # type: ignore[return-value]


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
    """One pass over a fresh shuffle of ``train``: (mean 1 - cos, last lr, vectors seen)."""
    device = next(model.parameters()).device
    seed, epochs = int(training["seed"]), int(training["epochs"])
    batch = min(int(training["batch_size"]), len(train))
    steps = max(1, len(train) // batch)  # the remainder is dropped; the next shuffle differs
    lr, min_lr = float(training["lr"]), float(training["min_lr"])
    order = np.random.default_rng([seed, 0, epoch]).permutation(len(train))
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
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        model = RQVAE(arch).to(device)
        optimizer = torch.optim.AdamW(
            model.parameters(),
            lr=float(training["lr"]),
            weight_decay=float(training["weight_decay"]),
        )
        start, history = 0, []
        if resume and resume_path.is_file():
            start, history = _restore(resume_path, run, model, optimizer, device)
        else:
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
    collapsed = [
        head
        for head, share in enumerate(usage["utilisation"])
        if round(share * model.codebook_size) <= 1
    ]
    speeds = [epoch["vectors_per_second"] for epoch in history]
    return {
        "history": history,
        "held_out_cosine": final,
        "utilisation": usage["utilisation"],
        "perplexity": usage["perplexity"],
        "usage_measured_on": usage_on,
        "usage_sample": len(usage_sample),
        "collapsed_heads": collapsed,
        "train_vectors": len(train),
        "held_out_vectors": len(held_out),
        "vectors_per_second": float(np.mean(speeds)) if speeds else None,
        "seconds": float(sum(epoch["seconds"] for epoch in history)),
    }


def _collapse_error(
    report: Mapping[str, Any], codebook_size: int, out_dir: Path
) -> CodebookCollapseError:
    shares = ", ".join(
        f"head {head} uses {round(report['utilisation'][head] * codebook_size)} of "
        f"{codebook_size} codes"
        for head in report["collapsed_heads"]
    )
    on = report["usage_measured_on"].replace("_", "-")
    return CodebookCollapseError(
        f"RQ-VAE training collapsed: {shares} on {report['usage_sample']} {on} vectors, so "
        f"those tokens would carry no information. No tokenizer was written to {out_dir} (the "
        f"report is in {out_dir / REPORT_FILE}). Check that the vectors are not (nearly) all "
        "the same, train on more of them or for more epochs, or start over with another seed "
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
