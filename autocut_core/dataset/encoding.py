"""The ads' media -> vectors -> tokens: indexing, tokenizers and each clip's token string.

Indexing goes through :func:`autocut_core.materials.indexing.index`, so a re-run does no work and a
broken file becomes a reason, not a crash. The tokenizers are the configured ones
(``--tokenizer``, ``--audio-tokenizer``): when one is already trained (``--tokenizer-opt
checkpoint=DIR``) it is used as it is; otherwise it is trained here on the *training* ads'
vectors only (frames and visual clips for video, tracks for music), with the options given
(``--tokenizer-opt epochs=5``), into ``OUT/tokenizers/{video,audio}``. A fingerprint of the
vectors and options is kept beside it (``dataset_fit.json``): a re-run with the same data
reuses the trained tokenizer, an interrupted one resumes its training, and changed data or
options train afresh.

A small corpus trains with options it can fill (:func:`small_data_options`: a smaller
codebook, a smaller batch, enough steps), and every such change is a note in the build report;
a tokenizer with fewer than two training vectors cannot be trained at all
(:class:`TooFewVectorsError`: the build leaves the music out, with a note, when that happens
to the audio tokenizer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from autocut_core.dataset.records import Ad
from autocut_core.errors import InputError, SettingsError
from autocut_core.fsutil import atomic_write_text
from autocut_core.materials.database import MaterialDB, PathStat
from autocut_core.materials.locations import current_paths
from autocut_core.media.errors import display_path
from autocut_core.settings import COMPONENT_CHOICES, AutocutSettings
from autocut_core.tokens.frames import frames_in_span, thin

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.components import Tokenizer, TrainableTokenizer

FIT_STATE = "dataset_fit.json"
Progress = Callable[[str], None]
#: Training steps a build gives a tokenizer at least (by raising unset ``epochs``): the
#: reference preset's BatchNorm layers encode with running statistics (momentum 0.1) that
#: need ~100 steps to forget their initial values (0.9^100 = 3e-5). With 10 one-step epochs
#: on one ad's 12 'histogram' vectors every head collapsed onto one code; with 50 and 100
#: steps none did (3 seeds each; docs/datasets.md).
MIN_STEPS = 100


class TooFewVectorsError(InputError):
    """Fewer than two training vectors: nothing a tokenizer could learn to tell apart."""


def index_ads(
    ads: Sequence[Ad], folder: Path, settings: AutocutSettings, jobs: int | None
) -> dict[str, Any]:
    """Index every ad's video (and its ``music_file``, when an audio encoder is set: the
    ``.bgm.`` sidecar, a music stem or the mix, see :mod:`.build`); fill in source ids
    and durations; skip ads whose files could not be indexed. Returns the index report."""
    from autocut_core.materials.indexing import index, options_from_settings

    options = options_from_settings(settings, jobs)
    videos = [ad.files.video for ad in ads]
    music = [ad.music_file for ad in ads if ad.music_file is not None and options.audio_encoder]
    report = index(videos, music, folder, options)
    failed = dict(report.failed)
    with MaterialDB(folder, create=False, write=False) as db:
        for ad in ads:
            source_id = _known(db, ad.files.video)
            if source_id is None:
                reason = failed.get(display_path(ad.files.video), "it could not be indexed")
                ad.skip(f"video {display_path(ad.files.video)}: {reason}")
                continue
            source = db.source(source_id)
            ad.source_id, ad.duration = source_id, source.duration
            ad.source_path = current_paths(db, source_id, [ad.files.video])[0]  # its own file
            if ad.music_file is None or options.audio_encoder is None:
                continue
            track_id = _known(db, ad.music_file)
            if track_id is None:
                reason = failed.get(display_path(ad.music_file), "it could not be indexed")
                ad.skip(f"background music {display_path(ad.music_file)}: {reason}")
                continue
            ad.track_id, ad.bgm_path = track_id, current_paths(db, track_id, [ad.music_file])[0]
    return report.to_dict()


def _known(db: MaterialDB, path: Path) -> str | None:
    try:
        return db.known_path(PathStat.of(path))
    except OSError:
        return None


@dataclass
class TokenizerUse:
    """A tokenizer ready to encode, and how the build came by it (for the summary)."""

    tokenizer: Tokenizer
    choice: str
    encoder: str
    checkpoint: str
    trained_here: bool
    reused: bool
    report: dict[str, Any] = field(default_factory=dict)
    #: What the build changed or noticed (small-data options, idle heads), for the report.
    notes: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        trained = self.tokenizer.trained_on()
        options = self.tokenizer.settings.model_dump()
        # A given checkpoint's own layout (preset, sizes) wins over the option defaults,
        # which describe a tokenizer that was not used; rqvae reports it as architecture().
        architecture = getattr(self.tokenizer, "architecture", None)
        if trained is not None and callable(architecture):
            options.update({k: v for k, v in architecture().items() if k in options})
        return {
            "name": self.tokenizer.name,
            "checkpoint": self.checkpoint,
            "encoder": self.encoder,
            "dim": trained[1] if trained else self.tokenizer.dim,
            "heads": self.tokenizer.heads,
            "codebook_size": self.tokenizer.codebook_size,
            "token_prefix": self.tokenizer.token_prefix,
            "options": {k: v for k, v in options.items() if k != "checkpoint"},
            "trained_here": self.trained_here,
            "reused": self.reused,
            **({"held_out_cosine": self.report.get("held_out_cosine")} if self.report else {}),
            "notes": list(self.notes),
        }


def ready_tokenizer(
    settings: AutocutSettings,
    choice: Literal["tokenizer", "audio_tokenizer"],
    encoder: str,
    training_vectors: Callable[[], np.ndarray],
    folder: Path,
    progress: Progress | None = None,
) -> TokenizerUse:
    """The tokenizer chosen by ``choice``: given trained, reused from ``folder``, or trained
    there on ``training_vectors()``."""
    import numpy as np

    kind, _ = COMPONENT_CHOICES[choice]
    tokenizer = settings.create(choice)
    name = tokenizer.name
    if tokenizer.trained_on() is not None:
        given = getattr(tokenizer.settings, "checkpoint", None)
        return TokenizerUse(tokenizer, choice, encoder, str(given or ""), False, False)
    trainable_tokenizer(tokenizer, choice)  # before the vectors are read: fail early
    vectors = np.ascontiguousarray(training_vectors(), dtype=np.float32)
    label = choice.replace("_", " ")
    if len(vectors) < 2:
        raise TooFewVectorsError(
            f"only {len(vectors)} '{encoder}' vector(s) from the training ads to train the "
            f"{label} on: add more ads, or give a trained one with "
            f"--{choice.replace('_', '-')}-opt checkpoint=DIR"
        )
    given = settings.options_for(kind, name)
    options = small_data_options(tokenizer, given, len(vectors))
    notes = [small_data_note(tokenizer, given, options, len(vectors))] if options != given else []
    if options != given:
        tokenizer = _create(name, options)
    fingerprint = _fingerprint(vectors, name, encoder, options)
    state_path = folder / FIT_STATE
    state = _read_state(state_path)
    same = state.get("fingerprint") == fingerprint
    if same and state.get("status") == "done" and (folder / "tokenizer.json").is_file():
        reused = _create(name, {**options, "checkpoint": str(folder)})
        # config() is the rqvae tokenizer's own; another trainable tokenizer need not have it.
        config = getattr(reused, "config", None)
        notes += idle_note(((config() if callable(config) else None) or {}).get("report", {}))
        return TokenizerUse(reused, choice, encoder, str(folder), True, True, notes=notes)
    if progress is not None:
        progress(f"training the {label} '{name}' on {len(vectors)} vectors")
    _write_state(state_path, fingerprint, "training")
    report = trainable_tokenizer(tokenizer, choice).fit(
        vectors, vectors[:1], folder, encoder=encoder, resume=same
    )
    _write_state(state_path, fingerprint, "done")
    notes += idle_note(report)
    return TokenizerUse(tokenizer, choice, encoder, str(folder), True, False, report, notes)


def trainable_tokenizer(tokenizer: Tokenizer, choice: str) -> TrainableTokenizer:
    """The tokenizer as one that can be trained, or the error that says it cannot."""
    from autocut_core.components import TrainableTokenizer

    if not isinstance(tokenizer, TrainableTokenizer):
        flag = choice.replace("_", "-")
        raise SettingsError(
            f"{tokenizer.kind} '{tokenizer.name}' is not trained and cannot be trained here: "
            f"give a trained one with --{flag}-opt checkpoint=DIR"
        )
    return tokenizer


def _create(name: str, options: dict[str, Any]) -> Tokenizer:
    from autocut_core.plugins import get_registry

    return get_registry().create("tokenizer", name, options)


def small_data_options(
    tokenizer: Tokenizer, options: dict[str, Any], vectors: int
) -> dict[str, Any]:
    """Options for training on ``vectors`` vectors: a codebook, batch and schedule it can fill.

    With fewer than four vectors per code the first heads memorise the data and the last
    ones see nothing left to code, and a batch larger than the data makes an epoch one step.
    Options the user set are kept; unset ones shrink: ``codebook_size`` to the largest power
    of two <= vectors / 4 (at least 2); when the data is smaller than one batch,
    ``batch_size`` to twice the codebook (at least 16), so an epoch has several steps and
    k-means has enough vectors for every code; and ``epochs`` grows until training makes
    :data:`MIN_STEPS` steps.
    """
    fields = getattr(type(tokenizer.settings), "model_fields", {})
    adapted = dict(options)
    codebook = int(options.get("codebook_size", 0))
    if "codebook_size" in fields and "codebook_size" not in options:
        codebook = int(fields["codebook_size"].default)
        fitting = max(2, 1 << max(0, (vectors // 4).bit_length() - 1))
        if fitting < codebook:
            adapted["codebook_size"] = codebook = fitting
    unset_batch = "batch_size" in fields and "batch_size" not in options
    if unset_batch and codebook and vectors < int(fields["batch_size"].default):
        adapted["batch_size"] = max(16, 2 * codebook)
    if "epochs" in fields and "epochs" not in options and "batch_size" in fields:
        batch = int(adapted.get("batch_size", fields["batch_size"].default))
        steps = max(1, vectors // max(1, min(batch, vectors)))
        if int(fields["epochs"].default) * steps < MIN_STEPS:
            adapted["epochs"] = -(-MIN_STEPS // steps)
    return adapted


def small_data_note(
    tokenizer: Tokenizer, given: dict[str, Any], adapted: dict[str, Any], vectors: int
) -> str:
    """The build report's line on what :func:`small_data_options` changed, and why."""
    fields = getattr(type(tokenizer.settings), "model_fields", {})
    changes = ", ".join(
        f"{key} {fields[key].default} -> {value}"
        for key, value in adapted.items()
        if key not in given
    )
    return (
        f"{tokenizer.name}: only {vectors} training vectors, so {changes} (a smaller codebook "
        f"they can fill and at least {MIN_STEPS} training steps); set these options to "
        "override"
    )


