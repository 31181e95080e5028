"""The pieces a filter graph is assembled from: numbered inputs and labelled chains.

Only numbers and fixed names go into a graph. Every file reaches ffmpeg as an ``-i`` argument
(an argv element, with ``file:`` and an absolute path, so ``-x.mp4`` is no option and
``a:b.mp4`` no protocol); the graph refers to it by its input number. :meth:`Graph.text`
refuses a graph holding a character outside the small alphabet numbers, filter names and
labels need, so no path or sentence can ever slip in by a future change.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from autocut_core.media import input_arguments

# Filter names, options, numbers, [labels], ';' between chains and ',' within them,
# '/' and '*' in ratios and expressions, '(' ')' in pad's centring expressions.
_GRAPH_ALPHABET = re.compile(r"^[A-Za-z0-9_=:,;.\[\]/()+\-*]*$")


@dataclass
class InputList:
    """ffmpeg's ``-i`` arguments, in order; :meth:`add` returns the new input's number."""

    arguments: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, path: str, options: Sequence[str] = ()) -> int:
        self.arguments += [*options, *input_arguments(path)]
        self.count += 1
        return self.count - 1


@dataclass
class Graph:
    """Filter chains joined into one ``-filter_complex`` graph."""

    chains: list[str] = field(default_factory=list)

    def add(self, inputs: Sequence[str], filters: Sequence[str], output: str) -> str:
        """Append ``[in]...filter,filter...[output]``; returns ``output`` for chaining."""
        sources = "".join(f"[{label}]" for label in inputs)
        self.chains.append(f"{sources}{','.join(filters)}[{output}]")
        return output

    def text(self) -> str:
        graph = ";\n".join(self.chains)
        if not _GRAPH_ALPHABET.match(graph.replace("\n", "")):
            bad = sorted(set(re.sub(r"[A-Za-z0-9_=:,;.\[\]/()+\-*\n]", "", graph)))
            raise ValueError(f"filter graph holds unexpected characters {bad!r}: {graph[:200]}")
        return graph


def number(value: float | Fraction) -> str:
    """A decimal for a filter option: enough digits for sample accuracy, no exponent."""
    text = f"{float(value):.6f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def rate(value: Fraction) -> str:
    """A frame rate as ffmpeg reads it: ``30`` or ``30000/1001``."""
    return (
        str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    )
