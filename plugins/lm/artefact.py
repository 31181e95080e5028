"""What a training run leaves behind, and the loader that rebuilds a model from it.

``RUN/artefact/`` holds:

- ``artefact.json``: format, stage, mode, the base model (:class:`~.modeling.BaseRef`),
  ``base_rows`` (ids below it are the base vocabulary), ``total_rows``, the token grids, a
  checksum of the base's embedding rows (a different base is refused, not silently used);
- ``tokenizer/``: the extended tokenizer with its chat template;
- mode ``rows`` (alignment) and ``lora``: ``new_rows.safetensors`` (``embed`` and, when the
  model does not tie them, ``lm_head``: ``[total_rows - base_rows, hidden]`` each) and, for
  LoRA, ``adapter/`` (peft's ``adapter_model.safetensors`` + ``adapter_config.json``). The
  base model is not copied: the artefact stays small;
- mode ``full``: ``model/``, a complete Hugging Face model folder (weights in safetensors and
  the tokenizer), usable without AutoCut.

The folder is written beside its final place and renamed into it, so a reader never sees half
an artefact. :func:`load` is what the generation side calls.

A plain Hugging Face model folder without ``artefact.json`` (a checkpoint trained elsewhere,
such as the reference's released ``MiltonZ/AutoCut_embsft``, or the ``model/`` of a full
artefact) loads with :func:`load_model_folder`, given the prompt profile it was trained in:
its token grids are read from its vocabulary and checked against that profile.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocut_plugins.lm.modeling import BaseRef, load_model, quiet_transformers

from autocut_core.editing.profiles import Profile
from autocut_core.errors import InputError, MissingWeightsError
from autocut_core.fsutil import atomic_write_text

FORMAT = "autocut-lm"
FORMAT_VERSION = 1
ARTEFACT_DIR = "artefact"
INFO_FILE = "artefact.json"
TOKENIZER_DIR = "tokenizer"
ROWS_FILE = "new_rows.safetensors"
ADAPTER_DIR = "adapter"
MODEL_DIR = "model"
#: ``info["format"]`` of a plain Hugging Face folder loaded without an artefact.json.
MODEL_FOLDER_FORMAT = "hf-folder"
HF_CONFIG = "config.json"


@dataclass
class Loaded:
    """A model rebuilt from an artefact, its tokenizer and the artefact's description."""

    model: Any
    tokenizer: Any
    info: dict[str, Any]
    folder: Path

    @property
    def base_rows(self) -> int:
        return int(self.info["base_rows"])


def artefact_folder(path: Path | str) -> Path:
    """``path`` itself when it holds ``artefact.json``, else ``path/artefact``."""
    path = Path(path).expanduser()
    if (path / INFO_FILE).is_file():
        return path
    return path / ARTEFACT_DIR


def is_model_folder(path: Path | str) -> bool:
    """A Hugging Face model folder that is not an AutoCut artefact (no ``artefact.json``)."""
    path = Path(path).expanduser()
    return (path / HF_CONFIG).is_file() and not (artefact_folder(path) / INFO_FILE).is_file()


def load_model_folder(
    path: Path | str,
    profile: Profile,
    attn_implementation: str | None = "sdpa",
    dtype: Any = None,
) -> Loaded:
    """A Hugging Face causal-LM folder trained in ``profile``'s format, as if an artefact.

    The tokenizer is checked first (:func:`~.vocab.check_profile_vocabulary`), so a folder
    of another vocabulary is refused before gigabytes of weights are read; the grids found
    there become the info's ``video_codes``/``audio_codes``.
    """
    from autocut_plugins.lm.vocab import check_profile_vocabulary
    from transformers import AutoTokenizer

    folder = Path(path).expanduser()
    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(folder)
    except (OSError, ValueError) as error:
        raise MissingWeightsError(f"{folder}: cannot load its tokenizer ({error})") from None
    grids = check_profile_vocabulary(tokenizer, profile, str(folder))
    model = load_model(BaseRef(str(folder), str(folder)), attn_implementation, dtype)
    rows = model.get_input_embeddings().weight.shape[0]
    if rows < len(tokenizer):
        raise InputError(
            f"{folder}: the model has {rows} token rows but its tokenizer {len(tokenizer)} "
            "tokens; they do not belong together"
        )
    model.eval()
    info = {
        "format": MODEL_FOLDER_FORMAT,
        "stage": "sft",
        "mode": "full",
        "base": BaseRef(str(folder), str(folder)).to_data(),
        "profile": profile.name,
        **{key: grid.model_dump() for key, grid in grids.items()},
    }
    return Loaded(model, tokenizer, info, folder)


def read_info(path: Path | str) -> dict[str, Any]:
    folder = artefact_folder(path)
    info_path = folder / INFO_FILE
    if not info_path.is_file():
        if is_model_folder(path):
            raise InputError(
                f"{Path(path)} is a Hugging Face model folder without AutoCut's "
                f"{INFO_FILE}: say which prompt profile it was trained in (backbone option "
                'profile = "reference" for the reference\'s released checkpoint, or '
                '"autocut")'
            )
        raise MissingWeightsError(
            f"No trained model in {Path(path)}: {info_path} does not exist. Train one with "
            "`autocut train align` or `autocut train sft` (a run that stopped early resumes "
            "with --resume)."
        )
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{info_path}: not valid JSON ({error}); the file is damaged") from None
    if info.get("format") != FORMAT or info.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"{info_path}: not an AutoCut lm artefact of version {FORMAT_VERSION} "
            f"(format {info.get('format')!r}, version {info.get('format_version')!r})"
        )
    return info


