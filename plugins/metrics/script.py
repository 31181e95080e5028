"""Script metrics: the paper's clip-level Word Count Discrepancy (WCD) and line agreement.

Per sample (one ad), line ``i`` of the prediction against line ``i`` of the reference:

- ``wcd`` (paper, §4.2): ``mean_i |len_i(pred) - len_i(ref)|`` where ``len`` counts every
  character of the line, punctuation included (surrounding whitespace excepted), and the
  mean runs over the longer script's lines with a missing line counted as 0 characters. So
  a missing or extra line costs its whole length, and an empty answer scores the reference's
  mean line length;
- ``wcd_units`` (project): ``mean_i |n_i(pred) - n_i(ref)|`` over the lines both scripts
  have, where ``n`` counts what a narrator speaks (:func:`autocut_core.text.count_units`:
  Chinese/Japanese characters plus the words between them, no punctuation; the ``unit``
  option); an answer with no lines is compared with empty lines;
- ``wcd_ad`` (project): ``|sum_i n_i(pred) - sum_i n_i(ref)|``, every line counted: the
  whole ad's speaking length;
- ``line_agreement``: 1 when both have the same number of lines, else 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import zip_longest
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
        description="What a line's length counts in wcd_units and wcd_ad (the paper's wcd "
        "always counts every character): auto = Chinese/Japanese characters plus the words "
        "between them; words; characters (letters and digits)",
    )


class ScriptEvaluator(Evaluator[ScriptSettings]):
    """Prediction and reference: the script's lines, one per clip, in clip order."""

    name = "script"
    description = "WCD (paper: every character, longer script), WCD in spoken units, per ad"
    task = "script"

    def score_batch(
        self, predictions: Sequence[Any], references: Sequence[Any]
    ) -> list[dict[str, float]]:
        return [
            self._score(as_lines(p), as_lines(r))
            for p, r in zip(predictions, references, strict=True)
        ]

    def _score(self, predicted: list[str], reference: list[str]) -> dict[str, float]:
        unit = self.settings.unit
        spoken_predicted = [count_units(line, unit) for line in predicted]
        spoken_reference = [count_units(line, unit) for line in reference]
        return {
            "wcd": paper_wcd(predicted, reference),
            "wcd_units": aligned_wcd(spoken_predicted, spoken_reference),
            "wcd_ad": float(abs(sum(spoken_predicted) - sum(spoken_reference))),
            "line_agreement": float(len(predicted) == len(reference)),
        }


def paper_wcd(predicted: Sequence[str], reference: Sequence[str]) -> float:
    """The paper's clip-level WCD: characters per line, over the longer script (0 if both are
    empty), a line the other script lacks counting 0."""
    pairs = list(zip_longest(predicted, reference, fillvalue=""))
    if not pairs:
        return 0.0
    return sum(abs(len(p.strip()) - len(r.strip())) for p, r in pairs) / len(pairs)


def aligned_wcd(predicted: Sequence[int], reference: Sequence[int]) -> float:
    """The project's WCD: spoken units per line, over the lines both have; with no line in
    one of them, the other's mean length (an empty answer is never a perfect 0)."""
    aligned = min(len(predicted), len(reference))
    if aligned:
        pairs = zip(predicted[:aligned], reference[:aligned], strict=True)
        return sum(abs(p - r) for p, r in pairs) / aligned
    only = predicted or reference
    return sum(only) / len(only) if only else 0.0