def idle_note(report: dict[str, Any]) -> list[str]:
    """A note on heads the training report calls idle (nothing left to code), if any."""
    idle = report.get("idle_heads") or []
    if not idle:
        return []
    heads = len(report.get("perplexity", [])) or len(idle)
    return [
        f"{len(idle)} of {heads} heads (numbers {', '.join(map(str, idle))}) use one code: the "
        f"heads before them already tell the {report.get('usage_sample', '?')} vectors apart "
        "(more material would give them something to code)"
    ]


def _fingerprint(vectors: np.ndarray, name: str, encoder: str, options: dict[str, Any]) -> str:
    digest = hashlib.sha256(vectors.tobytes())
    digest.update(json.dumps([name, encoder, list(vectors.shape), options], sort_keys=True,
                             default=str).encode())  # fmt: skip
    return digest.hexdigest()


def _read_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _write_state(path: Path, fingerprint: str, status: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"fingerprint": fingerprint, "status": status}) + "\n")


def video_training_vectors(db: MaterialDB, encoder: str, source_ids: Sequence[str]) -> np.ndarray:
    """Frame and visual-clip vectors of these sources (what `tokenizer train` uses too)."""
    import numpy as np

    parts = [
        db.vectors(encoder, level, sorted(set(source_ids)))[1]
        for level in ("frame", "clip")
        if any(e == encoder and lv == level for e, lv, _ in db.vector_sets())
    ]
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)


