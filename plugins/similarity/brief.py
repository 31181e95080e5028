"""Whole-ad selection: each clip's fit to the whole brief, blended into its fit per sentence.

Scoring a clip against one sentence at a time throws away what tells an ad's own clips from
distractors of other ads: a shot of the product on a table fits no single line well, but it
fits the ad (its name, category and selling points, and the script as a whole). So ``select``
scores every clip twice in the same text space, against each sentence (``S``, one row per
sentence) and against the brief (``b``, one value per clip: product facts and the full script
as one text), and assigns sentences to clips on

    M[i, j] = (1 - brief_weight) * S[i, j] + brief_weight * b[j]

A weighted sum of two similarities of one space, so the scores stay on the scale of the
space's cosines. ``b`` is the same for every sentence, so it never changes which sentence a
clip goes to, only which clips are picked at all; for the same reason it cannot change a
``sort`` (every clip is placed once, and a per-clip constant adds the same to every full
assignment), which stays the joint assignment of all sentences at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.types import Product, Script


def brief_text(product: Product, script: Script) -> str:
    """The product's facts and the whole script, as one text to match a clip against."""
    facts = [product.name, product.brand, product.category, product.description,
             *product.selling_points, *script.sentences]  # fmt: skip
    return " ".join(text.strip() for text in facts if text and text.strip())


def blend(per_sentence: np.ndarray, whole: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) * per_sentence + weight * whole`` with ``whole`` (one value per clip)
    added to every sentence's row."""
    import numpy as np

    if weight == 0:
        return per_sentence
    mixed = (1 - weight) * per_sentence + weight * np.asarray(whole)[None, :]
    return mixed.astype(np.float32)
