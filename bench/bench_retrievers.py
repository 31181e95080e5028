"""Retrievers on 100k and 1M clustered 128-D unit vectors: build, speed, recall, memory, disk.

The baseline is ``faiss flat`` (exact inner product), measured in the same run: every ratio
column divides by it, and recall@10 is measured against its results. The data are seeded
Gaussian clusters on the unit sphere (``n / 100`` clusters; the 1000 queries are fresh draws
from the same clusters, not indexed points), so the run is reproducible and no files are
needed. Each (size, index) runs in a fresh interpreter, so peak memory belongs to it alone
and no library one index loads is warm for the next.

Also measured: which OpenBLAS kernel faiss's bundled OpenBLAS runs (threadpoolctl) with the
environment's ``OPENBLAS_CORETYPE`` as it is, with it and ``OPENBLAS_L2_SIZE`` unset (the
library's own CPU detection), and with ``OPENBLAS_CORETYPE=Prescott`` (what an earlier
measurement on this machine kind found detected), and the effect of ``OMP_WAIT_POLICY``.

    .venv/bin/python bench/bench_retrievers.py                  # 100k and 1M (~10 min)
    .venv/bin/python bench/bench_retrievers.py --sizes 100000   # ~2 min

Tables go to stdout (paste-able markdown), progress to stderr. No thresholds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import fmt, machine_line, markdown_table, note, peak_rss_mib, reset_peak_rss, rss_mib

DIM = 128
K = 10
QUERIES = 1000
SEED = 20251123
#: Cluster noise: each point is ``center + SPREAD * N(0, I / dim)`` re-normalised, which puts a
#: query's true top-10 within ~0.03 cosine of each other (hard for quantisation, see docs).
SPREAD = 0.6
SINGLE_SECONDS = 4.0  # time budget of the one-query-at-a-time loop per index
BASELINE = "faiss flat"

#: (label, retriever name, options). Options are the plugins' defaults unless named.
METHODS: list[tuple[str, str, dict[str, Any]]] = [
    (BASELINE, "faiss", {"index_type": "flat"}),
    ("exact (numpy)", "exact", {"query_block": 128}),
    ("faiss hnsw", "faiss", {"index_type": "hnsw"}),
    ("faiss ivfflat", "faiss", {"index_type": "ivfflat"}),
    ("faiss ivfpq", "faiss", {"index_type": "ivfpq"}),
    ("annoy", "annoy", {}),
]
#: Query-time knobs swept after each build (cheap: the index is already built).
SWEEPS: dict[str, tuple[str, list[int]]] = {
    "faiss hnsw": ("ef_search", [16, 32, 64, 128, 256]),  # default 128
    "faiss ivfflat": ("nprobe", [1, 2, 4, 8, 16, 32]),  # default 16
    "faiss ivfpq": ("nprobe", [4, 8, 16, 32, 64]),  # default 16
    "annoy": ("search_k", [-1, 0, 5000, 20000]),  # -1 = Annoy's k * n_trees; 0 = 4x that
}
POOL_FRACTIONS = [0.001, 0.01, 0.1, 0.5]
#: Environments for the OpenBLAS comparison of the flat index (None = remove the variable).
#: The last variant turns off the plugin's ``omp_passive`` default: libgomp then busy-waits.
BLAS_VARIANTS: list[tuple[str, dict[str, str | None], dict[str, Any]]] = [
    ("as is", {}, {}),
    ("OPENBLAS_CORETYPE, _L2_SIZE unset",
     {"OPENBLAS_CORETYPE": None, "OPENBLAS_L2_SIZE": None}, {}),
    ("OPENBLAS_CORETYPE=Prescott", {"OPENBLAS_CORETYPE": "Prescott"}, {}),
    ("as is, omp_passive=false", {}, {"omp_passive": False}),
]  # fmt: skip


# -- data ---------------------------------------------------------------------------------


def make_data(size: int, folder: Path) -> dict[str, str]:
    """Write the vectors and queries for ``size`` as .npy files; return their paths."""
    import numpy as np

    generator = np.random.default_rng(SEED + size)
    clusters = max(1, size // 100)
    centers = generator.standard_normal((clusters, DIM)).astype(np.float32)
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)

    def draw(count: int) -> np.ndarray:
        labels = generator.integers(0, clusters, count)
        noise = generator.standard_normal((count, DIM)).astype(np.float32)
        points = centers[labels] + (SPREAD / np.sqrt(DIM)) * noise
        points /= np.linalg.norm(points, axis=1, keepdims=True)
        return points

    paths = {"vectors": str(folder / f"x{size}.npy"), "queries": str(folder / f"q{size}.npy"),
             "truth": str(folder / f"gt{size}.npy")}  # fmt: skip
    np.save(paths["vectors"], draw(size))
    np.save(paths["queries"], draw(QUERIES))
    return paths


# -- one measured unit (runs in its own interpreter) ---------------------------------------


def blas_kernels() -> dict[str, str]:
    """The OpenBLAS kernel each loaded OpenBLAS runs, keyed by the library that bundles it."""
    from threadpoolctl import threadpool_info

    kernels = {}
    for info in threadpool_info():
        if info.get("internal_api") == "openblas":
            owner = "faiss" if "faiss" in info["filepath"] else "numpy"
            kernels[owner] = f"{info.get('architecture')} ({info.get('version')})"
    return kernels


def recall_at_k(found, truth) -> float:
    hits = sum(
        len(set(a[a >= 0].tolist()) & set(b.tolist())) for a, b in zip(found, truth, strict=True)
    )
    return hits / truth.size


def worker(spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    from autocut_core.components import normalize_rows
    from autocut_core.plugins import get_registry

    if spec["retriever"] == "faiss":  # imported before the memory baseline, like numpy
        from autocut_plugins.faiss_retriever import import_faiss

        import_faiss(spec["options"].get("omp_passive", True))
    elif spec["retriever"] == "annoy":
        import annoy  # noqa: F401
    vectors = np.load(spec["vectors"])
    queries = normalize_rows(np.load(spec["queries"]))
    ids = [f"clip{i:07d}" for i in range(len(vectors))]
    retriever = get_registry().create("retriever", spec["retriever"], spec["options"])
    result: dict[str, Any] = {"kernels": blas_kernels(),
                              "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "(unset)")}  # fmt: skip

    before = rss_mib()
    reset_peak_rss()
    started = time.perf_counter()
    retriever.build(ids, vectors)
    result["build_s"] = time.perf_counter() - started
    result["build_peak_mib"] = peak_rss_mib() - before
    data_mib = vectors.nbytes / 2**20  # freed below, so added back to "resident"
    result["effective"] = getattr(retriever, "effective", {})
    del vectors

    def batched() -> tuple[float, np.ndarray]:
        started = time.perf_counter()
        _, rows = retriever.search_rows(queries, K, None)
        return len(queries) / (time.perf_counter() - started), rows

    retriever.search_rows(queries[:50], K, None)  # warm-up: thread pools, page faults
    result["batch_qps"], rows = batched()
    result["resident_mib"] = rss_mib() - before + data_mib  # after queries: Annoy is paged in
    if spec.get("write_truth"):
        np.save(spec["truth"], rows)
    truth = np.load(spec["truth"])
    result["recall"] = recall_at_k(rows, truth)
    count, started = 0, time.perf_counter()
    while count < len(queries) and time.perf_counter() - started < spec["single_seconds"]:
        retriever.search_rows(queries[count : count + 1], K, None)
        count += 1
    result["single_qps"] = count / (time.perf_counter() - started)
    if spec.get("blas_only"):
        return result

    started = time.perf_counter()
    retriever.search(queries, K)
    result["api_qps"] = len(queries) / (time.perf_counter() - started)

    result["sweep"] = sweep(retriever, queries, truth, spec["label"])
    result.update(persistence(retriever, queries, spec["folder"]))
    if spec.get("restricted"):
        result["restricted"] = restricted(retriever, queries, spec)
    return result


def sweep(retriever, queries, truth, label: str) -> list[tuple]:
    """Batched speed and recall for each value of the index's query-time knob."""
    rows_out = []
    if label in SWEEPS:
        knob, values = SWEEPS[label]
        original = retriever.settings
        for value in values:
            retriever.settings = original.model_copy(update={knob: value})
            started = time.perf_counter()
            _, rows = retriever.search_rows(queries, K, None)
            qps = len(queries) / (time.perf_counter() - started)
            rows_out.append((knob, value, qps, recall_at_k(rows, truth)))
        retriever.settings = original
    return rows_out


