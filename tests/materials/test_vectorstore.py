"""Append-only vector files: only committed rows exist."""

from __future__ import annotations

import numpy as np
import pytest

from autocut_core.materials.vectorstore import VectorFile


def test_uncommitted_tail_is_dropped_on_recovery(tmp_path):
    vectors = VectorFile(tmp_path / "v.f32", dim=4, committed=0)
    vectors.recover()
    first = vectors.append(np.ones((3, 4)))
    vectors.mark_committed(first + 3)
    vectors.append(np.full((2, 4), 7.0))  # written, never committed (the process died here)
    reopened = VectorFile(tmp_path / "v.f32", dim=4, committed=3)
    assert reopened.recover() == 2 * 4 * 4
    assert reopened.rows().shape == (3, 4)
    assert reopened.append(np.zeros((1, 4))) == 3


def test_rows_by_number(tmp_path):
    vectors = VectorFile(tmp_path / "v.f32", dim=2, committed=0)
    vectors.recover()
    vectors.append(np.arange(10, dtype=np.float32).reshape(5, 2))
    vectors.mark_committed(5)
    assert vectors.rows([4, 0]).tolist() == [[8, 9], [0, 1]]


def test_a_file_shorter_than_the_database_says_is_an_error(tmp_path):
    (tmp_path / "v.f32").write_bytes(b"\0" * 8)
    with pytest.raises(OSError, match="holds 0 rows but the database references 2"):
        VectorFile(tmp_path / "v.f32", dim=4, committed=2).recover()
    with pytest.raises(OSError, match="vector file is missing"):
        VectorFile(tmp_path / "gone.f32", dim=4, committed=1).recover()


def test_wrong_width_is_refused(tmp_path):
    vectors = VectorFile(tmp_path / "v.f32", dim=4, committed=0)
    vectors.recover()
    with pytest.raises(ValueError, match="expected rows of 4 values"):
        vectors.append(np.ones((2, 3)))
