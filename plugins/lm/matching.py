"""Select and sort by likelihood: how well each clip's frame tokens follow each sentence.

The alignment stage teaches the model which frame codes come after which sentence, in the
layout of the alignment corpus (``<|ad_start|>`` facts, then per clip
``<|clip_start|><|text_start|>SENTENCE<|text_end|><|video_start|>`` frames). With
``matching = "likelihood"`` the backbone reads that knowledge out directly instead of
asking the model to write indices: every (sentence, clip) pair is scored by the mean
log-probability of the clip's frame codes after the sentence (each head renormalised over its
own codes, as constrained decoding would choose them), less that clip's mean over the
script's sentences, and the optimal assignment of
sentences to clips (:mod:`autocut_core.editing.assignment`) gives the selection or the order.

Why both exist: writing ``[2, 0, 1]`` asks the model to find, for each sentence, the clip
whose codes match it and copy that clip's number, a two-step lookup that a small model
fine-tuned for half an hour on a CPU does not learn (the demo model's sort is at chance when
it writes its answer, see examples/demo/model/eval.md), while the pairwise likelihood uses
only what the first stage learned. It costs one short forward pass per sentence plus one
batched pass over the clips, about what writing the answer costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autocut_core.editing.profiles import DEFAULT_PROFILE, Profile, get_profile
from autocut_core.editing.prompts import clip_block
from autocut_core.types import Candidate, Product

if TYPE_CHECKING:
    import numpy as np

#: Stands for the frames in a clip block, to cut the block where the frames begin.
_FRAMES = "\0"


def sentence_prefix(
    product: Product, sentence: str, lang: str, profile: Profile | None = None
) -> str:
    """The alignment text (of ``profile``, default AutoCut's) up to where a clip's frames
    would follow ``sentence``."""
    block = clip_block(_FRAMES, sentence)
    opening = (profile or get_profile(DEFAULT_PROFILE)).ad_opening(product, lang)
    return opening + block[: block.index(_FRAMES)]


def clip_scores(
    model: Any,
    tokenizer: Any,
    head_ids: Sequence[Any],
    product: Product,
    sentences: Sequence[str],
    candidates: Sequence[Candidate],
    lang: str,
    profile: Profile | None = None,
) -> np.ndarray:
    """``[sentences, candidates]``: mean log-probability per frame code of each candidate's
    frames following each sentence, over the clip's average (:func:`fit_over_prior`; higher:
    the clip fits the sentence better)."""
    import numpy as np
    from autocut_plugins.lm.generate import continuation_logprobs

    frames = [tokenizer(c.tokens, add_special_tokens=False)["input_ids"] for c in candidates]
    scores = np.zeros((len(sentences), len(candidates)))
    for row, sentence in enumerate(sentences):
        prefix = tokenizer(
            sentence_prefix(product, sentence, lang, profile), add_special_tokens=False
        )
        scored = continuation_logprobs(model, prefix["input_ids"], frames, head_ids)
        scores[row] = [total / count if count else -np.inf for total, count in scored]
    if not np.isfinite(scores).all():
        raise ValueError("a clip without frame tokens cannot be scored by likelihood")
    return fit_over_prior(scores)


def fit_over_prior(scores: np.ndarray) -> np.ndarray:
    """How much more likely each clip is after each sentence than after the script's average
    sentence: the column mean is subtracted (with one sentence there is nothing to compare,
    and the scores stay as they are).

    Some clips are likely after any sentence (their later codes are common ones), some after
    none; a raw likelihood would select the former whatever the script says. An order does
    not change (every clip is used once, so a per-clip constant cancels), a selection does:
    only a clip that one sentence makes likelier than the others stands out.
    """
    if scores.shape[0] < 2:
        return scores
    return scores - scores.mean(axis=0, keepdims=True)


def select(scores: np.ndarray, count: int) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """``count`` distinct clips covering the sentences, best first, with their scores."""
    from autocut_core.editing import assignment

    chosen = assignment.select(scores, count)
    return tuple(column for column, _, _ in chosen), tuple(score for _, _, score in chosen)


def order(scores: np.ndarray) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """The clips in playing order (the i-th under sentence i), with their scores."""
    from autocut_core.editing import assignment

    placed = assignment.order(scores)
    return tuple(column for column, _ in placed), tuple(score for _, score in placed)