def persistence(retriever, queries, parent: str) -> dict[str, Any]:
    """Save and load times, size on disk, and whether the reloaded index answers the same."""
    import numpy as np

    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=parent) as folder:
        path = Path(folder) / "index.bin"
        started = time.perf_counter()
        retriever.save(path)
        result["save_s"] = time.perf_counter() - started
        result["disk_mib"] = path.stat().st_size / 2**20
        fresh = type(retriever)(retriever.settings)
        started = time.perf_counter()
        fresh.load(path)
        result["load_s"] = time.perf_counter() - started
        _, again = fresh.search_rows(queries[:100], K, None)
        _, first = retriever.search_rows(queries[:100], K, None)
        result["reload_identical"] = bool(np.array_equal(again, first))
        del fresh
    return result


def restricted(retriever, queries, spec: dict[str, Any]) -> list[tuple]:
    """Candidate-restricted search at several pool sizes: time, path and recall vs exact."""
    import numpy as np
    from autocut_plugins.faiss_retriever import exact_top_k, prefer_exact

    vectors = np.load(spec["vectors"], mmap_mode="r")
    generator = np.random.default_rng(7)
    size, rows_out = retriever.size, []
    for fraction in POOL_FRACTIONS:
        pool = np.sort(generator.choice(size, max(K, int(size * fraction)), replace=False))
        _, truth = exact_top_k(queries[:100], K, pool, size, lambda r: np.asarray(vectors[r]))
        started = time.perf_counter()
        for i in range(20):
            retriever.search_rows(queries[i : i + 1], K, pool)
        single = 20 / (time.perf_counter() - started)
        timings = []
        for _ in range(3):  # best of three: one 100-query batch can take under a millisecond
            started = time.perf_counter()
            _, found = retriever.search_rows(queries[:100], K, pool)
            timings.append(time.perf_counter() - started)
        batch = 100 / min(timings)
        inside = bool(np.isin(found[found >= 0], pool).all())
        if retriever.name == "annoy":
            paths = [retriever.prefer_exact(len(pool), q, K) for q in (1, 100)]
        elif retriever.name == "exact":
            paths = [True, True]
        else:
            kind = retriever.index_type
            paths = [prefer_exact(len(pool), q, size, kind) for q in (1, 100)]
        path = "/".join("exact" if p else "index" for p in paths)
        rows_out.append(
            (fraction, len(pool), path, single, batch, recall_at_k(found, truth), inside)
        )
    return rows_out


