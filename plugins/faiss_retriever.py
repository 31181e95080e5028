"""``faiss``: cosine search with Faiss, exact (flat) or approximate (HNSW, IVF-Flat, IVF-PQ).

The base class hands this plugin L2-normalised vectors, so inner product *is* cosine and every
index here uses ``METRIC_INNER_PRODUCT``. Which index to pick, and why the defaults are what
they are, is measured in ``bench/bench_retrievers.py`` and written up in ``docs/retrieval.md``:

- ``flat`` (default): exact. One matrix product per query batch; the right choice up to a few
  hundred thousand vectors, and the baseline the others are measured against.
- ``hnsw``: a graph; fastest queries at high recall, but builds slowly (minutes for 1M on two
  cores) and keeps the full vectors plus the graph. It always stays on the CPU: Faiss has no
  GPU HNSW.
- ``ivfflat``: inverted lists of the full vectors: queries scan only the ``nprobe`` lists
  nearest to them and score those rows exactly. As big as flat, trains in seconds to a minute,
  and on clustered vectors (clips of one shoot, one product) the fastest at high recall: at 1M
  it meets 5k q/s at recall@10 >= 0.95 on two cores where HNSW does not (docs/scale.md).
- ``ivfpq``: inverted lists of product-quantised codes; the smallest index (``pq_m`` bytes a
  vector instead of ``4 * dim``), trains in seconds, but its scores are PQ estimates and its
  recall is capped by the quantisation, whatever ``nprobe``.

Candidate restriction never rebuilds the index. A small pool (see :func:`prefer_exact`) is
scored exactly from the stored vectors; a large one is searched with a Faiss
``IDSelectorBitmap`` (``SearchParameters``, ``SearchParametersHNSW`` or ``SearchParametersIVF``
with ``sel=``; Faiss >= 1.8 supports all three), which scans or walks the index as usual but
skips rows outside the pool. Queries that an approximate search leaves short of ``k`` hits are redone exactly.

At scale (``shards > 1``) the rows are split into contiguous ranges, one index each, built by
adding ``add_batch`` rows at a time; IVF-PQ is trained once on a sample and every shard starts
from that trained index. A search asks every shard and merges their top-k (``merge_top_k``),
so a shard can live in its own process or node and an index never has to fit one allocation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import ComponentSettings, Retriever

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.checks import Check

#: Flat: scoring a candidate exactly costs one gathered row; an ``IDSelector`` search costs one
#: selector test and one dot product per indexed row and query, without BLAS. On 1M x 128 the
#: two cost about the same when ``pool * GATHER_VS_SCAN ~= queries * size`` (single query:
#: selector 37-59 q/s vs gathered 14-26 q/s at a 100k pool, gathered 66-182 q/s at 10k; two
#: loaded cores, so the crossover moved between ~10 and ~50; see docs/retrieval.md).
GATHER_VS_SCAN = 32
#: HNSW and IVF-PQ: a filtered search costs about what an unfiltered one does (1-2 ms), far
#: less than gathering a large pool, but below these fractions of the index it loses recall:
#: HNSW's beam (``ef_search``) fills with rows the selector rejects (recall@10 0.55 at 5 %,
#: 0.998 at 20 % on 100k), IVF probes too few lists that hold candidates (0.48 at 1 %, 0.77
#: at 5 %). Smaller pools, and any pool up to SMALL_POOL rows, are scored exactly.
FILTER_MIN_FRACTION = {"hnsw": 0.2, "ivfflat": 0.05, "ivfpq": 0.05}
SMALL_POOL = 4096
#: The index types built on inverted lists (trained by k-means, searched with ``nprobe``).
IVF_KINDS = ("ivfflat", "ivfpq")
#: Rows gathered and queries scored per block on the exact path, so memory stays bounded
#: (65536 x 128 floats = 32 MiB; 1024 x 65536 scores = 256 MiB) whatever the pool size.
ROW_BLOCK = 65536
QUERY_BLOCK = 1024
#: Faiss warns below 39 training points per centroid; fewer than that gives empty lists.
POINTS_PER_CENTROID = 39
#: IVF-Flat: lists per sqrt(n) when ``nlist = 0``. Finer lists make each probe cheaper and,
#: when they follow the data's clusters, more precise (1M clustered: sqrt(n) lists need
#: nprobe 16 for recall@10 0.958 at 3.0k q/s, 4 sqrt(n) reach 1.000 at nprobe 8, 13.7k q/s),
#: for a coarse k-means 4x longer; coarse k-means iterations are IVF_NITER, Faiss's default
#: being 25 (same recall on this data, 2.5x the training time).
IVFFLAT_LISTS_PER_SQRT = 4
IVF_NITER = 10
#: PQ k-means: at most this many training residuals, and this many iterations (measured).
PQ_TRAIN_POINTS = 16384
PQ_NITER = 10


class FaissSettings(ComponentSettings):
    """Options; the defaults are read off bench/bench_retrievers.py on 1M x 128 (two cores).

    HNSW ``ef_search=128`` is the knee of recall@10 (16: 0.71, 64: 0.92, 128: 0.96, 256: 0.98)
    while still 6-14x the batched and 80-130x the single-query rate of flat; ``ef_construction=40``
    (Faiss's) because 80 costs 2.6x the build for +0.04 recall at ``ef_search=16`` only.
    IVF-PQ ``pq_m = dim/2`` because PQ error caps recall (100k: 0.37 / 0.59 / 0.85 at pq_m
    16 / 32 / 64), ``nprobe=16`` because recall is flat beyond it (1M: 8: 0.69, 16: 0.71,
    64: 0.72) at half the speed per doubling, ``nlist = sqrt(n)`` because coarse k-means on
    two cores grows with ``nlist x sample`` (sqrt(n) trains 1M in 19-28 s; 4 sqrt(n) is 16x).
    """

    index_type: Literal["flat", "hnsw", "ivfflat", "ivfpq"] = Field(
        "flat",
        description="flat = exact; hnsw = graph, approximate; ivfflat = inverted lists, "
        "approximate, fastest at scale on clustered footage; ivfpq = compact approximate",
    )
    M: int = Field(32, ge=4, le=256, description="HNSW: graph links per vector")
    ef_construction: int = Field(40, ge=8, description="HNSW: beam width while building")
    ef_search: int = Field(128, ge=1, description="HNSW: beam width while searching (>= k)")
    nlist: int = Field(
        0, ge=0, description="IVF: inverted lists; 0 = sqrt(n) (ivfpq), 4 sqrt(n) (ivfflat)"
    )
    pq_m: int = Field(0, ge=0, description="IVF-PQ: sub-quantizers (bytes a vector); 0 = dim/2")
    nbits: int = Field(8, ge=4, le=12, description="IVF-PQ: bits per sub-quantizer code")
    nprobe: int = Field(16, ge=1, description="IVF (ivfflat, ivfpq): lists scanned per query")
    train_size: int = Field(
        0, ge=0, description="IVF: training sample; 0 = max(64 * nlist, 16384), capped at n"
    )
    shards: int = Field(
        1, ge=1, description="Split the index into this many row ranges, top-k merged across them"
    )
    add_batch: int = Field(
        65536, ge=1, description="Vectors handed to Faiss per add() call (bounds its buffers)"
    )
    threads: int = Field(0, ge=0, description="OpenMP threads for Faiss; 0 = Faiss's default")
    gpu: bool = Field(True, description="Search flat / IVF on the GPU(s) when Faiss sees one")
    seed: int = Field(1234, description="IVF: seed of the training sample and k-means")
    omp_passive: bool = Field(
        True, description="Set OMP_WAIT_POLICY=PASSIVE before Faiss loads, unless already set"
    )


def import_faiss(passive: bool = True) -> Any:
    """Import Faiss, first asking its OpenMP runtime to sleep, not spin, between regions.

    Faiss's bundled libgomp busy-waits after every parallel region by default. On a machine
    with more runnable threads than cores (two cores shared with ffmpeg, an encoder, another
    job) a spinning thread holds the core its partner needs, so every region costs a
    scheduler time slice. Measured with flat search on two cores at load 4-5 (bench/
    bench_retrievers.py, three runs): 1.5-6.4x fewer batched queries/s when spinning (100k:
    623 vs 4002; 1M: 70 vs 251), up to 4x fewer single ones at 100k, and a 20k IVF-PQ took
    57 s to train instead of 26 s. libgomp reads ``OMP_WAIT_POLICY`` once, when it loads, so this only works
    before the first ``import faiss`` in the process, and only when the variable is unset:
    an explicit ``OMP_WAIT_POLICY=ACTIVE`` (a dedicated machine) is respected.
    """
    import os
    import sys

    if passive and "faiss" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import faiss

    return faiss


def prefer_exact(pool: int, queries: int, size: int, kind: str) -> bool:
    """Whether to score the ``pool`` rows exactly rather than run a filtered index search.

    Flat: whichever is cheaper by the gather-vs-scan model (both are exact). HNSW / IVF-PQ:
    exact when the pool is too small a fraction for a filtered search to find its hits, or
    tiny; otherwise the filtered search, which stays sublinear where gathering would not.
    """
    if kind == "flat":
        return pool * GATHER_VS_SCAN <= queries * size
    return pool <= SMALL_POOL or pool < FILTER_MIN_FRACTION[kind] * size


def exact_top_k(
    queries: np.ndarray,
    k: int,
    rows: np.ndarray | None,
    size: int,
    fetch: Callable[[Any], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` inner products of ``queries`` against ``rows`` (all rows if None).

    ``fetch`` returns the stored vectors for a slice or an integer array of rows. Rows are
    gathered and scored in blocks and the running top-``k`` merged, so a million-row pool
    needs 32 MiB of gathered vectors at a time, not a copy of the index. Missing places
    (fewer than ``k`` rows) are ``-1`` with score ``-inf``. Shared with the annoy plugin.
    """
    import numpy as np

    queries = np.ascontiguousarray(queries, dtype=np.float32)
    count = size if rows is None else len(rows)
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_rows = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, count, ROW_BLOCK):
        stop = min(start + ROW_BLOCK, count)
        block_rows = np.arange(start, stop) if rows is None else rows[start:stop]
        vectors = np.asarray(fetch(slice(start, stop) if rows is None else block_rows))
        for q in range(0, len(queries), QUERY_BLOCK):
            scores = queries[q : q + QUERY_BLOCK] @ vectors.T
            merged_scores = np.concatenate([best_scores[q : q + QUERY_BLOCK], scores], axis=1)
            merged_rows = np.concatenate(
                [best_rows[q : q + QUERY_BLOCK], np.broadcast_to(block_rows, scores.shape)],
                axis=1,
            )
            top = np.argpartition(-merged_scores, k - 1, axis=1)[:, :k]
            best_scores[q : q + QUERY_BLOCK] = np.take_along_axis(merged_scores, top, axis=1)
            best_rows[q : q + QUERY_BLOCK] = np.take_along_axis(merged_rows, top, axis=1)
    order = np.argsort(-best_scores, axis=1, kind="stable")
    return np.take_along_axis(best_scores, order, axis=1), np.take_along_axis(best_rows, order, 1)


