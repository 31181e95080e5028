"""Music grounding: from the audio codes the model wrote to a track the user owns (paper §7.2).

The model writes one track's codes, which rarely equal any library track's codes exactly.
Both are decoded by the audio tokenizer into vectors of the audio encoder's space, and the
tracks are ranked by cosine to the written one through a retriever (``exact`` by default),
the same grounding :func:`autocut_core.tokens.grounding.ground_tokens` does for clips.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autocut_core.errors import InputError
from autocut_core.types import MusicCandidate

if TYPE_CHECKING:
    import numpy as np

#: The score of a track an approximate retriever did not return: below every cosine.
NOT_FOUND = -2.0


def track_codes(tracks: Sequence[MusicCandidate], heads: int, codebook_size: int) -> np.ndarray:
    """Each track's ``[heads]`` codes from its tokens (bare ``<a_h_c>``, as the pipeline writes)."""
    import numpy as np

    from autocut_core.tokens.strings import TokenParseError, parse_codes

    rows = []
    seen: set[str] = set()
    for track in tracks:
        where = f"track {track.track.track_id} ({track.track.path})"
        if track.track.track_id in seen:
            raise InputError(f"{where} is offered twice")
        seen.add(track.track.track_id)
        if not track.tokens:
            raise InputError(
                f"{where} has no audio tokens: the lm backbone chooses music by its tokens; "
                "configure --audio-tokenizer (autocut run fills them in for backbones that "
                "read tokens)"
            )
        try:
            codes = parse_codes(track.tokens, "a", heads, codebook_size)
        except TokenParseError as error:
            raise InputError(
                f"{where}: its tokens do not fit the model's {heads} x {codebook_size} audio "
                f"grid: {error.reason}"
            ) from None
        if len(codes) != 1:
            raise InputError(f"{where}: {len(codes)} vectors of audio tokens, expected one")
        rows.append(codes[0])
    return np.stack(rows)


def vector_scores(
    written: str,
    codes: np.ndarray,
    ids: Sequence[str],
    tokenizer: Any,
    retriever_name: str = "exact",
) -> list[float]:
    """Cosine of each track (``codes`` ``[n, heads]``, ``ids``) to the ``written`` codes."""
    import numpy as np

    from autocut_core.plugins import get_registry
    from autocut_core.tokens.grounding import decode_tokens

    query = decode_tokens(written, tokenizer)
    vectors = np.asarray(tokenizer.decode_batch(codes), dtype=np.float32)
    retriever = get_registry().create("retriever", retriever_name)
    retriever.build(list(ids), vectors)
    hits = retriever.search(query, k=len(ids))[0]
    found = {hit.id: hit.score for hit in hits}
    return [float(found.get(track_id, NOT_FOUND)) for track_id in ids]
