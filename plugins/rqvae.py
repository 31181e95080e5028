"""``rqvae`` and ``rqvae-audio``: residual-quantised autoencoders that turn vectors into tokens.

Paper §3.3 and Table 3: an MLP encoder, a residual vector quantizer of 8 heads x 256 codes
(vector-quantize-pytorch's ``ResidualVQ``: k-means initialised codebooks updated by EMA, dead
codes replaced by batch samples), an MLP decoder, trained with the cosine reconstruction loss
``1 - cos(f, f')`` by AdamW (lr 1e-3 cosine-decayed to 2e-5 per step, no warm-up, weight decay
1e-4, batch 8192, commitment weight 0). Video: 128-D input, hidden [512, 512], codebook dim
128, 20 epochs; audio: 2048-D input, encoder [1024, 512], decoder [512, 1024], codebook dim
256, 50 epochs. ``rqvae`` writes video tokens ``<v_h_c>``, ``rqvae-audio`` audio tokens
``<a_h_c>``.

Two presets (the ``preset`` option; a checkpoint records its own). ``reference``, the default,
is the public reference implementation's design, so its trained weights and ours are
interchangeable: cosine-similarity codebook lookup, Linear-GELU-BatchNorm MLPs (the decoder's
widths read from the output side, as the reference reads them), AdamW betas (0.9, 0.98),
batches in data order with the last partial batch dropped. ``autocut`` is the design this
project used before, kept because it measures better on some data (docs/tokenizers.md): ReLU
MLPs, Euclidean lookup, a LayerNorm on the encoder output, the input standardised with the
training data's mean and scale (stored with the weights), batches shuffled every epoch, torch's
default betas. A ``tokenizer.json`` without a preset was written before presets existed and
loads as ``autocut``.

The collapse guard measures information rather than counting codes, judged against the
input's own variation: training vectors whose spread (``1 - |mean|^2`` of the unit vectors) is
tiny are refused before training (standardisation or a cosine codebook blows 1e-6 noise up to
use every code: counting codes would accept it); after training, a head whose perplexity on
held-out vectors (training vectors when fewer than 32 are held out) is ~1 fails the run with
:class:`CodebookCollapseError` unless the heads before it already resolve the vectors (it is
then idle, as with a corpus of a few vectors, and the report says so). We raise rather than
silently retry: dead-code replacement already re-seeds unused codes every step, so a collapse
that survives the whole run points at the data or at far too few steps; the message says what
to try.

A trained tokenizer is a folder (``checkpoint``) with ``tokenizer.safetensors`` and
``tokenizer.json``; the latter records the preset, the encoder name and dimension its vectors
came from, and :meth:`check_encoder` refuses vectors of another encoder. Training is resumable
epoch by epoch; see :mod:`autocut_plugins.rqvae_training` for the files. torch is imported
only when a model is built or trained.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from autocut_plugins.rqvae_files import (
    CONFIG_FILE,
    FORMAT,
    FORMAT_VERSION,
    LEGACY_PRESET,
    WEIGHTS_FILE,
)
from pydantic import Field, model_validator

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import ComponentSettings, Tokenizer
from autocut_core.errors import (
    CapabilityError,
    InputError,
    MissingWeightsError,
    SettingsError,
)

if TYPE_CHECKING:
    import numpy as np

#: Options that change the model's shapes: set explicitly, they must match a checkpoint.
SHAPE_KEYS = (
    "preset",
    "dim",
    "heads",
    "codebook_size",
    "codebook_dim",
    "encoder_hidden",
    "decoder_hidden",
)
#: Options that define the model (the shapes and how codes are learnt); a checkpoint's own
#: values win over their defaults.
ARCHITECTURE_KEYS = (
    *SHAPE_KEYS,
    "kmeans_init",
    "kmeans_iters",
    "ema_decay",
    "dead_code_threshold",
    "commitment_weight",
)
TRAINING_KEYS = ("epochs", "batch_size", "lr", "min_lr", "weight_decay", "seed", "usage_sample")

Positive = Annotated[int, Field(ge=1)]


class RQVAESettings(ComponentSettings):
    checkpoint: Path | None = Field(
        None,
        description="Folder of a trained tokenizer (tokenizer.safetensors + tokenizer.json), "
        "as written by `autocut tokenizer train`",
    )
    random_init: bool = Field(
        False, description="Run untrained with seeded random codebooks (tests; not meaningful)"
    )
    preset: Literal["reference", "autocut"] = Field(
        "reference",
        description="Model design: 'reference' (the public reference implementation's: cosine "
        "codebook, Linear-GELU-BatchNorm MLP, AdamW betas (0.9, 0.98), batches in data order) "
        "or 'autocut' (Euclidean codebook, ReLU MLP, standardised input, LayerNorm, shuffled)",
    )
    dim: int = Field(128, ge=1, description="Input vector length (training data decides if unset)")
    heads: int = Field(8, ge=1, le=64, description="Quantizer heads = tokens per vector")
    codebook_size: int = Field(256, ge=2, description="Codes per head")
    codebook_dim: int = Field(128, ge=1, description="Width of the quantised latent")
    encoder_hidden: tuple[Positive, ...] = Field(
        (512, 512), description="Hidden layer widths of the encoder MLP"
    )
    decoder_hidden: tuple[Positive, ...] = Field(
        (512, 512), description="Hidden layer widths of the decoder MLP"
    )
    kmeans_init: bool = Field(
        True, description="Initialise codebooks by k-means on the first batch"
    )
    kmeans_iters: int = Field(10, ge=1, description="k-means iterations of that initialisation")
    ema_decay: float = Field(0.8, gt=0, lt=1, description="EMA decay of the codebook updates")
    dead_code_threshold: float = Field(
        2.0, ge=0, description="Replace codes whose EMA use per batch falls below this (0: never)"
    )
    commitment_weight: float = Field(0.0, ge=0, description="Weight of the commitment loss")
    epochs: int = Field(20, ge=1, description="Training epochs")
    batch_size: int = Field(8192, ge=1, description="Training batch size (vectors)")
    lr: float = Field(1e-3, gt=0, description="Initial AdamW learning rate")
    min_lr: float = Field(2e-5, ge=0, description="Learning rate at the end of the cosine decay")
    weight_decay: float = Field(1e-4, ge=0, description="AdamW weight decay")
    seed: int = Field(0, description="Seed of initialisation, shuffling and code replacement")
    usage_sample: int = Field(
        20000, ge=1, description="Held-out vectors scored after every epoch (cosine, code use)"
    )
    encode_batch_size: int = Field(8192, ge=1, description="Vectors per forward pass when encoding")

    @model_validator(mode="after")
    def _lr_order(self) -> RQVAESettings:
        if self.min_lr > self.lr:
            raise ValueError(f"min_lr ({self.min_lr}) must not exceed lr ({self.lr})")
        return self


class RQVAEAudioSettings(RQVAESettings):
    dim: int = Field(2048, ge=1, description="Input vector length (training data decides if unset)")
    codebook_dim: int = Field(256, ge=1, description="Width of the quantised latent")
    encoder_hidden: tuple[Positive, ...] = Field(
        (1024, 512), description="Hidden layer widths of the encoder MLP"
    )
    decoder_hidden: tuple[Positive, ...] = Field(
        (512, 1024), description="Hidden layer widths of the decoder MLP"
    )
    epochs: int = Field(50, ge=1, description="Training epochs")


def how_to_train(modality: str) -> str:
    return (
        f"Train one with `autocut tokenizer train --modality {modality} --output DIR` and set "
        "checkpoint = 'DIR'."
    )


def read_config(folder: Path, modality: str) -> dict[str, Any]:
    """``folder/tokenizer.json``, checked (JSON only: no torch); MissingWeightsError if absent."""
    path = Path(folder).expanduser() / CONFIG_FILE
    fix = how_to_train(modality)
    if not path.is_file():
        raise MissingWeightsError(f"RQ-VAE tokenizer not found: {path} does not exist. {fix}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path}: not valid JSON ({error}); the file is damaged. {fix}") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise InputError(f"{path}: not an AutoCut RQ-VAE tokenizer (format {FORMAT!r}). {fix}")
    if config.get("format_version") != FORMAT_VERSION:
        raise InputError(
            f"{path}: format version {config.get('format_version')!r}; this AutoCut reads "
            f"version {FORMAT_VERSION}. {fix}"
        )
    config.setdefault("preset", LEGACY_PRESET)  # written before presets were recorded
    missing = [k for k in (*ARCHITECTURE_KEYS, "modality", "encoder", "weights") if k not in config]
    if missing:
        raise InputError(f"{path}: lacks {', '.join(missing)}; the file is damaged. {fix}")
    if config["modality"] != modality:
        other = "rqvae-audio" if config["modality"] == "audio" else "rqvae"
        raise SettingsError(
            f"{path.parent} holds a {config['modality']} tokenizer; load it as '{other}'"
        )
    return config


class RQVAETokenizer(Tokenizer[RQVAESettings]):
    """RQ-VAE over frame vectors: 8 tokens ``<v_h_c>`` per vector (paper §3.3)."""

    name = "rqvae"
    description = "RQ-VAE (8 heads x 256 codes) for frame/clip vectors: <v_h_c> tokens"
    token_prefix: ClassVar[Literal["v", "a"]] = "v"
    modality: ClassVar[str] = "video"

    def __init__(self, settings: RQVAESettings | None = None):
        super().__init__(settings)
        self._model: Any = None
        self._config: dict[str, Any] | None = None  # of the checkpoint or the finished fit
        self._folder: Path | None = None
        self._trained_dim: int | None = None  # the data's dim when fit ran without `dim`

    @property
    def options(self) -> RQVAESettings:
        return self.settings

    # -- what the tokenizer is ------------------------------------------------------------

    def config(self) -> dict[str, Any] | None:
        """The trained tokenizer's config (``tokenizer.json``), or None when untrained."""
        if self._config is None and self.options.checkpoint is not None:
            config = read_config(self.options.checkpoint, self.modality)
            clashes = [
                f"{key} = {_plain(getattr(self.options, key))} (the checkpoint has {_plain(config[key])})"
                for key in SHAPE_KEYS
                if key in self.options.model_fields_set
                and _plain(getattr(self.options, key)) != _plain(config[key])
            ]
            if clashes:
                raise SettingsError(
                    f"tokenizer '{self.name}': options {'; '.join(clashes)} contradict the "
                    f"checkpoint {self.options.checkpoint}; drop them or train a new tokenizer"
                )
            self._config = config
            self._folder = Path(self.options.checkpoint).expanduser()
        return self._config

    def architecture(self) -> dict[str, Any]:
        """The model's architecture: the checkpoint's, else the options (+ the data's dim)."""
        config = self.config()
        if config is not None:
            return {key: _plain(config[key]) for key in ARCHITECTURE_KEYS}
        arch = {key: _plain(getattr(self.options, key)) for key in ARCHITECTURE_KEYS}
        if self._trained_dim is not None:
            arch["dim"] = self._trained_dim
        return arch

    @property
    def heads(self) -> int:
        return int(self.architecture()["heads"])

    @property
    def codebook_size(self) -> int:
        return int(self.architecture()["codebook_size"])

    @property
    def dim(self) -> int:
        return int(self.architecture()["dim"])

    def trained_on(self) -> tuple[str, int] | None:
        config = self.config()
        if config is None:
            return None
        return str(config["encoder"]["name"]), int(config["encoder"]["dim"])

    def check_encoder(self, encoder: str, dim: int) -> None:
        trained = self.trained_on()
        if trained is None:
            if dim != self.dim:
                raise CapabilityError(
                    f"tokenizer '{self.name}' takes {self.dim}-D vectors, not '{encoder}' "
                    f"{dim}-D. {how_to_train(self.modality)}"
                )
            return
        if trained != (encoder, dim):
            raise CapabilityError(
                f"tokenizer at {self._folder} was trained on '{trained[0]}' {trained[1]}-D "
                f"vectors, not '{encoder}' {dim}-D; its codes would mean nothing. Train one with "
                f"`autocut tokenizer train --encoder {encoder} --modality {self.modality} "
                "--output DIR`."
            )

    # -- the model ------------------------------------------------------------------------

    def model(self) -> Any:
        """The torch model, loaded (or randomly initialised) on first use."""
        if self._model is None:
            from autocut_plugins import _torch, rqvae_training

            config = self.config()
            if config is not None:
                assert self._folder is not None
                self._model = rqvae_training.load_model(
                    self._folder, config, how_to_train(self.modality)
                )
            elif self.options.random_init:
                arch = {**self.architecture(), "kmeans_init": False}  # random codebooks
                self._model = _torch.prepare(
                    rqvae_training.build(arch, seed=_torch.RANDOM_INIT_SEED)
                )
            else:
                raise MissingWeightsError(
                    f"tokenizer '{self.name}' has no trained weights: no checkpoint is "
                    f"configured. {how_to_train(self.modality)} (random_init = true runs "
                    "untrained, for tests.)"
                )
        return self._model

    def encode_batch(self, vectors: np.ndarray) -> np.ndarray:
        from autocut_plugins import rqvae_training

        array = self._vectors(vectors, "encode_batch")
        return rqvae_training.encode(self.model(), array, self.options.encode_batch_size)

    def decode_batch(self, codes: np.ndarray) -> np.ndarray:
        import numpy as np
        from autocut_plugins import rqvae_training

        array = np.asarray(codes)
        if array.ndim != 2 or array.shape[1] != self.heads:
            raise InputError(
                f"tokenizer '{self.name}' decodes [n, {self.heads}] codes, got shape {array.shape}"
            )
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise InputError(f"tokenizer '{self.name}' decodes integer codes, got {array.dtype}")
        array = np.ascontiguousarray(array, dtype=np.int64)
        if array.size and (array.min() < 0 or array.max() >= self.codebook_size):
            raise InputError(
                f"tokenizer '{self.name}': codes must lie in 0..{self.codebook_size - 1}, got "
                f"{int(array.min())}..{int(array.max())}"
            )
        return rqvae_training.decode(self.model(), array, self.options.encode_batch_size)

    def _vectors(self, vectors: Any, who: str, dim: int | None = None) -> np.ndarray:
        """``vectors`` as C-contiguous, L2-normalised float32 ``[n, dim]`` (cosine space)."""
        import numpy as np
        from autocut_plugins import _torch

        dim = self.dim if dim is None else dim
        array = np.asarray(vectors, dtype=np.float32)
        if array.ndim != 2 or array.shape[1] != dim:
            raise InputError(
                f"tokenizer '{self.name}' {who}: expected [n, {dim}] vectors, got shape "
                f"{array.shape}"
            )
        if not np.isfinite(array).all():
            raise InputError(f"tokenizer '{self.name}' {who}: vectors contain NaN or infinity")
        return np.ascontiguousarray(_torch.l2_normalize(array))

    # -- training -------------------------------------------------------------------------

    def fit(
        self,
        train: np.ndarray,
        held_out: np.ndarray,
        out_dir: Path,
        encoder: str,
        progress: Callable[[dict[str, Any]], None] | None = None,
        resume: bool = True,
    ) -> dict[str, Any]:
        """Train on ``train`` (``[n, dim]`` vectors of ``encoder``), score on ``held_out``.

        Writes ``out_dir/tokenizer.safetensors`` and ``tokenizer.json`` (atomically) and keeps
        ``out_dir/resume.safetensors`` after every epoch; with ``resume`` a re-run continues
        from the last completed epoch and ends with the same weights as one uninterrupted run.
        ``progress`` gets one dict per epoch: ``epoch``, ``epochs``, ``loss`` (mean 1 - cos on
        the training batches), ``held_out_cosine`` (on up to ``usage_sample`` held-out
        vectors), ``utilisation`` and ``perplexity`` (per head), ``lr``, ``seconds``,
        ``vectors_per_second``. An exception it raises stops training after that epoch's
        checkpoint was written.

        Returns the report: ``history`` (the per-epoch dicts), ``held_out_cosine`` (mean over
        all of ``held_out``; None if it is empty), ``utilisation`` and ``perplexity`` per
        head, ``usage_measured_on`` (``held_out``, or ``train`` when fewer than 32 vectors
        are held out), ``usage_sample``, ``collapsed_heads`` (always empty: a head left with
        a single code raises :class:`CodebookCollapseError` instead), ``train_vectors``,
        ``held_out_vectors``, ``vectors_per_second`` and ``seconds`` (training).
        Afterwards this tokenizer encodes with the trained model.
        """
        import numpy as np
        from autocut_plugins import rqvae_training

        train_array = np.asarray(train)
        if train_array.ndim != 2 or len(train_array) < 2:
            raise InputError(
                f"tokenizer '{self.name}' fit: needs an [n, dim] array of at least 2 training "
                f"vectors, got shape {train_array.shape}"
            )
        data_dim = int(train_array.shape[1])
        if "dim" in self.options.model_fields_set and data_dim != self.options.dim:
            raise InputError(
                f"tokenizer '{self.name}' fit: dim = {self.options.dim} is set, but the "
                f"training vectors are {data_dim}-D"
            )
        train_array = self._vectors(train_array, "fit (train)", data_dim)
        held_array = np.asarray(held_out, dtype=np.float32)
        if held_array.size == 0:
            held_array = held_array.reshape(0, data_dim)
        held_array = self._vectors(held_array, "fit (held_out)", data_dim)

        arch = {key: _plain(getattr(self.options, key)) for key in ARCHITECTURE_KEYS}
        arch["dim"] = data_dim
        training = {key: _plain(getattr(self.options, key)) for key in TRAINING_KEYS}
        header = {
            "tokenizer": self.name,
            "modality": self.modality,
            "token_prefix": self.token_prefix,
            "encoder": {"name": encoder, "dim": data_dim},
        }
        model, config, report = rqvae_training.fit(
            arch,
            training,
            train_array,
            held_array,
            Path(out_dir),
            header=header,
            progress=progress,
            resume=resume,
        )
        self._model = model
        self._config = config
        self._folder = Path(out_dir)
        self._trained_dim = data_dim
        return report

    # -- reporting ------------------------------------------------------------------------

    def diagnose(self) -> list[Check]:
        label = f"tokenizer '{self.name}'"
        if self.options.checkpoint is None:
            if self.options.random_init:
                return [Check(label, "warn", "random_init = true: untrained, not meaningful")]
            # Not trained yet is the normal state of a fresh install, not a broken machine.
            return [
                Check(label, "warn", "not trained yet (no checkpoint)", how_to_train(self.modality))
            ]
        try:
            config = self.config()
        except (MissingWeightsError, InputError, SettingsError) as error:
            return [Check(label, "fail", str(error), how_to_train(self.modality))]
        assert config is not None and self._folder is not None
        weights = self._folder / WEIGHTS_FILE
        if not weights.is_file():
            return [Check(label, "fail", f"{weights} does not exist", how_to_train(self.modality))]
        encoder = config["encoder"]
        cosine = config.get("report", {}).get("held_out_cosine")
        detail = (
            f"{self._folder}: {config['heads']}x{config['codebook_size']} codes, trained on "
            f"'{encoder['name']}' {encoder['dim']}-D vectors"
            + (f", held-out cosine {cosine:.3f}" if isinstance(cosine, float) else "")
        )
        return [Check(label, "ok", detail)]

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        return {
            "random_init": True,
            "dim": 16,
            "heads": 2,
            "codebook_size": 8,
            "codebook_dim": 8,
            "encoder_hidden": [32],
            "decoder_hidden": [32],
        }


class RQVAEAudioTokenizer(RQVAETokenizer):
    """RQ-VAE over music-track vectors: 8 tokens ``<a_h_c>`` per track (paper Table 3)."""

    name = "rqvae-audio"
    description = "RQ-VAE (8 heads x 256 codes) for music-track vectors: <a_h_c> tokens"
    token_prefix: ClassVar[Literal["v", "a"]] = "a"
    modality: ClassVar[str] = "audio"
    Settings = RQVAEAudioSettings


def _plain(value: Any) -> Any:
    """JSON-comparable form of an option value (tuples become lists)."""
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    return value


@hookimpl
def register_tokenizers(register):
    register(RQVAETokenizer)
    register(RQVAEAudioTokenizer)
