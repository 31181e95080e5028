"""The matching under select and sort: optimal, always a permutation, ties in original order."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocut_core.editing import assignment


def _best_total(scores: np.ndarray) -> float:
    rows, columns = scores.shape
    if rows <= columns:
        return max(
            sum(scores[r, c] for r, c in enumerate(perm))
            for perm in itertools.permutations(range(columns), rows)
        )
    return max(
        sum(scores[r, c] for c, r in enumerate(perm))
        for perm in itertools.permutations(range(rows), columns)
    )


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2), (4, 6)])
def test_assignment_is_optimal(shape):
    generator = np.random.default_rng(sum(shape))
    for _ in range(20):
        scores = generator.random(shape)
        pairs = assignment.assign(scores)
        assert len(pairs) == min(shape)
        assert len({r for r, _, _ in pairs}) == len({c for _, c, _ in pairs}) == min(shape)
        assert sum(s for _, _, s in pairs) == pytest.approx(_best_total(scores), abs=1e-6)


@settings(max_examples=60)
@given(
    rows=st.integers(0, 7),
    columns=st.integers(0, 7),
    seed=st.integers(0, 10_000),
    ties=st.booleans(),
)
def test_order_is_always_a_permutation(rows, columns, seed, ties):
    generator = np.random.default_rng(seed)
    scores = generator.random((rows, columns))
    if ties:
        scores = np.round(scores * 2) / 2  # many equal scores
    placed = assignment.order(scores)
    assert sorted(column for column, _ in placed) == list(range(columns))


def test_equal_scores_keep_the_original_order():
    assert [c for c, _ in assignment.order(np.zeros((4, 4)))] == [0, 1, 2, 3]
    assert [c for c, _ in assignment.order(np.zeros((2, 5)))] == [0, 1, 2, 3, 4]
    assert [c for c, _, _ in assignment.select(np.zeros((3, 6)), 3)] == [0, 1, 2]
    # Two identical captions: the earlier clip plays under the earlier sentence.
    scores = np.array([[0.9, 0.9, 0.1], [0.9, 0.9, 0.1], [0.2, 0.2, 0.8]])
    assert [c for c, _ in assignment.order(scores)] == [0, 1, 2]


def test_select_gives_every_sentence_its_own_clip():
    # Clip 0 is the best match of both sentences. Greedy (each sentence its best clip) would
    # give sentence 1 nothing it fits; the assignment gives sentence 0 its second-best clip.
    scores = np.array([[0.9, 0.85, 0.0], [0.8, 0.0, 0.1]])
    picked = assignment.select(scores, 2)
    assert sorted((row, column) for column, row, _ in picked) == [(0, 1), (1, 0)]
    assert [score for _, _, score in picked] == [0.85, 0.8]  # best first


def test_select_more_than_the_sentences_goes_round_again():
    scores = np.array([[0.9, 0.1, 0.8, 0.2, 0.0], [0.1, 0.9, 0.2, 0.7, 0.0]])
    picked = assignment.select(scores, 4)
    assert [column for column, _, _ in picked[:2]] == [0, 1]  # round one, best first
    assert {column for column, _, _ in picked[2:]} == {2, 3}
    assert [row for _, row, _ in picked] == [0, 1, 0, 1]


def test_sort_with_more_sentences_than_clips_plays_them_in_sentence_order():
    scores = np.array([[0.0, 0.1], [0.9, 0.0], [0.1, 0.2], [0.0, 0.8]])
    assert [c for c, _ in assignment.order(scores)] == [0, 1]


def test_non_finite_scores_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        assignment.assign(np.array([[np.nan, 1.0]]))
