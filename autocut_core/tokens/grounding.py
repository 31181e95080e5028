"""From vectors (or generated tokens) to concrete materials: the grounding step (paper §7.2).

A search index per (encoder, level, retriever, options) is cached in the database folder under
``indexes/`` and rebuilt only when the material ids it covers changed. Generated tokens are
parsed strictly, decoded by the tokenizer back into vectors, and looked up "by clip" (nearest
visual clip) or "by frame" (nearest 1 fps frame, then a clip of the requested length starting at
that second, as the paper does).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autocut_core import ids
from autocut_core.components import Hit, Retriever, Tokenizer
from autocut_core.errors import AutocutError, InputError
from autocut_core.materials.database import MaterialDB, from_db_path
from autocut_core.materials.locations import current_paths
from autocut_core.types import Clip

INDEX_FOLDER = "indexes"


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
