"""From vectors (or generated tokens) to concrete materials: the grounding step (paper §7.2).

A search index per (encoder, level, retriever, options) is cached in the database folder under
``indexes/`` and rebuilt only when the material ids it covers changed. Generated tokens are
parsed strictly, decoded by the tokenizer back into vectors, and looked up "by clip" (nearest
visual clip) or "by frame" (nearest 1 fps frame, then a clip of the requested length starting at
that second, as the paper does). :func:`ground_clips` grounds the clips a backbone chose: each
clip's frame tokens are decoded, every decoded frame finds its nearest frames of the pool, and
the frames vote for the clip that is used (:mod:`autocut_core.tokens.clip_votes`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autocut_core import ids
from autocut_core.components import Hit, Retriever, Tokenizer
from autocut_core.errors import AutocutError, InputError
from autocut_core.materials.database import MaterialDB, from_db_path
from autocut_core.materials.locations import current_paths
from autocut_core.types import Candidate, Clip

INDEX_FOLDER = "indexes"
#: Nearest frames fetched per decoded frame at first; a slot whose frames all land in clips
#: other slots took searches the whole pool again (collisions are rare, pools can be large).
FIRST_HITS = 64


def index_path(
    db: MaterialDB, encoder: str, level: str, retriever: str, options: dict[str, Any]
) -> Path:
    digest = hashlib.sha256(json.dumps(options, sort_keys=True).encode()).hexdigest()[:8]
    return db.folder / INDEX_FOLDER / f"{encoder}.{level}.{retriever}.{digest}"


def material_index(
    db: MaterialDB,
    encoder: str,
    level: str,
    retriever: str = "exact",
    options: dict[str, Any] | None = None,
) -> Retriever:
    """The search index over one encoder's vectors of one level, loaded or (re)built."""
    from autocut_core.plugins import get_registry

    options = dict(options or {})
    component = get_registry().create("retriever", retriever, options)
    assert isinstance(component, Retriever)
    current = db.material_ids(encoder, level)
    if not current:
        raise InputError(f"{db.folder}: no '{level}' vectors from encoder '{encoder}' to search")
    path = index_path(db, encoder, level, retriever, options)
    if path.is_file():
        try:
            component.load(path)
            if component.ids == current:
                return component
        except AutocutError:
            pass  # stale or damaged: rebuilt below
        component = get_registry().create("retriever", retriever, options)
        assert isinstance(component, Retriever)
    material_ids, vectors = db.vectors(encoder, level)
    component.build(material_ids, vectors)
    component.save(path)
    return component


def decode_tokens(text: str, tokenizer: Tokenizer) -> np.ndarray:
    """Generated token text -> one decoded vector per complete group of ``heads`` tokens."""
    from autocut_core.tokens.strings import parse_codes

    codes = parse_codes(text, tokenizer.token_prefix, tokenizer.heads, tokenizer.codebook_size)
    return np.asarray(tokenizer.decode_batch(codes), dtype=np.float32)


def ground_tokens(
    text: str,
    tokenizer: Tokenizer,
    index: Retriever,
    k: int = 1,
    candidates: Sequence[str] | None = None,
) -> list[list[Hit]]:
    """Tokens -> decode -> nearest materials (restricted to ``candidates`` when given)."""
    return index.search(decode_tokens(text, tokenizer), k, candidates)


@dataclass(frozen=True)
class GroundedClip:
    """What grounding did with one chosen clip: the clip the backbone answered with
    (``asked``), the clip its tokens grounded to (``grounded``, at ``unit`` in the pool), how
    many of its decoded ``frames`` voted for it and their mean cosine (``score``)."""

    asked: str
    grounded: str
    unit: int
    votes: int
    frames: int
    score: float

    @property
    def changed(self) -> bool:
        return self.grounded != self.asked

    def to_dict(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "grounded": self.grounded,
            "changed": self.changed,
            "votes": self.votes,
            "frames": self.frames,
            "score": round(self.score, 4),
        }


