"""Training checkpoints that resume exactly: safetensors for tensors, JSON for the rest.

``RUN/checkpoints/step-000120/`` holds

- ``params.safetensors``: the trainable parameters by name (new rows, LoRA, or everything);
- ``optimizer.safetensors`` + ``optimizer.json``: AdamW's moments and step counts, and its
  parameter groups;
- ``rng-<rank>.safetensors`` + ``rng-<rank>.json``: every process's torch (CPU and CUDA),
  Python and NumPy random states (dropout draws from them);
- ``state.json`` (written last): the optimizer step, the epoch and the step inside it (the
  data position: the order of each epoch is a seeded permutation, see :mod:`.data`), the
  process count, the run's config fingerprint and the data files' digests.

Nothing is pickled. Each checkpoint is written under a ``.partial`` name and renamed when
complete, so the newest complete one is always usable after a crash. The learning rate needs
no state: it is a function of the step.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_write_text

CHECKPOINTS = "checkpoints"
STATE_FILE = "state.json"


def folder_for(run: Path, step: int) -> Path:
    return Path(run) / CHECKPOINTS / f"step-{step:06d}"


def partial_for(run: Path, step: int) -> Path:
    return Path(run) / CHECKPOINTS / f".step-{step:06d}.partial"


def latest(run: Path) -> Path | None:
    """The newest complete checkpoint of ``run`` (None when there is none)."""
    root = Path(run) / CHECKPOINTS
    complete = sorted(path for path in root.glob("step-*") if (path / STATE_FILE).is_file())
    return complete[-1] if complete else None


def prune(run: Path, keep: int) -> None:
    """Delete all but the newest ``keep`` complete checkpoints, and partial ones a crash left."""
    root = Path(run) / CHECKPOINTS
    complete = sorted(path for path in root.glob("step-*") if (path / STATE_FILE).is_file())
    for path in complete[: max(0, len(complete) - keep)]:
        shutil.rmtree(path, ignore_errors=True)
    for path in root.glob(".step-*.partial"):  # left by a crash; nothing writes them now
        shutil.rmtree(path, ignore_errors=True)


def _json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: cannot read the checkpoint file ({error})") from None


# -- parameters and optimizer -------------------------------------------------------------


def save_params(folder: Path, named: dict[str, Any]) -> None:
    from safetensors.torch import save_file

    tensors = {name: tensor.detach().cpu().contiguous() for name, tensor in named.items()}
    save_file(tensors, str(folder / "params.safetensors"))


def load_params(folder: Path, model: Any) -> None:
    """Copy the stored trainable parameters into ``model`` (names must match exactly)."""
    import torch
    from safetensors.torch import load_file

    stored = load_file(str(folder / "params.safetensors"))
    parameters = dict(model.named_parameters())
    wanted = {name for name, parameter in parameters.items() if parameter.requires_grad}
    if set(stored) != wanted:
        missing, extra = sorted(wanted - set(stored)), sorted(set(stored) - wanted)
        raise InputError(
            f"{folder}: the checkpoint does not fit this model (missing {missing[:3]}, "
            f"unexpected {extra[:3]}); was the run's configuration changed?"
        )
    with torch.no_grad():
        for name, tensor in stored.items():
            parameters[name].copy_(tensor)


def save_optimizer(folder: Path, optimizer: Any) -> None:
    import torch
    from safetensors.torch import save_file

    state = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if torch.is_tensor(value):
                tensors[f"{index}.{key}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{index}.{key}"] = value
    save_file(tensors, str(folder / "optimizer.safetensors"))
    _json(folder / "optimizer.json", {"param_groups": state["param_groups"], "scalars": scalars})


def load_optimizer(folder: Path, optimizer: Any) -> None:
    from safetensors.torch import load_file

    tensors = load_file(str(folder / "optimizer.safetensors"))
    meta = _read_json(folder / "optimizer.json")
    state: dict[int, dict[str, Any]] = {}
    for name, value in [*tensors.items(), *meta["scalars"].items()]:
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = value
    groups = meta["param_groups"]
    for group in groups:
        if isinstance(group.get("betas"), list):
            group["betas"] = tuple(group["betas"])
    optimizer.load_state_dict({"state": state, "param_groups": groups})


# -- random states ------------------------------------------------------------------------


def save_rng(folder: Path, rank: int) -> None:
    import numpy as np
    import torch
    from safetensors.torch import save_file

    tensors = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        for index, state in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"cuda.{index}"] = state
    save_file(tensors, str(folder / f"rng-{rank}.safetensors"))
    version, internal, gauss = random.getstate()
    legacy = np.random.get_state(legacy=True)
    if not isinstance(legacy, tuple):  # only a non-MT19937 generator gives a dict
        raise TypeError(f"numpy's global generator is not MT19937: {legacy.get('bit_generator')}")
    kind, keys, position, has_gauss, cached = legacy
    _json(
        folder / f"rng-{rank}.json",
        {
            "python": [version, list(internal), gauss],
            "numpy": [kind, keys.tolist(), position, has_gauss, cached],
        },
    )


def load_rng(folder: Path, rank: int) -> None:
    import numpy as np
    import torch
    from safetensors.torch import load_file

    tensors = load_file(str(folder / f"rng-{rank}.safetensors"))
    torch.set_rng_state(tensors["torch"])
    cuda = [tensors[f"cuda.{i}"] for i in range(len(tensors) - 1) if f"cuda.{i}" in tensors]
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)
    meta = _read_json(folder / f"rng-{rank}.json")
    version, internal, gauss = meta["python"]
    random.setstate((version, tuple(internal), gauss))
    kind, keys, position, has_gauss, cached = meta["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))


# -- whole checkpoints --------------------------------------------------------------------


def read_state(folder: Path) -> dict[str, Any]:
    return _read_json(Path(folder) / STATE_FILE)


def write_state(folder: Path, state: dict[str, Any]) -> None:
    _json(folder / STATE_FILE, state)


def check_compatible(folder: Path, state: dict[str, Any], expected: dict[str, Any]) -> None:
    """Refuse to resume when the configuration, the data or the process count changed."""
    for key in ("fingerprint", "data", "world_size"):
        if state.get(key) != expected.get(key):
            changed = key
            if key == "fingerprint":
                old, new = state.get(key) or {}, expected[key]
                changed = ", ".join(sorted(k for k in new if old.get(k) != new.get(k))) or key
            raise InputError(
                f"Cannot resume from {folder}: {changed} changed since it was written. Resume "
                "with the same options, data and number of processes, or start a new run "
                "in another folder."
            )
