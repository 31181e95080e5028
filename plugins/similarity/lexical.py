"""Word and character overlap: the text similarity that needs no model at all.

Used when no text encoder is configured or installed, and blended into an encoder's scores
(exact shared words are strong evidence that a sentence and a caption speak of the same thing,
which a small sentence encoder sometimes underrates). Latin-script text is split into words,
case-folded, stripped of English function words and of plural endings; CJK text has no spaces,
so it is cut into overlapping character bigrams (plus single characters, which carry meaning
in Chinese: 鞋 "shoe"). Terms are weighted by TF-IDF over the texts of one call, so a word every
caption shares ("product", the brand) counts for little.

What it cannot do: synonyms and paraphrases ("sneakers" vs "running shoes") score zero, and
two languages never meet. That is what an encoder is for.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autocut_core.text import is_cjk

if TYPE_CHECKING:
    import numpy as np

#: Single CJK characters count less than bigrams (a shared character is weaker evidence).
CJK_UNIGRAM_WEIGHT = 0.5

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORD_TEXT = """a an the and or but of to in on at by for with from into onto over under as is are was
    were be been being it its this that these those there here you your yours we our us they
    them their he she his her i me my not no so too very can will just than then up down out
    about all any each every some such only own same do does did doing have has had having
    what which who whom when where why how"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def terms(text: str) -> dict[str, float]:
    """The weighted terms of ``text``: stemmed words and CJK character n-grams."""
    counts: defaultdict[str, float] = defaultdict(float)
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        for run, cjk in _runs(word):
            if cjk:
                for char in run:
                    counts["c:" + char] += CJK_UNIGRAM_WEIGHT
                for first, second in itertools.pairwise(run):
                    counts["b:" + first + second] += 1.0
            elif run not in _STOPWORDS:
                counts["w:" + _stem(run)] += 1.0
    return counts


def similarity(queries: Sequence[str], documents: Sequence[str]) -> np.ndarray:
    """TF-IDF cosine similarity ``[len(queries), len(documents)]`` in [0, 1]."""
    import numpy as np

    bags = [terms(text) for text in (*queries, *documents)]
    frequency: Counter[str] = Counter(term for bag in bags for term in bag)
    vocabulary = {term: column for column, term in enumerate(sorted(frequency))}
    total = len(bags)
    idf = {term: math.log((1 + total) / (1 + count)) + 1.0 for term, count in frequency.items()}
    matrix = np.zeros((total, max(len(vocabulary), 1)), dtype=np.float64)
    for row, bag in enumerate(bags):
        for term, count in bag.items():
            matrix[row, vocabulary[term]] = (1.0 + math.log(count)) * idf[term]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    scores = matrix[: len(queries)] @ matrix[len(queries) :].T
    return scores.astype(np.float32)


def _runs(word: str) -> list[tuple[str, bool]]:
    """``"跑鞋pro"`` -> ``[("跑鞋", True), ("pro", False)]``."""
    runs: list[tuple[str, bool]] = []
    for char in word:
        cjk = is_cjk(char)
        if runs and runs[-1][1] == cjk:
            runs[-1] = (runs[-1][0] + char, cjk)
        else:
            runs.append((char, cjk))
    return runs


def _stem(word: str) -> str:
    """A deliberately tiny English stemmer: plural and possessive endings only, so that
    "shoes" meets "shoe" without turning "glass" into "glas"."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
