"""Evaluators of the paper's Table 1 (§4.2), one per task.

- ``selection`` (select): CSA, ``csa_exact``, recall, precision;
- ``ordering`` (sort): CRA, pairwise accuracy and Kendall's tau, each also ``_strict``;
- ``script`` (script): clip-level WCD, ``wcd_units``, ad-level WCD, line-count agreement;
- ``music`` (music): Hit@k, MRR and ``mss_proxy`` (an audio-embedding stand-in for MSS).

A metric with the paper's name follows the paper's definition (so Table 1 can be reproduced);
the project's stricter variants have names of their own. Every evaluator flags malformed
predictions instead of raising, so a model's bad answers are scored as wrong (or, where the
paper does so, left out); ``docs/evaluation.md`` gives each formula.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocut_core import hookimpl
from autocut_core.lazy import lazy_exports
from autocut_core.text import count_units

if TYPE_CHECKING:
    from .indices import OrderingEvaluator, SelectionEvaluator
    from .music import MusicEvaluator
    from .script import ScriptEvaluator

__all__ = [
    "MusicEvaluator",
    "OrderingEvaluator",
    "ScriptEvaluator",
    "SelectionEvaluator",
    "count_units",
]

# The evaluator modules load on first use (the registry, or a name looked up here), so that
# ``autocut --help``, which imports every plugin, does not pay for them.
__getattr__ = lazy_exports(
    __name__,
    {
        "MusicEvaluator": ".music",
        "OrderingEvaluator": ".indices",
        "ScriptEvaluator": ".script",
        "SelectionEvaluator": ".indices",
    },
)


@hookimpl
def register_evaluators(register):
    from .indices import OrderingEvaluator, SelectionEvaluator
    from .music import MusicEvaluator
    from .script import ScriptEvaluator

    register(SelectionEvaluator)
    register(OrderingEvaluator)
    register(ScriptEvaluator)
    register(MusicEvaluator)
