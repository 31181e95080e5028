"""`autocut tokenizer train|encode`: discrete tokens for the vectors in a material database."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer

from autocut_core.cli.flags import DbOption, JsonOption, uses_settings
from autocut_core.errors import InputError, SettingsError
from autocut_core.settings import AutocutSettings

if TYPE_CHECKING:
    import numpy as np

#: modality -> (setting naming the tokenizer, setting naming the encoder, level for errors)
MODALITIES: dict[
    str, tuple[Literal["tokenizer", "audio_tokenizer"], Literal["encoder", "audio_encoder"], str]
] = {
    "video": ("tokenizer", "encoder", "frame"),
    "audio": ("audio_tokenizer", "audio_encoder", "track"),
}
CODE_LEVELS = {"video": ("frame", "clip"), "audio": ("track",)}


def source_of(material_id: str, level: str) -> str:
    """The source a frame, clip or track id belongs to (the split unit for held-out data)."""
    from autocut_core import ids

    if level == "track":
        return material_id
    # Frame ids end in 4 digits, clip ids in 7, after the same 12-character source id.
    return (
        ids.parse_frame_id(material_id)[0]
        if len(material_id) <= 16
        else ids.parse_clip_id(material_id)[0]
    )


def split_by_source(
    material_ids: list[str], level: str, share: float, seed: int
) -> tuple[np.ndarray, np.ndarray, str]:
    """Row masks (train, held-out): whole sources are held out, never single frames of one."""
    import numpy as np

    if share <= 0:
        return (
            np.ones(len(material_ids), dtype=bool),
            np.zeros(len(material_ids), dtype=bool),
            "nothing held out",
        )
    sources = np.array([source_of(material_id, level) for material_id in material_ids])
    unique = sorted(set(sources.tolist()))
    rng = np.random.default_rng(seed)
    if len(unique) >= 2:
        chosen = set(rng.permutation(unique)[: max(1, math.ceil(share * len(unique)))].tolist())
        held = np.isin(sources, list(chosen))
        if held.all():
            held[:] = False
        return ~held, held, f"{len(chosen)} of {len(unique)} sources held out"
    held = rng.random(len(material_ids)) < share
    return ~held, held, "only one source: held out by vector, not by source"


def _progress_printer(enabled: bool) -> Any:
    def show(epoch: dict[str, Any]) -> None:
        if enabled:
            usage = " ".join(f"{u:.2f}" for u in epoch.get("utilisation", []))
            typer.echo(
                f"epoch {epoch.get('epoch')}: loss {epoch.get('loss', float('nan')):.4f}, "
                f"held-out cos {epoch.get('held_out_cosine', float('nan')):.4f}, head use [{usage}]",
                err=True,
            )

    return show


def recall_at_k(
    material_ids: list[str],
    vectors: np.ndarray,
    rows: np.ndarray,
    reconstructed: np.ndarray,
    k: int,
) -> dict[str, float]:
    """Share of held-out vectors whose own id is among the ``k`` nearest database entries to
    their reconstruction (and the top-1 share): what retrieval after decoding can achieve."""
    import numpy as np

    from autocut_core.plugins import get_registry

    index = get_registry().create("retriever", "exact")
    index.build(material_ids, vectors)
    k = min(k, len(material_ids))
    hits = index.search(reconstructed, k)
    wanted = [material_ids[row] for row in rows]
    top1 = np.mean([found[0].id == want for found, want in zip(hits, wanted, strict=True)])
    topk = np.mean(
        [want in {h.id for h in found} for found, want in zip(hits, wanted, strict=True)]
    )
    return {f"recall@{k}": float(topk), "recall@1": float(top1)}


@uses_settings("encoder", "audio_encoder", "tokenizer", "audio_tokenizer")
def train_command(
    settings: AutocutSettings,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for the trained tokenizer.")
    ],
    db: DbOption = None,
    modality: Annotated[str, typer.Option("--modality", help="video or audio.")] = "video",
    held_out: Annotated[
        float,
        typer.Option("--held-out", min=0.0, max=0.9, help="Share of sources held out (0: none)."),
    ] = 0.1,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    k: Annotated[int, typer.Option("-k", help="k of the final recall@k.")] = 10,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore checkpoints in OUTPUT.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Train an RQ-VAE tokenizer on the database's vectors (resumable; reports held-out quality)."""
    import numpy as np

    from autocut_core.dataset.encoding import (
        small_data_note,
        small_data_options,
        trainable_tokenizer,
    )
    from autocut_core.materials.database import MaterialDB
    from autocut_core.plugins import get_registry
    from autocut_core.settings import COMPONENT_CHOICES

    if modality not in MODALITIES:
        raise SettingsError(f"--modality must be video or audio, not '{modality}'")
    tokenizer_choice, encoder_choice, level = MODALITIES[modality]
    encoder = getattr(settings, encoder_choice)
    name = getattr(settings, tokenizer_choice)
    with MaterialDB(db or settings.db, create=False, write=False) as database:
        # Frames and clips both: either can be generated and must decode back to itself.
        material_ids, parts = [], []
        for each in CODE_LEVELS[modality]:
            if any(e == encoder and lv == each for e, lv, _ in database.vector_sets()):
                level_ids, level_vectors = database.vectors(encoder, each)
                material_ids += level_ids
                parts.append(level_vectors)
        if not parts:
            database.vectors(encoder, level)  # raises the "no vectors" error naming what exists
        vectors = np.concatenate(parts)
    if len(material_ids) < 2:
        raise InputError(
            f"only {len(material_ids)} '{level}' vector(s) from '{encoder}': index more footage first"
        )
    train_rows, held_rows, split_note = split_by_source(material_ids, level, held_out, seed)
    tokenizer = settings.create(tokenizer_choice)
    # As `dataset build` does: on a small database, unset options shrink to a codebook the
    # vectors can fill and grow to enough steps (a default-size codebook on a few hundred
    # vectors collapses), each change said in a note.
    given = settings.options_for(COMPONENT_CHOICES[tokenizer_choice][0], tokenizer.name)
    adapted = small_data_options(tokenizer, given, int(train_rows.sum()))
    notes = []
    if adapted != given:
        notes.append(small_data_note(tokenizer, given, adapted, int(train_rows.sum())))
        tokenizer = get_registry().create("tokenizer", tokenizer.name, adapted)
        if not as_json:
            typer.echo(f"note: {notes[-1]}", err=True)
    report = trainable_tokenizer(tokenizer, tokenizer_choice).fit(
        vectors[train_rows],
        vectors[held_rows] if held_rows.any() else vectors[train_rows][:1],
        output,
        encoder=encoder,
        progress=_progress_printer(not as_json and sys.stderr.isatty()),
        resume=not fresh,
    )
    rows = np.flatnonzero(held_rows)
    if len(rows):
        reconstructed = tokenizer.decode_batch(tokenizer.encode_batch(vectors[rows]))
        report.update(recall_at_k(material_ids, vectors, rows, reconstructed, k))
    report.update({"tokenizer": name, "encoder": encoder, "level": "+".join(CODE_LEVELS[modality]), "output": str(output),
                   "train_vectors": int(train_rows.sum()), "held_out_vectors": len(rows),
                   "split": split_note, "notes": notes})  # fmt: skip
    if as_json:
        typer.echo(json.dumps(report, indent=2, default=float))
        return
    _print_train_report(report, k)


