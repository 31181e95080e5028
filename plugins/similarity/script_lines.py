"""Zero-shot script writing: the product's own words, each put under the clip it fits best.

A similarity model cannot write; it can only choose. So each line is one of the product's
selling points, or else a sentence of its description, matched to the clips by an assignment
on text-to-clip similarity (selling points first: they are what the ad is for). When there
are more clips than such sentences, the rest get "<product name>: <clip caption>" where the
caption is in the product's language, else the product name alone. Lines are never empty and
end with the punctuation of the product's language (``.`` or ``。``).

What it cannot do: invent copy, vary wording, or keep to a voice-over length; those need a
language model (the ``lm`` backbone).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from autocut_core.editing.assignment import assign
from autocut_core.inputs import split_sentences
from autocut_core.text import detect_language
from autocut_core.types import Candidate, Product, Script

if TYPE_CHECKING:
    from .scoring import ClipScorer

_CJK_LANGUAGES = ("zh", "ja")
_ENDINGS = ".!?。！？…」』\"'”’)"


def product_language(product: Product) -> str | None:
    """The writing system of the product's own text (None for Latin-script text)."""
    text = " ".join([product.name, *product.selling_points, product.description])
    return detect_language(text)


def write_lines(product: Product, candidates: Sequence[Candidate], scorer: ClipScorer) -> Script:
    """One line per candidate, in candidate order, in the product's language."""
    import numpy as np

    language = product_language(product)
    points = _distinct(product.selling_points)
    described = [s for s in _distinct(split_sentences(product.description)) if s not in points]
    pool = points + described
    lines: list[str | None] = [None] * len(candidates)
    if pool and candidates:
        scores = np.asarray(scorer.scores(pool, candidates), dtype=np.float64)
        # A bonus larger than any score difference: selling points are used before any
        # description sentence, the assignment only decides which clip gets which.
        spread = float(scores.max() - scores.min()) if scores.size else 0.0
        scores[: len(points)] += spread + 1.0
        for row, column, _ in assign(scores):
            lines[column] = pool[row]
    written = [
        _finish(line if line is not None else _fallback(product, candidate, language), language)
        for line, candidate in zip(lines, candidates, strict=True)
    ]
    return Script(sentences=tuple(written), language=language)


def _fallback(product: Product, candidate: Candidate, language: str | None) -> str:
    name = " ".join(product.name.split()) or product.brand or product.category or "—"
    caption = " ".join(candidate.caption.split())
    if caption and detect_language(caption) == language:
        separator = "：" if language in _CJK_LANGUAGES else ": "
        return f"{name}{separator}{caption}"
    return name


def _finish(line: str, language: str | None) -> str:
    line = " ".join(line.split())
    if language is None and line[:1].islower():
        line = line[0].upper() + line[1:]
    if not line.endswith(tuple(_ENDINGS)):
        # The line's own writing system decides: a Chinese selling point in an English
        # product's script still ends with 。
        line += "。" if detect_language(line) in _CJK_LANGUAGES else "."
    return line


def _distinct(texts: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for text in texts:
        cleaned = " ".join(text.split())
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return seen
