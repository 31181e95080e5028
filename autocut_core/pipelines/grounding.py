"""How a backbone's answers become the clips of the plan: by index or by tokens (paper §7.2).

``index`` (the default) uses the pool clip the backbone answered with. ``tokens`` does what
the paper describes: the chosen clip's video tokens, the ones the backbone answered about,
are decoded by the video tokenizer into embeddings, searched with the configured retriever
among the frames of the offered footage in the material database, and the nearest frames
vote for the clip that plays (:func:`autocut_core.tokens.grounding.ground_clips`; no clip
twice, a collision goes to the slot's next best vote). A token model's answer then names what
to show by its content, so a clip the backbone was shown under another index, or not at all
(footage-driven grounds among the offered files), can be the one used.

The mode is refused before any indexing when it cannot work: a backbone that does not read
tokens gave no tokens to decode, and an untrained tokenizer cannot decode them.
"""

from __future__ import annotations

from collections.abc import Sequence

from autocut_core.components import Backbone
from autocut_core.errors import InputError
from autocut_core.pipelines.gather import Material
from autocut_core.pipelines.request import EditRequest
from autocut_core.tokens.grounding import GroundedClip
from autocut_core.types import Candidate


def check_grounding(request: EditRequest, backbone: Backbone) -> None:
    """Refuse ``--grounding tokens`` up front when the run could not ground anything."""
    if request.grounding_mode != "tokens":
        return
    if not backbone.needs_tokens:
        raise InputError(
            f"--grounding tokens decodes the video tokens the backbone answered about, but "
            f"backbone '{backbone.name}' does not read tokens: choose a token backbone "
            "(--backbone lm) or --grounding index"
        )
    settings = request.settings
    if settings.tokenizer is None:
        raise InputError("--grounding tokens needs a video tokenizer: configure --tokenizer")
    tokenizer = settings.create("tokenizer")
    if tokenizer.trained_on() is None:
        raise InputError(
            f"--grounding tokens: tokenizer '{tokenizer.name}' is not trained, so the clips' "
            "tokens cannot be decoded: set its checkpoint (--tokenizer-opt checkpoint=DIR; "
            "autocut tokenizer train writes one)"
        )


def ground(
    request: EditRequest,
    material: Material,
    clips: Sequence[Candidate],
    pool: Sequence[Candidate],
    scores: Sequence[float],
) -> tuple[list[Candidate], list[float | None], list[GroundedClip], list[str]]:
    """The clips to play (each replaced by the pool clip its tokens ground to, under
    ``tokens``), their scores (none for a replaced clip: the backbone scored another one),
    what grounding did per slot, and a note per replaced clip."""
    given: list[float | None] = list(scores)
    if request.grounding_mode != "tokens":
        return list(clips), given, [], []
    from autocut_core.tokens.grounding import ground_clips

    settings = request.settings
    with request.progress.stage("ground clips from tokens", total=len(clips)) as stage:
        grounded = ground_clips(
            material.db,
            settings.create("tokenizer"),
            clips,
            pool,
            settings.retriever,
            settings.options_for("retriever", settings.retriever),
        )
        stage.update(len(clips))
    chosen = [pool[found.unit] for found in grounded]
    notes = [
        f"slot {number}: its tokens ground to clip {found.grounded} of "
        f"{_name(pool[found.unit])}, not the asked {found.asked} "
        f"({found.votes} of {found.frames} frames, cosine {found.score:.3f})"
        for number, found in enumerate(grounded, start=1)
        if found.changed
    ]
    if given:
        given = [
            None if found.changed else score for score, found in zip(given, grounded, strict=True)
        ]
    return chosen, given, grounded, notes


def _name(candidate: Candidate) -> str:
    from pathlib import Path

    return Path(candidate.source_path).name if candidate.source_path else candidate.clip.source_id
