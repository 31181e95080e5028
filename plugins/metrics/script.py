"""Script metrics: the paper's clip-level Word Count Discrepancy (WCD) and line agreement.

Per sample (one ad), with ``n_i`` the length of line ``i`` (see :mod:`.words`):

- ``wcd``: ``mean_i |n_i(pred) - n_i(ref)|`` over the lines both scripts have (the paper's
  clip-level WCD: one line plays under one clip);
- ``wcd_ad``: ``|sum_i n_i(pred) - sum_i n_i(ref)|``, every line counted: the whole ad's
  speaking length;
- ``line_agreement``: 1 when both have the same number of lines, else 0 (the flag: such a
  prediction is scored on its aligned lines only, and ``wcd_ad`` still sees the rest).

A prediction with no lines at all is compared line by line with empty lines, so an empty
answer scores the reference's own mean length, never a perfect 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field

from autocut_core.components import ComponentSettings, Evaluator
from autocut_core.text import count_units
from autocut_core.types import Script


def as_lines(value: Any) -> list[str]:
    """Lines from a :class:`Script`, a list, one text with a line per row, ``{"lines": [...]}``
    (the SFT answer layout) or None (no answer)."""
    if isinstance(value, Script):
        return list(value.sentences)
    if isinstance(value, Mapping):
        return as_lines(value.get("lines"))
    if value is None:
        return []
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return [str(line) for line in value]


class ScriptSettings(ComponentSettings):
    unit: Literal["auto", "words", "characters"] = Field(
        "auto",
        description="What a line's length counts: auto = Chinese/Japanese characters plus "
        "the words between them; words; characters (letters and digits)",
    )


class ScriptEvaluator(Evaluator[ScriptSettings]):
    """Prediction and reference: the script's lines, one per clip, in clip order."""

    name = "script"
    description = "WCD per clip and per ad (characters for Chinese/Japanese), line agreement"
    task = "script"

    def score_batch(
        self, predictions: Sequence[Any], references: Sequence[Any]
    ) -> list[dict[str, float]]:
        unit = self.settings.unit
        return [
            self._score(
                [count_units(line, unit) for line in as_lines(p)],
                [count_units(line, unit) for line in as_lines(r)],
            )
            for p, r in zip(predictions, references, strict=True)
        ]

    @staticmethod
    def _score(predicted: list[int], reference: list[int]) -> dict[str, float]:
        aligned = min(len(predicted), len(reference))
        if aligned:
            pairs = zip(predicted[:aligned], reference[:aligned], strict=True)
            wcd = sum(abs(p - r) for p, r in pairs) / aligned
        else:
            only = predicted or reference
            wcd = sum(only) / len(only) if only else 0.0
        return {
            "wcd": float(wcd),
            "wcd_ad": float(abs(sum(predicted) - sum(reference))),
            "line_agreement": float(len(predicted) == len(reference)),
        }
