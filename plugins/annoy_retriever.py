"""``annoy``: approximate cosine search with Spotify's Annoy (random-projection trees).

Annoy is small and simple: no training, one knob at build time (``n_trees``) and one at query
time (``search_k``), and its index is a flat array of fixed-size nodes that it memory-maps.
It cannot filter, so candidate restriction is done around it (see :meth:`search_rows`).

Scores: on unit vectors Annoy's "angular" distance is ``d = sqrt(2 - 2 cos)``, so the cosine
is ``1 - d**2 / 2``; the scores are exact cosines of the vectors found.

Files and memory maps. Annoy serves queries from a ``mmap`` of its file, and its own
``save(fn)`` re-maps the index from ``fn``. If that were the user's file, rewriting it in
place (``cp new.ann index.ann`` truncates and rewrites the same inode) would change the live
index under a running search or kill the process with SIGBUS. So the live index is always
mapped from a private, already-unlinked copy in the temporary directory: :meth:`save_index`
streams that copy out, :meth:`load_index` copies the file in (and validates it) before
mapping. The price is a copy on every load and the index's size in ``$TMPDIR`` (keep that on
disk, not tmpfs, for big indexes).

On disk the file is Annoy's node array followed by a 64-byte trailer (magic, f, n_items,
n_trees, n_nodes, node size), so a truncated or foreign file is recognised by its length
before Annoy sees it, and every child pointer is bounds-checked before the first query: a
damaged index is an error, never a segfault. ``head -c -64 index.ann`` is a plain Annoy file.
"""

from __future__ import annotations

import math
import os
import struct
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import ComponentSettings, Retriever

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.checks import Check

MAGIC = b"ACANNOY1"
#: magic, format version, f, n_items, n_trees, n_nodes, node size, padding to 64 bytes.
TRAILER = struct.Struct("<8sIIqqqq20x")
#: Bytes before the vector in Annoy's angular node: n_descendants, children[2] (int32 each).
NODE_HEADER = 12
#: Rows of the node array checked per block while validating (bounded memory).
CHECK_BLOCK = 65536
#: Cost of one Annoy candidate (tree walk + one distance) relative to gathering and scoring
#: one row exactly, measured on 100k-1M x 128 (docs/retrieval.md): with it, exact scoring of
#: a pool is cheaper than Annoy's widened search when ``pool**2 <= ratio * q * k * trees * n``.
ANNOY_VS_GATHER = 0.4
#: The default ``search_k`` per requested result, in units of ``n_trees`` (Annoy's is 1).
AUTO_SEARCH_K = 4
#: How many times Annoy's result list is widened before the remaining queries go exact.
MAX_WIDENINGS = 4


class AnnoySettings(ComponentSettings):
    n_trees: int = Field(50, ge=1, description="Trees built: more = better recall, bigger index")
    search_k: int = Field(
        0,
        ge=-1,
        description="Nodes inspected per query; 0 = 4 * n_trees * k, -1 = n_trees * k (Annoy's)",
    )
    seed: int = Field(42, ge=0, description="Random seed of the tree splits (reproducible)")
    threads: int = Field(
        0, ge=0, description="Threads: build (0 = all cores) and batch search (0 or 1 = one)"
    )
    verify_on_load: bool = Field(
        True, description="Bounds-check every node when loading (one pass over the file)"
    )


def node_size(dim: int) -> int:
    """Bytes per node of an angular Annoy index with int32 ids and float32 vectors."""
    return NODE_HEADER + 4 * dim


def check_nodes(nodes: np.ndarray, n_items: int) -> None:
    """Raise ValueError unless every pointer in Annoy's node array stays inside the index.

    ``nodes`` is the file as int32 rows, one per node. Items (rows below ``n_items``) have one
    descendant; other nodes either list up to ``K`` item ids inline (``n_descendants <= K``)
    or point at two child nodes. Annoy does not check these when it walks a tree, so a
    damaged file would read outside the mapping; checking them once makes that impossible.
    """
    import numpy as np

    count, width = nodes.shape
    inline_max = width - 1  # K: ids that fit in the node after n_descendants
    if count <= n_items:
        raise ValueError(f"{count} nodes cannot hold {n_items} items and their trees")
    if not (nodes[:n_items, 0] == 1).all():
        raise ValueError("an item node does not have exactly one descendant")
    for start in range(n_items, count, CHECK_BLOCK):
        block = np.asarray(nodes[start : start + CHECK_BLOCK])
        descendants = block[:, 0]
        if ((descendants < 1) | (descendants > n_items)).any():
            raise ValueError("a tree node has an impossible number of descendants")
        inline = descendants <= inline_max
        listed = block[inline, 1 : 1 + inline_max]
        used = np.arange(inline_max) < descendants[inline, None]
        if (used & ((listed < 0) | (listed >= n_items))).any():
            raise ValueError("a leaf lists an item id outside the index")
        children = block[~inline, 1:3]
        if ((children < 0) | (children >= count)).any():
            raise ValueError("a split node points outside the index")


