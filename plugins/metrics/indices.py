"""Clip selection (CSA) and clip order (CRA) metrics of the paper's Table 1 (§4.2).

Each metric is named for the definition it follows. The paper's definitions keep the plain
names, because they are what Table 1 reports; the project's stricter variants carry a suffix:

``selection``
    ``csa`` (paper): 1 when every positive clip is among the picks, extra picks allowed;
    its mean over samples is the paper's CSA = N_select / N_total. ``csa_exact``
    (project): 1 only when the picks are exactly the positives. ``recall``, ``precision``.
``ordering``
    ``cra`` (paper and project): 1 when the order is exactly the reference's.
    ``pairwise`` (paper): the share of clip pairs in the reference's relative order, over
    well-formed answers only: a malformed answer is left out of the mean, as the paper skips
    it. ``pairwise_strict`` (project): a malformed answer counts 0. ``kendall_tau`` and
    ``kendall_tau_strict`` are ``2 * pairwise - 1`` of each (no ties in a permutation), so a
    malformed answer is left out of ``kendall_tau`` and counts -1 in ``kendall_tau_strict``,
    and mean tau = 2 * mean pairwise - 1 holds for both pairs.

Malformed answers (a repeated index, one outside the pool, a sequence that is not a
permutation) are flagged with ``valid = 0`` instead of raising: a model that answers badly
scores badly, and the harness counts how often.
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
    description = "CSA (paper: every positive picked), CSA exact set, recall and precision"
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
            # A malformed answer earns nothing under either definition: it is still an
            # evaluated sample (N_total), and an index outside the pool picked no clip.
            "csa": float(valid and positives <= chosen),
            "csa_exact": float(valid and chosen == positives),
            "recall": hits / len(positives) if positives else float(not chosen),
            "precision": hits / len(chosen) if chosen else float(not positives),
            "valid": float(valid),
        }


class OrderingEvaluator(Evaluator):
    """Prediction and reference: permutations of the same items (``order[i]`` shown i-th).

    A prediction that is not a permutation of the reference's items is malformed: CRA and the
    strict variants score it 0 (tau -1), the paper's ``pairwise`` and ``kendall_tau`` leave it
    out (:meth:`aggregate` averages each metric over the samples that have it).
    """

    name = "ordering"
    description = "CRA (exact order), pairwise and Kendall's tau (paper: malformed skipped; strict)"
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
            return {"cra": 0.0, "pairwise_strict": 0.0, "kendall_tau_strict": -1.0, "valid": 0.0}
        position = {item: index for index, item in enumerate(predicted)}
        pairs = list(combinations(reference, 2))
        concordant = sum(1 for a, b in pairs if position[a] < position[b])
        pairwise = concordant / len(pairs) if pairs else 1.0
        tau = 2.0 * pairwise - 1.0
        return {
            "cra": float(predicted == reference),
            "pairwise": pairwise,
            "pairwise_strict": pairwise,
            "kendall_tau": tau,
            "kendall_tau_strict": tau,
            "valid": 1.0,
        }