# -- the parent: run units, print tables -----------------------------------------------------


def run_unit(spec: dict[str, Any], env_changes: dict[str, str | None] | None = None) -> dict:
    env = dict(os.environ)
    for name, value in (env_changes or {}).items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    note(f"  {spec['label']} @ {spec['size']:,} {env_changes or ''}")
    command = [sys.executable, __file__, "--worker", json.dumps(spec)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{spec['label']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def options_text(options: dict[str, Any], effective: dict[str, Any]) -> str:
    shown = {**{k: v for k, v in options.items() if k != "index_type"}, **effective}
    shown.pop("index_type", None)
    return " ".join(f"{k}={v}" for k, v in shown.items()) or "defaults"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated sizes")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(json.loads(args.worker))))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"Retrievers, {DIM}-D clustered unit vectors, k={K}, {QUERIES} queries")
    print(machine_line())
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}\n")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-retrievers-") as folder:
        for size in sizes:
            note(f"size {size:,}: generating data")
            paths = make_data(size, Path(folder))
            base = {"size": size, "folder": folder, "single_seconds": SINGLE_SECONDS, **paths}
            results = {}
            for label, name, options in METHODS:
                spec = {**base, "label": label, "retriever": name, "options": options,
                        "write_truth": label == BASELINE, "restricted": size == max(sizes)}  # fmt: skip
                results[label] = run_unit(spec)
            print_main(size, results)
            print_sweeps(size, results)
            if size == max(sizes):
                print_restricted(size, results)
            blas = {}
            for variant, changes, extra in BLAS_VARIANTS:
                spec = {**base, "label": BASELINE, "retriever": "faiss", "single_seconds": 2.0,
                        "options": {"index_type": "flat", **extra}, "blas_only": True}  # fmt: skip
                blas[variant] = run_unit(spec, changes)
            print_blas(size, blas)