def _private_file() -> Path:
    handle, name = tempfile.mkstemp(prefix="autocut-annoy-", suffix=".ann")
    os.close(handle)
    return Path(name)


class AnnoyRetriever(Retriever[AnnoySettings]):
    """Annoy behind the Retriever interface; see the module docstring for files and scores."""

    name = "annoy"
    description = "Annoy random-projection trees (approximate, small, memory-mapped)"
    capabilities = frozenset({"candidate_restriction"})

    def __init__(self, settings: AnnoySettings | None = None):
        super().__init__(settings)
        self._annoy: Any = None
        self._raw: Any = None  # np.memmap of the private file (uint8): saved from, read by
        self._items: Any = None  # float32 [n_items, dim] strided view of the item vectors
        self._n_items = 0
        self._n_trees = 0

    # -- building ---------------------------------------------------------------------------

    def build_index(self, vectors: np.ndarray) -> None:
        """Build the forest, then serve it from a private mapped file, as a loaded index is.

        Building and loading then leave the retriever in one state (mapped, with the item
        vectors readable for exact scoring), and Annoy's in-memory build buffer is freed.
        """
        from annoy import AnnoyIndex

        settings = self.settings
        count, dim = vectors.shape
        index = AnnoyIndex(dim, "angular")
        index.set_seed(settings.seed)
        for row, vector in enumerate(vectors):
            index.add_item(row, vector)
        index.build(settings.n_trees, settings.threads or -1)
        private = _private_file()
        try:
            index.save(str(private))  # Annoy now maps the private file
            self._attach(index, private, dim, count)
        finally:
            private.unlink(missing_ok=True)  # the mappings keep it alive; nothing left on disk

    def _attach(self, index: Any, private: Path, dim: int, n_items: int) -> None:
        import numpy as np

        raw = np.memmap(private, dtype=np.uint8, mode="r")
        size = node_size(dim)
        self._annoy, self._raw = index, raw
        self._items = np.ndarray(
            (n_items, dim), dtype=np.float32, buffer=raw, offset=NODE_HEADER, strides=(size, 4)
        )
        self._n_items, self._n_trees = n_items, index.get_n_trees()

    # -- searching --------------------------------------------------------------------------

    def _one(self, query: np.ndarray, n: int, search_k: int) -> tuple[list[int], list[float]]:
        return self._annoy.get_nns_by_vector(query.tolist(), n, search_k, include_distances=True)

    def _map(self, function: Any, items: list[Any]) -> list[Any]:
        """``map`` over queries, on ``threads`` threads when asked (Annoy releases the GIL).

        Not by default: on two cores shared with other work, two threads answered 2.9k
        queries/s against 3.1k for one (100k x 128, load 5; docs/retrieval.md). On a dedicated
        machine with more cores, ``threads = N`` should pay.
        """
        threads = self.settings.threads
        if threads <= 1 or len(items) < 32:
            return [function(item) for item in items]
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(function, items, chunksize=max(1, len(items) // (4 * threads))))

    def _candidates_per_result(self, k: int) -> float:
        """Nodes Annoy inspects per requested result: what one query costs, over ``n``."""
        setting = self.settings.search_k
        if setting == 0:
            return AUTO_SEARCH_K * self._n_trees
        if setting < 0:
            return float(self._n_trees)
        return setting / k

    def _search_k(self, n: int, k: int) -> int:
        """``search_k`` for a request of ``n`` results, scaled with ``n`` as Annoy's default.

        The default (0) is four times Annoy's own ``n * n_trees``: on 1M clustered vectors
        that lifts recall@10 from 0.81 to 0.97 for 2.7-4x the query time (docs/retrieval.md).
        """
        if self.settings.search_k < 0:
            return -1
        return min(2**31 - 1, math.ceil(self._candidates_per_result(k) * n))

    def _exact(self, queries: np.ndarray, k: int, rows: np.ndarray | None):
        from autocut_plugins.faiss_retriever import exact_top_k

        items = self._items
        return exact_top_k(queries, k, rows, self._n_items, lambda r: items[r])

    def prefer_exact(self, pool: int, queries: int, k: int) -> bool:
        """Score the pool exactly rather than widen Annoy's search, when that is cheaper.

        Finding ``k`` hits inside a pool that is a fraction ``p`` of the index needs about
        ``k / p`` results from Annoy, i.e. ``k * search_k / (k p)`` candidates per query; exact
        scoring gathers the pool once for the whole batch.
        """
        per_result = self._candidates_per_result(k)
        return pool * pool <= ANNOY_VS_GATHER * queries * k * per_result * self._n_items

    def search_rows(
        self, queries: np.ndarray, k: int, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Annoy search; with candidates, a widened search filtered to them, or exact scoring.

        Annoy cannot filter, so for a pool of ``p`` of the index it is asked for
        ``2 k / p`` results and those outside the pool dropped; a query still short of ``k``
        asks for four times as many, up to :data:`MAX_WIDENINGS` times, then is scored
        exactly. Small pools go exact at once (:meth:`prefer_exact`): for them the widened
        search would inspect most of the index. Exact scoring reads the item vectors from
        the mapped file (what ``get_item_vector`` returns, without a Python call per row).
        """
        import numpy as np

        queries = np.asarray(queries, dtype=np.float32)
        pool = self._n_items if rows is None else len(rows)
        if rows is not None and self.prefer_exact(pool, len(queries), k):
            return self._exact(queries, k, rows)
        member = None
        if rows is not None:
            member = np.zeros(self._n_items, dtype=bool)
            member[rows] = True
        first = k if rows is None else min(self._n_items, math.ceil(2 * k * self._n_items / pool))

        def one(query: np.ndarray) -> tuple[list[int], list[float]]:
            n = first
            for _ in range(MAX_WIDENINGS + 1):
                found, distances = self._one(query, n, self._search_k(n, k))
                if member is not None:
                    kept = [(i, d) for i, d in zip(found, distances, strict=True) if member[i]]
                    found, distances = [i for i, _ in kept], [d for _, d in kept]
                if len(found) >= k or n >= self._n_items:
                    break
                n = min(self._n_items, 4 * n)
            return found[:k], distances[:k]

        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        found_rows = np.full((len(queries), k), -1, dtype=np.int64)
        for q, (found, distances) in enumerate(self._map(one, list(queries))):
            distances_array = np.asarray(distances, dtype=np.float32)
            scores[q, : len(found)] = 1.0 - distances_array**2 / 2.0
            found_rows[q, : len(found)] = found
        short = (found_rows < 0).any(axis=1)
        if short.any():
            scores[short], found_rows[short] = self._exact(queries[short], k, rows)
        return scores, found_rows

    # -- persistence ------------------------------------------------------------------------

    def save_index(self, path: Path) -> None:
        """Stream the private copy out and add the trailer; the live index is not re-mapped."""
        raw = self._raw
        dim = self.dim
        block = 64 << 20
        with open(path, "wb") as handle:
            for start in range(0, len(raw), block):
                handle.write(memoryview(raw[start : start + block]))
            n_nodes = len(raw) // node_size(dim)
            handle.write(TRAILER.pack(MAGIC, 1, dim, self._n_items, self._n_trees, n_nodes,
                                      node_size(dim)))  # fmt: skip

    def load_index(self, path: Path) -> None:
        """Validate ``path`` by length and trailer, copy it private, check pointers, map it."""
        import numpy as np
        from annoy import AnnoyIndex
        from autocut_plugins.faiss_retriever import read_meta

        meta = read_meta(path)
        dim, n_items = meta["dim"], meta["count"]
        total = path.stat().st_size
        if total < TRAILER.size:
            raise ValueError(f"{total} bytes is too short for an Annoy index")
        with open(path, "rb") as handle:
            handle.seek(total - TRAILER.size)
            magic, version, f, items, trees, n_nodes, size = TRAILER.unpack(handle.read())
            if magic != MAGIC or version != 1:
                raise ValueError("not an AutoCut Annoy index (no trailer: truncated or foreign)")
            if (f, items, size) != (dim, n_items, node_size(dim)):
                raise ValueError(
                    f"the index has f={f}, {items} items, node size {size}; the ids file "
                    f"says f={dim}, {n_items} items"
                )
            expected = n_nodes * size + TRAILER.size
            if total != expected or n_nodes <= n_items or trees < 1:
                raise ValueError(f"{total} bytes where {n_nodes} nodes take {expected}: truncated")
            handle.seek(0)
            private = _private_file()
            try:
                with open(private, "wb") as out:
                    remaining = n_nodes * size
                    while remaining:
                        chunk = handle.read(min(remaining, 64 << 20))
                        if not chunk:
                            raise ValueError("the file shrank while it was being read")
                        out.write(chunk)
                        remaining -= len(chunk)
                if self.settings.verify_on_load:
                    nodes = np.memmap(private, dtype=np.int32, mode="r").reshape(n_nodes, -1)
                    check_nodes(nodes, n_items)
                    del nodes
                index = AnnoyIndex(dim, "angular")
                if not index.load(str(private)):
                    raise ValueError("Annoy refused the file")
                if index.get_n_items() != n_items or index.get_n_trees() != trees:
                    raise ValueError(
                        f"Annoy found {index.get_n_items()} items in {index.get_n_trees()} "
                        f"trees; the trailer says {n_items} in {trees}"
                    )
                self._attach(index, private, dim, n_items)
            finally:
                private.unlink(missing_ok=True)

    @property
    def size(self) -> int:
        return self._n_items

    def diagnose(self) -> list[Check]:
        from autocut_core.checks import Check

        try:
            import annoy  # noqa: F401
        except ImportError:
            return [Check("retriever annoy", "fail", "annoy is not installed",
                          "pip install 'autocut[index]' (compiles from source, ~20 s)")]  # fmt: skip
        return [Check("retriever annoy", "ok", f"temporary copies in {tempfile.gettempdir()}")]


@hookimpl
def register_retrievers(register):
    register(AnnoyRetriever)
