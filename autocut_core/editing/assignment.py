"""Optimal one-to-one matching of texts to clips (the Hungarian method, via SciPy).

Picking each sentence's best clip independently can give one clip to three sentences; an
assignment gives every sentence a different clip and maximises the total fit. Ties (equal
totals, common when scores are all zero or captions repeat) are broken towards the original
order: among equally good matchings the one that moves candidates least wins, so a backbone
with no evidence returns the candidates as they came.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

#: Doubles hold integers exactly up to 2**53; the costs stay below this with room to sum.
_EXACT = 2.0**50


def assign(scores: np.ndarray) -> list[tuple[int, int, float]]:
    """The maximum-total matching of rows (texts) to columns (clips): ``min(rows, cols)``
    triples ``(row, column, score)``, ordered by row.

    Scores are compared at a resolution that keeps the tie-break exact: each cost is
    ``quantised score * (P + 1) + |row - column|``, where P bounds the summed displacement,
    so displacement decides only between matchings of equal quantised total.
    """
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    matrix = np.asarray(scores, dtype=np.float64)
    rows, columns = matrix.shape
    if rows == 0 or columns == 0:
        return []
    if not np.isfinite(matrix).all():
        raise ValueError("similarity scores contain NaN or infinity")
    pairs = min(rows, columns)
    bound = pairs * max(rows, columns)  # the summed |row - column| of any matching is below
    largest = float(np.abs(matrix).max())
    levels = _EXACT / ((bound + 1) * pairs * max(largest, 1e-12))
    quantised = np.rint(matrix * min(levels, 1e6 / max(largest, 1e-12)))
    displacement = np.abs(np.arange(rows)[:, None] - np.arange(columns)[None, :])
    cost = -quantised * (bound + 1) + displacement
    row_index, column_index = linear_sum_assignment(cost)
    return [
        (int(r), int(c), float(matrix[r, c]))
        for r, c in sorted(zip(row_index, column_index, strict=True))
    ]


def select(scores: np.ndarray, count: int) -> list[tuple[int, int, float]]:
    """``count`` distinct columns covering the rows: each round gives every row a new column
    (an assignment over the columns left), so a 3-sentence script asking for 6 clips gets two
    per sentence. Returns ``(column, row, score)`` best first: earlier rounds first, then by
    score, then by row."""
    chosen = _rounds(scores, count)
    chosen.sort(key=lambda item: (item[0], -item[3], item[2]))
    return [(column, row, score) for _, column, row, score in chosen]


def order(scores: np.ndarray) -> list[tuple[int, float]]:
    """A permutation of the columns so that the i-th plays under row i: ``(column, score)``
    per position. More columns than rows: the extra ones follow in further rounds (again in
    row order). More rows than columns: each column goes to its best distinct row and they
    play in row order. No rows: the original order, with NaN scores."""
    rows, columns = scores.shape
    if rows == 0:
        return [(column, float("nan")) for column in range(columns)]
    chosen = _rounds(scores, columns)
    chosen.sort(key=lambda item: (item[0], item[2]))  # round by round, in row order
    return [(column, score) for _, column, _, score in chosen]


def _rounds(scores: np.ndarray, count: int) -> list[tuple[int, int, int, float]]:
    """``(round, column, row, score)`` for ``count`` columns, assigned round by round."""
    import numpy as np

    matrix = np.asarray(scores)
    rows, columns = matrix.shape
    remaining = list(range(columns))
    chosen: list[tuple[int, int, int, float]] = []
    round_number = 0
    while len(chosen) < count and remaining and rows:
        pairs = assign(matrix[:, remaining])
        needed = count - len(chosen)
        if len(pairs) > needed:  # the last round: keep its best pairs
            pairs = sorted(pairs, key=lambda p: (-p[2], p[0]))[:needed]
        for row, local, score in pairs:
            chosen.append((round_number, remaining[local], row, score))
        taken = {remaining[local] for _, local, _ in pairs}
        remaining = [column for column in remaining if column not in taken]
        round_number += 1
    return chosen
