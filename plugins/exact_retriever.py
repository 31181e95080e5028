"""``exact``: brute-force cosine search in NumPy.

Exact and dependency-free; right for one ad's pool (hundreds to tens of thousands of clips)
and the reference the approximate retrievers are measured against.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import ComponentSettings, Retriever

if TYPE_CHECKING:
    import numpy as np


class ExactSettings(ComponentSettings):
    query_block: int = Field(
        1024, ge=1, description="Queries scored per matrix product (bounds memory)"
    )


class ExactRetriever(Retriever[ExactSettings]):
    name = "exact"
    description = "Brute-force cosine search in NumPy (exact, no dependencies)"

    def __init__(self, settings: ExactSettings | None = None):
        super().__init__(settings)
        import numpy as np

        self._matrix = np.zeros((0, 0), dtype=np.float32)

    def build_index(self, vectors: np.ndarray) -> None:
        self._matrix = vectors

    def search_rows(
        self, queries: np.ndarray, k: int, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        matrix = self._matrix if rows is None else self._matrix[rows]
        block = self.settings.query_block
        all_scores, all_rows = [], []
        for start in range(0, len(queries), block):
            scores = queries[start : start + block] @ matrix.T
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            top_scores = np.take_along_axis(scores, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            top = np.take_along_axis(top, order, axis=1)
            all_scores.append(np.take_along_axis(top_scores, order, axis=1))
            all_rows.append(top if rows is None else rows[top])
        return np.concatenate(all_scores), np.concatenate(all_rows)

    def save_index(self, path: Path) -> None:
        import numpy as np

        with open(path, "wb") as handle:
            np.save(handle, self._matrix, allow_pickle=False)

    def load_index(self, path: Path) -> None:
        import numpy as np

        self._matrix = np.load(path, allow_pickle=False)

    @property
    def size(self) -> int:
        return int(self._matrix.shape[0])


@hookimpl
def register_retrievers(register):
    register(ExactRetriever)