def track_training_vectors(db: MaterialDB, encoder: str, track_ids: Sequence[str]) -> np.ndarray:
    import numpy as np

    if not track_ids:
        return np.zeros((0, 0), dtype=np.float32)
    return db.vectors(encoder, "track", sorted(set(track_ids)))[1]


def tokenize_clips(
    ads: Sequence[Ad], db: MaterialDB, use: TokenizerUse, max_frames: int = 0
) -> None:
    """Fill in each clip's frame seconds and tokens (``<|frame_start|>...<|frame_end|>``)."""
    import numpy as np

    from autocut_core.tokens.strings import format_frames

    sources = sorted({ad.source_id for ad in ads})
    if not sources:
        return
    frame_ids, vectors = db.vectors(use.encoder, "frame", sources)
    use.tokenizer.check_encoder(use.encoder, int(vectors.shape[1]))
    codes = np.concatenate(
        [use.tokenizer.encode_batch(vectors[i : i + 8192]) for i in range(0, len(vectors), 8192)]
    )
    row = {frame_id: i for i, frame_id in enumerate(frame_ids)}
    for ad in ads:
        frames = [(frame_id, second) for frame_id, second, _ in db.frames(ad.source_id)]
        seconds = [second for _, second in frames]
        for clip in ad.clips:
            positions = thin(frames_in_span(seconds, clip.start, clip.end), max_frames)
            rows = [row[frames[p][0]] for p in positions if frames[p][0] in row]
            if not rows:
                raise InputError(f"{ad.source_path}: no '{use.encoder}' frame vectors for a clip")
            clip.seconds = tuple(seconds[p] for p in positions)
            clip.tokens = format_frames(codes[rows])


def tokenize_music(ads: Sequence[Ad], db: MaterialDB, use: TokenizerUse) -> None:
    """Fill in each ad's background-music tokens ``<a_0_1>...`` (no markers)."""
    from autocut_core.tokens.strings import format_codes

    tracks = sorted({ad.track_id for ad in ads if ad.track_id})
    if not tracks:
        return
    track_ids, vectors = db.vectors(use.encoder, "track", tracks)
    use.tokenizer.check_encoder(use.encoder, int(vectors.shape[1]))
    codes = dict(zip(track_ids, use.tokenizer.encode_batch(vectors), strict=True))
    for ad in ads:
        if ad.track_id:
            ad.bgm_tokens = format_codes(codes[ad.track_id], "a")
