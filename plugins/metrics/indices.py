"""Clip selection (CSA) and clip order (CRA) metrics of the paper's Table 1 (§4.2).

``selection``: CSA is the share of samples whose selected set is exactly the positives; per
sample it is 1 or 0, so its mean over samples is the paper's figure. ``ordering``: CRA is the
share of exact orders; pairwise accuracy and Kendall's tau give partial credit.

Both flag malformed answers with ``valid = 0`` (a repeated index, one outside the pool, a
sequence that is not a permutation) instead of raising: a model that answers badly scores
badly, and the harness counts how often.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations
from typing import Any

from autocut_core.components import Evaluator
from autocut_core.types import Ordering, Selection


def as_indices(value: Any, key: str) -> list[int]:
    """Indices from a :class:`Selection`/:class:`Ordering`, a list, None (nothing), or a
    mapping holding them under ``key`` (the SFT ``meta["answer"]`` layout)."""
    if isinstance(value, Selection):
        return list(value.indices)
    if isinstance(value, Ordering):
        return list(value.order)
    if isinstance(value, Mapping):
        return as_indices(value.get(key), key)
    if value is None:
        return []
    return [int(item) for item in value]


def pool_size(reference: Any) -> int | None:
    """How many candidates were offered, when the reference says (``{"pool": n}``)."""
    if isinstance(reference, Mapping) and reference.get("pool") is not None:
        return int(reference["pool"])
    return None


class SelectionEvaluator(Evaluator):
    """Prediction: chosen candidate indices. Reference: the positive indices, optionally as
    ``{"indices": [...], "pool": n}`` so that indices outside the pool are flagged."""

    name = "selection"
    description = "CSA (exact set), recall and precision of clip selection"
    task = "select"

    def score_batch(
        self, predictions: Sequence[Any], references: Sequence[Any]
    ) -> list[dict[str, float]]:
        return [
            self._score(as_indices(p, "indices"), as_indices(r, "indices"), pool_size(r))
            for p, r in zip(predictions, references, strict=True)
        ]

    @staticmethod
    def _score(predicted: list[int], reference: list[int], pool: int | None) -> dict[str, float]:
        chosen, positives = set(predicted), set(reference)
        hits = len(chosen & positives)
        in_pool = all(index >= 0 and (pool is None or index < pool) for index in chosen)
        valid = len(chosen) == len(predicted) and in_pool
        return {
            "csa": float(chosen == positives and len(chosen) == len(predicted)),
            "recall": hits / len(positives) if positives else float(not chosen),
            "precision": hits / len(chosen) if chosen else float(not positives),
            "valid": float(valid),
        }


class OrderingEvaluator(Evaluator):
    """Prediction and reference: permutations of the same items (``order[i]`` shown i-th).

    A prediction that is not a permutation of the reference's items scores 0 on every metric
    and ``valid = 0``, so a model cannot earn credit by repeating or dropping clips.
    """

    name = "ordering"
    description = "CRA (exact order), pairwise order accuracy and Kendall's tau"
    task = "sort"

    def score_batch(
        self, predictions: Sequence[Any], references: Sequence[Any]
    ) -> list[dict[str, float]]:
        return [
            self._score(as_indices(p, "order"), as_indices(r, "order"))
            for p, r in zip(predictions, references, strict=True)
        ]

    @staticmethod
    def _score(predicted: list[int], reference: list[int]) -> dict[str, float]:
        if sorted(predicted) != sorted(reference) or len(set(reference)) != len(reference):
            return {"cra": 0.0, "pairwise": 0.0, "kendall_tau": 0.0, "valid": 0.0}
        position = {item: index for index, item in enumerate(predicted)}
        pairs = list(combinations(reference, 2))
        concordant = sum(1 for a, b in pairs if position[a] < position[b])
        pairwise = concordant / len(pairs) if pairs else 1.0
        return {
            "cra": float(predicted == reference),
            "pairwise": pairwise,
            "kendall_tau": 2.0 * pairwise - 1.0,
            "valid": 1.0,
        }