def print_main(size: int, results: dict[str, dict]) -> None:
    base = results[BASELINE]
    rows = []
    for label, _, options in METHODS:
        r = results[label]
        rows.append([
            label, options_text(options, r["effective"]), fmt(r["build_s"], 1),
            fmt(r["batch_qps"], 0), fmt(r["batch_qps"] / base["batch_qps"]) + "x",
            fmt(r["single_qps"], 0), fmt(r["single_qps"] / base["single_qps"]) + "x",
            fmt(r["api_qps"], 0), fmt(r["recall"], 3), fmt(r["build_peak_mib"], 0),
            fmt(r["resident_mib"], 0), fmt(r["disk_mib"], 0), fmt(r["load_s"], 2),
            "yes" if r["reload_identical"] else "NO",
        ])  # fmt: skip
    print(f"### {size:,} vectors (baseline: {BASELINE})\n")
    print(markdown_table(
        ["index", "options", "build s", "batch q/s", "x base", "single q/s", "x base",
         "search() q/s", "recall@10", "build peak MiB", "resident MiB", "disk MiB", "load s",
         "reload same"], rows))  # fmt: skip
    print()


def print_sweeps(size: int, results: dict[str, dict]) -> None:
    base = results[BASELINE]["batch_qps"]
    rows = [
        [label, f"{knob}={value}", fmt(qps, 0), fmt(qps / base) + "x", fmt(recall, 3)]
        for label, r in results.items()
        for knob, value, qps, recall in r.get("sweep", [])
    ]
    if rows:
        print(f"Query-time knobs, {size:,} vectors, batched {QUERIES} queries:\n")
        print(markdown_table(["index", "knob", "batch q/s", "x base", "recall@10"], rows))
        print()


def print_restricted(size: int, results: dict[str, dict]) -> None:
    rows = []
    for label, r in results.items():
        for fraction, pool, path, single, batch, recall, inside in r.get("restricted", []):
            rows.append([label, f"{fraction:.1%}", f"{pool:,}", path, fmt(single, 0),
                         fmt(batch, 0), fmt(recall, 3), "yes" if inside else "NO"])  # fmt: skip
    print(
        f"Candidate-restricted search, {size:,} vectors (path: 1 query / 100 queries;"
        " recall vs exact search of the pool):\n"
    )
    print(markdown_table(["index", "pool", "rows", "path", "single q/s", "100-batch q/s",
                          "recall@10", "only pool"], rows))  # fmt: skip
    print()


def print_blas(size: int, blas: dict[str, dict]) -> None:
    base = blas["as is"]
    rows = [
        [variant, r["kernels"].get("faiss", "—"), r["kernels"].get("numpy", "—"),
         r["omp_wait_policy"],
         fmt(r["batch_qps"], 0), fmt(r["batch_qps"] / base["batch_qps"]) + "x",
         fmt(r["single_qps"], 0)]
        for variant, r in blas.items()
    ]  # fmt: skip
    print(f"OpenBLAS and OpenMP, faiss flat, {size:,} vectors (baseline: as is):\n")
    print(markdown_table(["environment", "faiss's OpenBLAS kernel", "numpy's OpenBLAS kernel",
                          "OMP_WAIT_POLICY", "batch q/s", "x as is", "single q/s"], rows))  # fmt: skip
    print()


if __name__ == "__main__":
    main()
