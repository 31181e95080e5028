"""Start the new token rows from the text they appear with, not all from one mean row.

Extending the vocabulary makes every ``<v_h_c>`` and ``<a_h_c>`` row the same vector (the mean
of the base rows), so the first steps of training must first tell hundreds of identical tokens
apart. The training corpus already says what each code means: a clip's frame tokens sit next to
the sentence spoken over that clip, and an ad's music tokens next to its product facts and
script. ``--init-rows text`` starts each new row from that text:

    row(t) = mean_row + shrink(n_t) * scale * (mean of the contexts of t - mean of all contexts)

where a context's vector is the mean base input embedding of its text tokens (a clip's
sentence for frame tokens, the whole document's text for music tokens), ``n_t`` the number of
contexts ``t`` appears in, ``shrink(n) = n / (n + 2)`` and ``scale`` brings the typical offset
to the size of a typical base row. A code the corpus never shows keeps the mean row. Markers
keep the mean row too: they are structure, not content. This is an initialisation only: the
rows are trained afterwards as before (and the run's fingerprint records the choice).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from autocut_plugins.lm.vocab import row_matrices

from autocut_core.tokens.strings import MARKERS

#: Contexts needed before a code's offset counts fully (see ``shrink`` above).
SHRINK_PRIOR = 2.0
KINDS = ("video", "audio")


def text_informed_rows(
    model: Any, tokenizer: Any, base_rows: int, documents: Sequence[Sequence[int]]
) -> dict[str, int]:
    """Set the modality-token rows of ``model`` from ``documents`` (token id lists, one per
    document); return how many frame and music codes got a row from the text."""
    import torch

    vocab = tokenizer.get_vocab()
    clip_start, clip_end = vocab.get("<|clip_start|>"), vocab.get("<|clip_end|>")
    markers = {vocab[marker] for marker in MARKERS if marker in vocab}
    is_video = _kind_of(tokenizer, base_rows, "<v_")
    is_audio = _kind_of(tokenizer, base_rows, "<a_")
    embeddings = model.get_input_embeddings().weight
    base = embeddings[:base_rows].detach().double()
    sums = torch.zeros(embeddings.shape[0], base.shape[1], dtype=torch.float64)
    counts = torch.zeros(embeddings.shape[0], dtype=torch.float64)
    context_totals = {kind: torch.zeros(base.shape[1], dtype=torch.float64) for kind in KINDS}
    context_counts = dict.fromkeys(KINDS, 0)

    def add(kind: str, text: list[int], codes: list[int]) -> None:
        if not text or not codes:
            return
        vector = base[torch.tensor(text)].mean(dim=0)
        index = torch.tensor(codes)
        sums.index_add_(0, index, vector.expand(len(codes), -1).contiguous())
        counts.index_add_(0, index, torch.ones(len(codes), dtype=torch.float64))
        context_totals[kind] += vector
        context_counts[kind] += 1

    for ids in documents:
        document_text = [i for i in ids if i < base_rows and i not in markers]
        add("audio", document_text, [i for i in ids if i in is_audio])
        inside = False
        text: list[int] = []
        codes: list[int] = []
        for token in ids:
            if token == clip_start:
                inside, text, codes = True, [], []
            elif token == clip_end and inside:
                add("video", text, codes)
                inside = False
            elif inside and token in is_video:
                codes.append(token)
            elif inside and token < base_rows and token not in markers:
                text.append(token)

    filled = dict.fromkeys(KINDS, 0)
    with torch.no_grad():
        mean_row = base.mean(dim=0)
        typical_norm = base.norm(dim=1).median()
        for kind, members in (("video", is_video), ("audio", is_audio)):
            seen = [t for t in sorted(members) if counts[t] > 0]
            if not seen or context_counts[kind] == 0:
                continue
            centre = context_totals[kind] / context_counts[kind]
            index = torch.tensor(seen)
            offsets = sums[index] / counts[index, None] - centre
            typical_offset = offsets.norm(dim=1).median().clamp_min(1e-12)
            shrink = counts[index] / (counts[index] + SHRINK_PRIOR)
            rows = mean_row + offsets * (typical_norm / typical_offset) * shrink[:, None]
            for matrix in row_matrices(model):
                matrix[index] = rows.to(matrix.dtype)
            filled[kind] = len(seen)
    return filled


def _kind_of(tokenizer: Any, base_rows: int, prefix: str) -> set[int]:
    """Ids of the added tokens whose text starts with ``prefix`` (``<v_`` or ``<a_``)."""
    return {
        i
        for token, i in tokenizer.get_vocab().items()
        if i >= base_rows and token.startswith(prefix)
    }