def read_meta(path: Path) -> dict[str, Any]:
    """The base class's ``PATH.ids.json`` (dimension and ids), read to validate an index file.

    ``load_index`` runs before the base class sets ``dim`` and ``ids``, but an index must not
    be trusted (or, for Annoy, even mapped) before its shape is known to match them.
    """
    import json

    meta_path = path.with_name(path.name + ".ids.json")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return {"dim": int(meta["dim"]), "count": len(meta["ids"])}


def _largest_divisor_at_most(value: int, limit: int) -> int:
    return max(d for d in range(1, max(1, min(value, limit)) + 1) if value % d == 0)


#: The first bytes of a saved multi-shard index; a one-shard index is a plain Faiss file.
SHARDS_MAGIC = b"AUTOCUT-FAISS-SHARDS\n"


def merge_top_k(
    parts: list[tuple[np.ndarray, np.ndarray]], k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` of several shards' ``(scores, rows)``, rows already global, best first.

    Missing places stay ``-1`` with score ``-inf`` (they sort last). A stable sort on the
    concatenation, so equal scores keep shard order: the merged answer of a flat index split
    into shards equals the unsplit one's.
    """
    import numpy as np

    scores = np.concatenate([part[0] for part in parts], axis=1)
    rows = np.concatenate([part[1] for part in parts], axis=1)
    scores = np.where(rows < 0, -np.inf, scores).astype(np.float32)
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, axis=1), np.take_along_axis(rows, order, axis=1)


def shard_bounds(count: int, shards: int) -> list[tuple[int, int]]:
    """``shards`` contiguous row ranges of near-equal size covering ``count`` rows (none empty)."""
    shards = max(1, min(shards, count))
    edges = [round(i * count / shards) for i in range(shards + 1)]
    return list(itertools.pairwise(edges))


class _Shard:
    """One Faiss index over the rows ``offset .. offset + ntotal`` of the retriever."""

    def __init__(self, index: Any, offset: int):
        self.index = index
        self.offset = offset
        self.gpu: Any = None  # a GPU clone for unrestricted flat / IVF-PQ search

    @property
    def size(self) -> int:
        return int(self.index.ntotal)


class FaissRetriever(Retriever[FaissSettings]):
    """Faiss indexes behind the Retriever interface; see the module docstring for the choice."""

    name = "faiss"
    description = (
        "Faiss cosine search: exact flat (default), HNSW, IVF-Flat or IVF-PQ, sharded; GPU if any"
    )
    capabilities = frozenset({"candidate_restriction"})

    def __init__(self, settings: FaissSettings | None = None):
        super().__init__(settings)
        self._shards: list[_Shard] = []
        self._kind = "flat"
        #: What build actually used, after clamping IVF-PQ sizes to the data (for reports).
        self.effective: dict[str, Any] = {}
        #: Why a GPU that Faiss sees is not used ("" when it is, or when there is none).
        self.gpu_problem = ""

    # -- building ---------------------------------------------------------------------------

    def _faiss(self) -> Any:
        faiss = import_faiss(self.settings.omp_passive)
        threads = self.settings.threads
        if threads:
            faiss.omp_set_num_threads(threads)
        return faiss

    def build_index(self, vectors: np.ndarray) -> None:
        """Build ``shards`` indexes over contiguous row ranges, adding ``add_batch`` rows a call.

        IVF-PQ is trained once, on a sample of all rows, and every shard starts from a copy of
        that trained, empty index: shards share one coarse quantizer and one codebook, so
        their scores are comparable and merging their top-k is sound. HNSW and flat shards
        need no training. Adding in batches keeps Faiss's per-call buffers (IVF assignment,
        PQ codes) at ``add_batch`` rows, and reports progress to the current stage.
        """
        import numpy as np

        from autocut_core.progress import current_stage

        faiss = self._faiss()
        settings = self.settings
        count, dim = vectors.shape
        self._kind = settings.index_type
        if self._kind in IVF_KINDS and count < 2:  # k-means needs two points
            self._kind = "flat"
            self.effective = {"index_type": "flat (1 vector)"}
            empty: Any = faiss.IndexFlatIP(dim)
        elif self._kind in IVF_KINDS:
            empty = self._train_ivf(faiss, vectors)
        elif self._kind == "hnsw":
            empty = None
            self.effective = {"index_type": "hnsw", "M": settings.M,
                              "ef_construction": settings.ef_construction}  # fmt: skip
        else:
            empty = faiss.IndexFlatIP(dim)
            self.effective = {"index_type": "flat"}
        bounds = shard_bounds(count, settings.shards)
        self.effective["shards"] = len(bounds)
        stage = current_stage()
        self._shards = []
        for start, stop in bounds:
            if empty is None:
                index = faiss.IndexHNSWFlat(dim, settings.M, faiss.METRIC_INNER_PRODUCT)
                index.hnsw.efConstruction = settings.ef_construction
            else:
                index = faiss.clone_index(empty) if len(bounds) > 1 else empty
            for first in range(start, stop, settings.add_batch):
                last = min(stop, first + settings.add_batch)
                index.add(np.ascontiguousarray(vectors[first:last], dtype=np.float32))
                stage.update(last, count, f"faiss {self._kind}: shard {len(self._shards) + 1}")
            if self._kind in IVF_KINDS:
                index.make_direct_map()  # reconstruct() for exact scoring of small pools
            self._shards.append(_Shard(index, start))
        self._to_gpu()

    def _train_ivf(self, faiss: Any, vectors: np.ndarray) -> Any:
        """A trained, empty IVF-Flat or IVF-PQ with its sizes clamped so that small
        collections train.

        ``nlist`` is cut to ``n / 39`` and ``nbits`` to ``log2(n)`` because k-means needs more
        points than centroids; an explicit ``pq_m`` must divide the dimension (Faiss splits the
        vector into ``pq_m`` equal parts), the automatic one is the largest divisor <= dim / 2.
        Only the training sample is copied, so memory beyond the vectors is the sample's.
        """
        import numpy as np

        settings = self.settings
        count, dim = vectors.shape
        per_sqrt = IVFFLAT_LISTS_PER_SQRT if self._kind == "ivfflat" else 1
        nlist = settings.nlist or max(1, round(per_sqrt * math.sqrt(count)))
        nlist = max(1, min(nlist, count // POINTS_PER_CENTROID))
        nbits = max(1, min(settings.nbits, int(math.log2(count)) if count > 1 else 1))
        train = settings.train_size or max(64 * nlist, 16384)
        train = min(count, train)
        if train < count:
            chosen = np.random.default_rng(settings.seed).choice(count, train, replace=False)
            sample = np.ascontiguousarray(vectors[np.sort(chosen)], dtype=np.float32)
        else:
            sample = np.ascontiguousarray(vectors, dtype=np.float32)
        quantizer = faiss.IndexFlatIP(dim)
        if self._kind == "ivfflat":
            index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = settings.seed
            index.cp.niter = IVF_NITER
            index.cp.min_points_per_centroid = 1  # clamped above; silence Faiss's warnings
            index.train(sample)
            self.effective = {"index_type": "ivfflat", "nlist": nlist, "train_size": train}
            return index
        if settings.pq_m and dim % settings.pq_m:
            raise ValueError(
                f"retriever 'faiss': pq_m={settings.pq_m} does not divide the dimension {dim}"
            )
        pq_m = settings.pq_m or _largest_divisor_at_most(dim, max(1, dim // 2))
        index = faiss.IndexIVFPQ(quantizer, dim, nlist, pq_m, nbits, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = settings.seed
        index.pq.cp.seed = settings.seed
        index.cp.min_points_per_centroid = 1  # clamped above; silence Faiss's warnings
        index.pq.cp.min_points_per_centroid = 1
        # PQ training is pq_m separate k-means runs; on two cores it dominated the build
        # (100k, pq_m=64: 24 s). 16k residuals and 10 iterations train it in 8 s at the same
        # recall@10 (0.765 vs 0.765, nprobe=16; docs/retrieval.md).
        index.pq.cp.max_points_per_centroid = max(1, PQ_TRAIN_POINTS >> nbits)
        index.pq.cp.niter = PQ_NITER
        index.train(sample)
        self.effective = {"index_type": "ivfpq", "nlist": nlist, "pq_m": pq_m, "nbits": nbits,
                          "train_size": train}  # fmt: skip
        return index

    def _to_gpu(self) -> None:
        """Clone flat / IVF-PQ shards to every visible GPU; HNSW has no GPU version in Faiss.

        Only when Faiss sees a GPU (a ``faiss-gpu`` build and a CUDA device): otherwise this
        is a no-op. The CPU index is kept: saving and candidate-restricted searches use it,
        because GPU indexes take no ``IDSelector`` and cannot be written directly. That costs
        host memory equal to the index, the price of never copying back from the GPU.
        """
        self.gpu_problem = ""
        for shard in self._shards:
            shard.gpu = None
        faiss = self._faiss()
        if not self.settings.gpu or self._kind == "hnsw":
            return
        if not hasattr(faiss, "get_num_gpus") or faiss.get_num_gpus() <= 0:
            return
        clones = []
        try:
            for shard in self._shards:
                index = faiss.index_cpu_to_all_gpus(shard.index)
                if self._kind in IVF_KINDS:
                    space = faiss.GpuParameterSpace()
                    space.set_index_parameter(index, "nprobe", self.settings.nprobe)
                clones.append(index)
        except RuntimeError as error:
            # e.g. GPU IVF-PQ supports only some pq_m values and may lack shared memory for
            # large ones: searching on the CPU is slower, not wrong.
            import warnings

            self.gpu_problem = str(error).strip().splitlines()[-1][-200:]
            warnings.warn(f"faiss: staying on the CPU ({self.gpu_problem})", RuntimeWarning,
                          stacklevel=2)  # fmt: skip
            return
        for shard, clone in zip(self._shards, clones, strict=True):
            shard.gpu = clone

    # -- searching --------------------------------------------------------------------------

    def _stored(self, shard: _Shard) -> Callable[[Any], np.ndarray]:
        """A function from a shard's rows to the vectors it holds (zero-copy: flat, HNSW)."""
        faiss = self._faiss()
        index = shard.index
        if self._kind in ("flat", "hnsw"):
            flat = index if self._kind == "flat" else faiss.downcast_index(index.storage)
            stored = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * flat.d)
            matrix = stored.reshape(flat.ntotal, flat.d)
            return lambda rows: matrix[rows]
        ivf = faiss.extract_index_ivf(index)
        if ivf.direct_map.type == faiss.DirectMap.NoMap:
            ivf.make_direct_map()

        def decoded(rows: Any) -> np.ndarray:
            # PQ codes decoded: inner products with these equal IVF-PQ's own estimates.
            if isinstance(rows, slice):
                return index.reconstruct_n(rows.start, rows.stop - rows.start)
            return index.reconstruct_batch(rows)

        return decoded

    def _params(self, faiss: Any, selector: Any = None) -> Any:
        settings = self.settings
        if self._kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=selector, efSearch=settings.ef_search)
        if self._kind in IVF_KINDS:
            return faiss.SearchParametersIVF(sel=selector, nprobe=settings.nprobe)
        return None if selector is None else faiss.SearchParameters(sel=selector)

    def search_rows(
        self, queries: np.ndarray, k: int, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each shard answers for its own rows; their top-k lists are merged (merge_top_k)."""
        import numpy as np

        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if len(self._shards) == 1:
            return self._search_shard(self._shards[0], queries, k, rows)
        parts = []
        for shard in self._shards:
            local = None
            if rows is not None:
                inside = (rows >= shard.offset) & (rows < shard.offset + shard.size)
                local = rows[inside] - shard.offset
                if len(local) == 0:
                    continue
            pool = shard.size if local is None else len(local)
            scores, found = self._search_shard(shard, queries, min(k, pool), local)
            parts.append((scores, np.where(found >= 0, found + shard.offset, -1)))
        return merge_top_k(parts, k)

    def _search_shard(
        self, shard: _Shard, queries: np.ndarray, k: int, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` of one shard, in its own row numbers; ``rows`` has >= ``k`` rows if given."""
        import numpy as np

        faiss = self._faiss()
        size = shard.size
        pool = size if rows is None else len(rows)
        if rows is not None and prefer_exact(pool, len(queries), size, self._kind):
            return exact_top_k(queries, k, rows, size, self._stored(shard))
        if rows is None and shard.gpu is not None:
            scores, found = shard.gpu.search(queries, k)
        elif rows is None:
            scores, found = shard.index.search(queries, k, params=self._params(faiss))
        else:
            # A bitmap, not IDSelectorBatch: for 500k of 1M rows it builds in 1 ms instead of
            # 39 ms (a hash set), which is the whole cost of a single HNSW query. ``bitmap``
            # must stay alive while Faiss reads it: it is a local until the search returns.
            mask = np.zeros(size, dtype=bool)
            mask[rows] = True
            bitmap = np.packbits(mask, bitorder="little")
            selector = faiss.IDSelectorBitmap(len(bitmap), faiss.swig_ptr(bitmap))
            params = self._params(faiss, selector)
            scores, found = shard.index.search(queries, k, params=params)
        short = (found < 0).any(axis=1)
        if short.any():
            # An approximate search can come back short (IVF lists or an HNSW beam that hold
            # fewer than k rows); the pool has >= k rows (checked by the base class, or by
            # search_rows per shard), so short queries are redone exactly rather than
            # returning fewer than k hits.
            redo = exact_top_k(queries[short], k, rows, size, self._stored(shard))
            scores, found = scores.copy(), found.copy()
            scores[short], found[short] = redo
        return scores, found

    # -- persistence ------------------------------------------------------------------------

    def save_index(self, path: Path) -> None:
        """One shard: a plain Faiss file. Several: a header line, then each shard's Faiss bytes.

        The header (``SHARDS_MAGIC`` and a JSON line of each shard's row offset and byte
        length) lets a reader check the file is whole before Faiss reads a byte. Shards are
        streamed through ``PyCallbackIOWriter`` into a temporary file each and copied in, so
        saving needs no in-memory copy of the index.
        """
        import json
        import shutil
        import tempfile

        faiss = self._faiss()
        if len(self._shards) == 1:
            faiss.write_index(self._shards[0].index, str(path))
            return
        with tempfile.TemporaryDirectory(dir=path.parent) as scratch:
            parts = []
            for number, shard in enumerate(self._shards):
                part = Path(scratch) / f"shard{number}.faiss"
                faiss.write_index(shard.index, str(part))
                parts.append(part)
            header = {
                "offsets": [shard.offset for shard in self._shards],
                "lengths": [part.stat().st_size for part in parts],
            }
            with open(path, "wb") as out:
                out.write(SHARDS_MAGIC + json.dumps(header).encode() + b"\n")
                for part in parts:
                    with open(part, "rb") as source:
                        shutil.copyfileobj(source, out, 1 << 20)

    def load_index(self, path: Path) -> None:
        """Read a Faiss index file (or a sharded one); a truncated or foreign file raises.

        Faiss checks every read against the file's length and throws, so truncation is a
        ``RuntimeError`` here (turned into ``InputError`` by the base class); a sharded file's
        length must also equal what its header promises. The index type comes from the file,
        the search knobs (``ef_search``, ``nprobe``) from the settings.
        """
        meta = read_meta(path)
        with open(path, "rb") as source:
            sharded = source.read(len(SHARDS_MAGIC)) == SHARDS_MAGIC
        shards = self._read_shards(path) if sharded else [_Shard(self._read_one(str(path)), 0)]
        kinds = {self._kind_of(shard.index, meta["dim"]) for shard in shards}
        if len(kinds) != 1:
            raise ValueError(f"the shards mix index types ({', '.join(sorted(kinds))})")
        expected = 0
        for shard in shards:
            if shard.offset != expected:
                raise ValueError(f"shard at row {shard.offset} should start at row {expected}")
            expected += shard.size
        if expected != meta["count"]:
            raise ValueError(f"the index holds {expected} vectors, the ids file {meta['count']}")
        self._shards, self._kind = shards, kinds.pop()
        self.effective = {"index_type": self._kind, "shards": len(shards)}
        self._to_gpu()

    def _read_one(self, source: Any) -> Any:
        faiss = self._faiss()
        try:
            return faiss.read_index(source)
        except RuntimeError as error:
            detail = str(error).strip().splitlines()[-1] if str(error).strip() else "read error"
            raise ValueError(f"not a complete Faiss index ({detail[-160:]})") from None

    def _read_shards(self, path: Path) -> list[_Shard]:
        import json

        faiss = self._faiss()
        with open(path, "rb") as source:
            source.read(len(SHARDS_MAGIC))
            line = source.readline(1 << 20)
            try:
                header = json.loads(line)
                offsets = [int(o) for o in header["offsets"]]
                lengths = [int(n) for n in header["lengths"]]
            except (ValueError, KeyError, TypeError):
                raise ValueError("a damaged shard header") from None
            start = source.tell()
            promised = start + sum(lengths)
            actual = path.stat().st_size
            if actual != promised or len(offsets) != len(lengths):
                raise ValueError(
                    f"not a complete sharded index ({actual} bytes, its header says {promised})"
                )
            shards = []
            for offset, length in zip(offsets, lengths, strict=True):
                remaining = [length]

                def read(size: int, remaining: list[int] = remaining) -> bytes:
                    chunk = source.read(min(size, remaining[0]))
                    remaining[0] -= len(chunk)
                    return chunk

                index = self._read_one(faiss.PyCallbackIOReader(read))
                if remaining[0]:
                    raise ValueError(f"shard at row {offset} did not use all its bytes")
                shards.append(_Shard(index, offset))
        return shards

    def _kind_of(self, index: Any, dim: int) -> str:
        faiss = self._faiss()
        if index.d != dim:
            raise ValueError(f"the index has dimension {index.d}, the ids file says {dim}")
        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError("the index does not use inner product (cosine) scores")
        if isinstance(index, faiss.IndexHNSW):
            return "hnsw"
        if isinstance(index, faiss.IndexIVFFlat):
            return "ivfflat"
        if isinstance(index, faiss.IndexIVFPQ):
            return "ivfpq"
        if isinstance(index, faiss.IndexFlat):
            return "flat"
        raise ValueError(f"unsupported Faiss index type {type(index).__name__}")

    @property
    def size(self) -> int:
        return sum(shard.size for shard in self._shards)

    @property
    def shard_count(self) -> int:
        """How many shards the index in use has (after :meth:`load`, the file's)."""
        return len(self._shards)

    @property
    def index_type(self) -> str:
        """The index actually in use (after :meth:`load`, the file's, not the settings')."""
        return self._kind

    def diagnose(self) -> list[Check]:
        from autocut_core.checks import Check

        try:
            faiss = self._faiss()
        except ImportError:
            return [Check("retriever faiss", "fail", "faiss is not installed",
                          "pip install 'autocut[index]'")]  # fmt: skip
        gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
        where = f"{gpus} GPU(s)" if gpus else "CPU"
        return [Check("retriever faiss", "ok", f"faiss {faiss.__version__} on {where}")]


@hookimpl
def register_retrievers(register):
    register(FaissRetriever)
