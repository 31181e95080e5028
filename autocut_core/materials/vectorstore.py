"""Append-only float32 vector files whose committed length lives in SQLite.

Writing a batch is two steps: append the rows to the file (and fsync), then commit the SQLite
transaction that references them and raises the committed count. A crash between the two
leaves only an uncommitted tail, which :meth:`VectorFile.recover` cuts off the next time the
database opens, so a killed indexer never leaves a half-written or duplicated vector behind.
Reading is a memory map: one row is O(1) by its row number.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

ROW_DTYPE = np.dtype("<f4")


class VectorFile:
    """Rows of ``dim`` little-endian float32 in one file; ``committed`` rows are valid."""

    def __init__(self, path: Path, dim: int, committed: int):
        self.path = Path(path)
        self.dim = dim
        self.committed = committed
        self._map: np.memmap | None = None

    @property
    def row_bytes(self) -> int:
        return self.dim * ROW_DTYPE.itemsize

    def recover(self) -> int:
        """Cut off rows written after the last commit; returns how many bytes were dropped."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        expected = self.committed * self.row_bytes
        if not self.path.exists():
            if self.committed:
                raise OSError(
                    f"{self.path}: vector file is missing ({self.committed} rows expected)"
                )
            self.path.touch()
            return 0
        size = self.path.stat().st_size
        if size < expected:
            raise OSError(
                f"{self.path}: vector file holds {size // self.row_bytes} rows but the database "
                f"references {self.committed} (the file was truncated or replaced)"
            )
        if size > expected:
            with open(self.path, "r+b") as handle:
                handle.truncate(expected)
                os.fsync(handle.fileno())
        return size - expected

    def append(self, vectors: np.ndarray) -> int:
        """Write rows after the committed ones; returns the first new row number.

        The caller commits ``first + len(vectors)`` as the new count in the same transaction
        that stores the references; until then the rows are invisible and disposable.
        """
        matrix = np.ascontiguousarray(vectors, dtype=ROW_DTYPE)
        if matrix.ndim != 2 or matrix.shape[1] != self.dim:
            raise ValueError(f"{self.path}: expected rows of {self.dim} values, got {matrix.shape}")
        first = self.committed
        with open(self.path, "r+b") as handle:
            handle.truncate(first * self.row_bytes)  # drop anything a failed batch left
            handle.seek(first * self.row_bytes)
            handle.write(matrix.tobytes())
            handle.flush()
            os.fsync(handle.fileno())
        self._map = None
        return first

    def mark_committed(self, count: int) -> None:
        self.committed = count
        self._map = None

    def rows(self, indices: np.ndarray | list[int] | None = None) -> np.ndarray:
        """Committed rows (all, or the given row numbers) as float32."""
        if self.committed == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._map is None or self._map.shape[0] != self.committed:
            self._map = np.memmap(
                self.path, dtype=ROW_DTYPE, mode="r", shape=(self.committed, self.dim)
            )
        if indices is None:
            return np.asarray(self._map, dtype=np.float32)
        return np.asarray(self._map[np.asarray(indices, dtype=np.int64)], dtype=np.float32)