def ground_clips(
    db: MaterialDB,
    tokenizer: Tokenizer,
    asked: Sequence[Candidate],
    pool: Sequence[Candidate],
    retriever: str = "exact",
    options: dict[str, Any] | None = None,
) -> list[GroundedClip]:
    """The pool clip each ``asked`` clip's video tokens ground to, no clip twice.

    The tokens are decoded by ``tokenizer`` into its encoder's space and searched (the cached
    index of :func:`material_index`) among the frames of the ``pool``'s clips, the frames
    each clip is tokenized from (:func:`autocut_core.tokens.frames.frames_in_span`); searching
    only the pool keeps an ad to the footage its user offered. Refused with the reason: an
    untrained tokenizer, a database without that encoder's frame vectors (or with vectors of
    another size), footage whose frames were not encoded with it, a clip without tokens.
    """
    from autocut_core.tokens.clip_votes import assign
    from autocut_core.tokens.strings import TokenParseError

    encoder = _frame_encoder(db, tokenizer)
    units_of = _pool_frames(db, pool)
    index = material_index(db, encoder, "frame", retriever, options)
    indexed = set(index.ids)
    for frame_id, units in units_of.items():
        if frame_id not in indexed:
            path = pool[units[0]].source_path or pool[units[0]].clip.source_id
            raise InputError(
                f"{path}: its frames have no '{encoder}' vectors in {db.folder}, so its clips "
                f"cannot be grounded: index the footage with --encoder {encoder}"
            )
    queries = []
    for candidate in asked:
        where = f"clip {candidate.clip.clip_id} ({candidate.source_path or 'no file'})"
        if not candidate.tokens:
            raise InputError(f"{where} has no video tokens to ground")
        try:
            queries.append(decode_tokens(candidate.tokens, tokenizer))
        except TokenParseError as error:
            raise InputError(f"{where}: its tokens do not decode: {error}") from None
    candidates = sorted(units_of)
    flat = np.concatenate(queries)
    for k in dict.fromkeys((min(FIRST_HITS, len(candidates)), len(candidates))):
        found = index.search(flat, k, candidates)
        slots, start = [], 0
        for decoded in queries:
            rows = found[start : start + len(decoded)]
            slots.append([[(hit.id, hit.score) for hit in hits] for hits in rows])
            start += len(decoded)
        votes = assign(slots, units_of)
        if votes is not None:
            break
    else:  # every frame of the pool searched: only more slots than clips can get here
        raise InputError(f"{len(asked)} clips to ground but the pool has only {len(pool)}")
    return [
        GroundedClip(
            asked=candidate.clip.clip_id,
            grounded=pool[vote.unit].clip.clip_id,
            unit=vote.unit,
            votes=vote.votes,
            frames=vote.frames,
            score=vote.score,
        )
        for candidate, vote in zip(asked, votes, strict=True)
    ]


def _frame_encoder(db: MaterialDB, tokenizer: Tokenizer) -> str:
    """The encoder whose frame vectors the tokenizer decodes into, checked against the DB."""
    trained = tokenizer.trained_on()
    if trained is None:
        raise InputError(
            f"tokenizer '{tokenizer.name}' is not trained, so the clips' tokens cannot be "
            "decoded: set its checkpoint (autocut tokenizer train writes one)"
        )
    encoder, dim = trained
    sets = {(name, level): size for name, level, size in db.vector_sets()}
    stored = sets.get((encoder, "frame"))
    if stored is None or not db.material_ids(encoder, "frame"):
        available = ", ".join(sorted({name for name, level in sets if level == "frame"}))
        raise InputError(
            f"{db.folder}: no frame vectors from encoder '{encoder}', which tokenizer "
            f"'{tokenizer.name}' decodes into (frame vectors there: {available or 'none'}): "
            f"index the footage with --encoder {encoder}"
        )
    if stored != dim:
        raise InputError(
            f"{db.folder}: '{encoder}' frame vectors are {stored}-D but tokenizer "
            f"'{tokenizer.name}' decodes {dim}-D vectors: retrain it on this database"
        )
    return encoder


def _pool_frames(db: MaterialDB, pool: Sequence[Candidate]) -> dict[str, list[int]]:
    """Frame id -> the pool clips (positions) tokenized from that frame."""
    from autocut_core.tokens.frames import frames_in_span

    frames_of: dict[str, list[tuple[str, int, float]]] = {}
    units_of: dict[str, list[int]] = {}
    for unit, candidate in enumerate(pool):
        clip = candidate.clip
        frames = frames_of.get(clip.source_id)
        if frames is None:
            frames = frames_of[clip.source_id] = db.frames(clip.source_id)
        for position in frames_in_span([second for _, second, _ in frames], clip.start, clip.end):
            units_of.setdefault(frames[position][0], []).append(unit)
    if not units_of:
        raise InputError("no frames in the pool of clips to ground in")
    return units_of


def clip_for_frame(db: MaterialDB, frame_id: str, length: float) -> Clip:
    """ "By frame": the clip that starts at a frame's second and lasts ``length`` seconds,
    cut short by the end of its source."""
    source_id, second = ids.parse_frame_id(frame_id)
    source = db.source(source_id)
    end = min(float(second) + length, source.duration)
    if end <= second:
        raise InputError(
            f"frame {frame_id} lies at or past the end of its source ({source.duration:.2f} s)"
        )
    return Clip(source_id, float(second), end)


def describe(db: MaterialDB, level: str, material_id: str) -> dict[str, Any]:
    """Where a material lives: its source file and the time span it covers.

    The file is the first recorded path that still holds the content (a copy elsewhere when
    the first folder moved); ``missing`` says that none does and the path shown is the
    first one recorded."""
    if level == "clip":
        clip = db.clip(material_id)
        source, start, end = db.source(clip.source_id), clip.start, clip.end
    elif level == "frame":
        source_id, second = ids.parse_frame_id(material_id)
        source, start = db.source(source_id), float(second)
        end = min(start + 1.0, source.duration)
    else:
        source, start = db.source(material_id), 0.0
        end = source.duration
    present = current_paths(db, source.source_id)
    described: dict[str, Any] = {
        "id": material_id,
        "source": present[0] if present else from_db_path(source.path),
        "start": round(start, 3),
        "end": round(end, 3),
    }
    if not present:
        described["missing"] = True
    return described