def embedding_checksum(model: Any, base_rows: int) -> float:
    """Sum of absolute values of the base embedding rows (float64): tells bases apart cheaply."""
    weight = model.get_input_embeddings().weight
    return float(weight[:base_rows].detach().double().abs().sum())


def folder_bytes(folder: Path) -> int:
    return sum(path.stat().st_size for path in Path(folder).rglob("*") if path.is_file())


def write(run_folder: Path, model: Any, tokenizer: Any, info: dict[str, Any]) -> Path:
    """Write ``run_folder/artefact`` for ``info['mode']`` (``model`` as trained); return it.

    ``model`` is the training model: split rows (modes ``rows``/``lora``) or a plain model
    (``full``); for LoRA, the peft model.
    """
    from autocut_plugins.lm.rows import current_new_rows
    from safetensors.torch import save_file

    final = Path(run_folder) / ARTEFACT_DIR
    partial = Path(run_folder) / f".{ARTEFACT_DIR}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    tokenizer.save_pretrained(partial / TOKENIZER_DIR)
    mode = info["mode"]
    if mode in ("rows", "lora"):
        rows = current_new_rows(model, int(info["base_rows"]))
        save_file(rows, str(partial / ROWS_FILE), metadata={"format": FORMAT})
    with quiet_transformers():
        if mode == "lora":
            model.save_pretrained(partial / ADAPTER_DIR, save_embedding_layers=False)
        if mode == "full":
            model.save_pretrained(partial / MODEL_DIR)
            tokenizer.save_pretrained(partial / MODEL_DIR)
    info = {"format": FORMAT, "format_version": FORMAT_VERSION, **info}
    info["bytes"] = folder_bytes(partial)
    atomic_write_text(partial / INFO_FILE, json.dumps(info, indent=2) + "\n")
    if final.exists():
        old = Path(run_folder) / f".{ARTEFACT_DIR}.old"
        shutil.rmtree(old, ignore_errors=True)
        os.replace(final, old)
        os.replace(partial, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(partial, final)
    return final


def load(
    path: Path | str,
    base: str | None = None,
    merge: bool = True,
    attn_implementation: str | None = "sdpa",
    dtype: Any = None,
) -> Loaded:
    """Rebuild the trained model: the base (or ``base``, overriding the recorded one) + artefact.

    ``merge=False`` keeps a LoRA adapter as a peft model (to train it further); the default
    folds it into the weights, which is what generation wants. The model comes back in eval
    mode on the CPU.
    """
    from autocut_plugins.lm.modeling import resolve_base
    from transformers import AutoTokenizer

    folder = artefact_folder(path)
    info = read_info(path)
    mode = info["mode"]
    tokenizer = AutoTokenizer.from_pretrained(folder / TOKENIZER_DIR)
    if mode == "full":
        model = load_model(
            BaseRef(str(folder), str(folder / MODEL_DIR)), attn_implementation, dtype
        )
        model.eval()
        return Loaded(model, tokenizer, info, folder)
    ref = resolve_base(base) if base is not None else BaseRef.from_data(info["base"])
    if base is None and not Path(ref.path).exists() and ref.spec != ref.path:
        ref = resolve_base(ref.spec)  # e.g. the smollm2 alias on another machine
    model = load_model(ref, attn_implementation, dtype)
    base_rows, total_rows = int(info["base_rows"]), int(info["total_rows"])
    check_base(model, base_rows, info, ref)
    if model.get_input_embeddings().weight.shape[0] != total_rows:
        model.resize_token_embeddings(total_rows, mean_resizing=False)
        model.config.vocab_size = total_rows
    from autocut_plugins.lm.rows import load_new_rows
    from safetensors.torch import load_file

    load_new_rows(model, base_rows, load_file(str(folder / ROWS_FILE)))
    if mode == "lora":
        from peft import PeftModel

        with quiet_transformers():
            model = PeftModel.from_pretrained(model, str(folder / ADAPTER_DIR))
        if merge:
            model = model.merge_and_unload()
    model.eval()
    return Loaded(model, tokenizer, info, folder)


def check_base(model: Any, base_rows: int, info: dict[str, Any], ref: BaseRef) -> None:
    """Refuse a base whose vocabulary rows differ from the one the artefact was trained on."""
    rows = model.get_input_embeddings().weight.shape[0]
    if rows < base_rows:
        raise InputError(
            f"Base {ref.describe()} has {rows} token rows; the artefact was trained on a base "
            f"with {base_rows}. Pass the base it was trained on (recorded: "
            f"{info['base'].get('spec')})."
        )
    expected = info.get("base_checksum")
    if expected is not None:
        found = embedding_checksum(model, base_rows)
        if abs(found - expected) > 5e-3 * max(1.0, abs(expected)):  # bf16 loads stay within
            raise InputError(
                f"Base {ref.describe()} is not the model the artefact was trained on (its "
                f"embedding rows differ). Recorded base: {info['base'].get('spec')}."
            )