def _print_train_report(report: dict[str, Any], k: int) -> None:
    typer.echo(f"Trained '{report['tokenizer']}' on {report['train_vectors']} '{report['encoder']}' "
               f"{report['level']} vectors -> {report['output']} ({report['split']})")  # fmt: skip
    for key in ("held_out_cosine", "recall@1", f"recall@{k}"):
        if key in report:
            typer.echo(f"  {key}: {report[key]:.4f}")
    for key in ("utilisation", "perplexity"):
        if key in report:
            typer.echo(f"  {key} per head: " + " ".join(f"{value:.2f}" for value in report[key]))


@uses_settings("tokenizer", "audio_tokenizer")
def encode_command(
    settings: AutocutSettings,
    db: DbOption = None,
    name: Annotated[str | None, typer.Option("--name", help="Label for the stored codes.")] = None,
    modality: Annotated[str, typer.Option("--modality", help="video or audio.")] = "video",
    as_json: JsonOption = False,
) -> None:
    """Store the codes of every frame, clip and track so prompts need no model run."""
    import numpy as np

    from autocut_core.materials.database import MaterialDB

    if settings.tokenizer is None:
        raise SettingsError(
            "choose the tokenizer: --tokenizer rqvae --tokenizer-opt checkpoint=DIR"
        )
    tokenizer = settings.create("tokenizer")
    trained = tokenizer.trained_on()
    if trained is None:
        raise SettingsError(
            f"tokenizer '{tokenizer.name}' is not trained: give --tokenizer-opt checkpoint=DIR"
        )
    encoder, dim = trained
    label = name or Path(str(getattr(tokenizer.settings, "checkpoint", ""))).name
    stored: dict[str, int] = {}
    with MaterialDB(db or settings.db, create=False) as database:
        for level in ("frame", "clip", "track"):
            if (encoder, level, dim) not in database.vector_sets():
                continue
            material_ids, vectors = database.vectors(encoder, level)
            tokenizer.check_encoder(encoder, vectors.shape[1])
            codes = np.concatenate(
                [
                    tokenizer.encode_batch(vectors[i : i + 8192])
                    for i in range(0, len(vectors), 8192)
                ]
            )
            database.store_codes(label, encoder, level, material_ids, codes)
            stored[level] = len(material_ids)
    if not stored:
        raise InputError(f"no '{encoder}' {dim}-D vectors in the database for this tokenizer")
    if as_json:
        typer.echo(json.dumps({"tokenizer": label, "encoder": encoder, "stored": stored}))
    else:
        typer.echo(
            f"Stored '{label}' codes: " + ", ".join(f"{n} {level}s" for level, n in stored.items())
        )


def register(app: typer.Typer, typer_factory: Any) -> None:
    tokenizer = typer_factory(
        help="Train and apply discrete tokenizers (RQ-VAE).", no_args_is_help=True
    )
    tokenizer.command("train")(train_command)
    tokenizer.command("encode")(encode_command)
    app.add_typer(tokenizer, name="tokenizer")
