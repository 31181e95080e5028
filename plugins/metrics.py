"""Selection and ordering metrics of the paper's Table 1 (§4.2).

``selection``: CSA is the share of samples whose selected set is exactly the positives; per
sample it is 1 or 0, so its mean over samples is the paper's figure. ``ordering``: CRA is the
share of exact orders; pairwise accuracy and Kendall's tau give partial credit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations
from typing import Any

from autocut_core import hookimpl
from autocut_core.components import Evaluator
from autocut_core.types import Ordering, Selection


def _indices(value: Any) -> list[int]:
    if isinstance(value, Selection):
        return list(value.indices)
    if isinstance(value, Ordering):
        return list(value.order)
    if value is None:
        return []
    return [int(item) for item in value]


class SelectionEvaluator(Evaluator):
    """Prediction: chosen candidate indices. Reference: the positive indices."""

    name = "selection"
    description = "CSA (exact set), recall and precision of clip selection"
    task = "select"

    def score_batch(
        self, predictions: Sequence[Any], references: Sequence[Iterable[int]]
    ) -> list[dict[str, float]]:
        return [
            self._score(_indices(p), set(_indices(r)))
            for p, r in zip(predictions, references, strict=True)
        ]

    @staticmethod
    def _score(predicted: list[int], positives: set[int]) -> dict[str, float]:
        chosen = set(predicted)
        hits = len(chosen & positives)
        return {
            "csa": float(chosen == positives and len(chosen) == len(predicted)),
            "recall": hits / len(positives) if positives else float(not chosen),
            "precision": hits / len(chosen) if chosen else float(not positives),
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
            self._score(_indices(p), _indices(r))
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


@hookimpl
def register_evaluators(register):
    register(SelectionEvaluator)
    register(OrderingEvaluator)
