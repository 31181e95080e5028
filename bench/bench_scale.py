"""Scale: faiss indexes (sharded or not) at up to 1M x 128, and `autocut index` on Ray.

Two parts, each printing markdown tables to stdout (progress goes to stderr). No thresholds:
every ratio divides by a baseline measured in the same run.

``faiss``: seeded clustered 128-D unit vectors (the data of bench/bench_retrievers.py), 1000
fresh queries, k = 10. Per index type and shard count, in a fresh interpreter each: build time
(training included), peak resident memory of the build, size on disk, batched queries/s and
recall@10 against the exact (flat) answer of the same run.

``ray``: the same synthetic footage indexed by the local engine (one process) and by the Ray
engine with 1 and 2 workers on a local cluster; files/s, the ratio to 1 Ray worker, and
whether the databases are identical to the local engine's (``autocut_core.materials.compare``).

    .venv/bin/python bench/bench_scale.py                 # faiss at 200k + ray, 8 videos (minutes)
    .venv/bin/python bench/bench_scale.py --part faiss --size 1000000   # 1M: ~25 min, 2 cores
    .venv/bin/python bench/bench_scale.py --part ray --videos 12
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    fmt,
    machine_line,
    markdown_table,
    note,
    peak_rss_mib,
    reset_peak_rss,
    rss_mib,
    run_isolated,
)
from bench_retrievers import K, make_data, recall_at_k

#: (label, faiss options). The plugin's defaults unless named; flat is the exact baseline.
FAISS_METHODS: list[tuple[str, dict[str, Any]]] = [
    ("flat (exact)", {"index_type": "flat"}),
    ("hnsw", {"index_type": "hnsw"}),
    ("hnsw, 2 shards", {"index_type": "hnsw", "shards": 2}),
    ("ivfflat", {"index_type": "ivfflat"}),
    ("ivfflat, 2 shards", {"index_type": "ivfflat", "shards": 2}),
    ("ivfpq", {"index_type": "ivfpq"}),
    ("ivfpq, 2 shards", {"index_type": "ivfpq", "shards": 2}),
]
QUERY_SECONDS = 2.0  # batched queries are repeated for at least this long


def faiss_unit(label: str, options: dict[str, Any], paths: dict[str, str]) -> dict[str, Any]:
    """Build one index from the vectors file and measure it (runs in a fresh interpreter)."""
    import numpy as np

    from autocut_core.plugins import get_registry

    vectors = np.load(paths["vectors"])
    queries = np.load(paths["queries"])
    ids = [f"c{i}" for i in range(len(vectors))]
    retriever = get_registry().create("retriever", "faiss", options)
    before = rss_mib()
    reset_peak_rss()
    started = time.perf_counter()
    retriever.build(ids, vectors)
    build = time.perf_counter() - started
    peak = peak_rss_mib() - before
    with tempfile.TemporaryDirectory(dir=Path(paths["vectors"]).parent) as scratch:
        saved = Path(scratch) / "index.faiss"
        retriever.save(saved)
        disk = saved.stat().st_size / 2**20
    normalised = queries / np.linalg.norm(queries, axis=1, keepdims=True)
    rounds, started = 0, time.perf_counter()
    while True:
        _, found = retriever.search_rows(normalised, K, None)
        rounds += 1
        if time.perf_counter() - started >= QUERY_SECONDS:
            break
    qps = rounds * len(queries) / (time.perf_counter() - started)
    if options["index_type"] == "flat":
        np.save(paths["truth"], found)
    return {"label": label, "build": build, "peak": peak, "disk": disk, "qps": qps,
            "found": found.tolist(), "effective": retriever.effective}  # fmt: skip


def run_faiss(size: int, folder: Path) -> None:
    import numpy as np

    note(f"faiss: writing {size} x 128 vectors")
    paths = make_data(size, folder)
    results = []
    for label, options in FAISS_METHODS:
        note(f"faiss: {label} at {size}")
        results.append(run_isolated(faiss_unit, label, options, paths))
    truth = np.load(paths["truth"])
    base = results[0]
    rows = []
    for result in results:
        recall = recall_at_k(np.asarray(result["found"]), truth)
        rows.append([result["label"], fmt(result["build"], 1), fmt(result["peak"], 0),
                     fmt(result["disk"], 0), fmt(result["qps"], 0),
                     fmt(result["qps"] / base["qps"], 1) + "x", fmt(recall, 3)])  # fmt: skip
    print(f"\n### faiss, {size:,} x 128, 1000 batched queries, k = {K}\n")
    print(machine_line() + "\n")
    headers = ["index", "build s", "build peak MiB", "disk MiB", "q/s", "vs flat", "recall@10"]
    print(markdown_table(headers, rows))


def make_footage(videos: int, folder: Path) -> Path:
    """``videos`` synthetic 640x360 videos of 12 s in four shots: decode-bound work."""
    from autocut_core.testing.samples import make_scene_video, scenes_for

    footage = folder / "footage"
    footage.mkdir(parents=True, exist_ok=True)
    for number in range(videos):
        durations = [3.0 + 0.25 * number, 3.0, 3.0, 3.0 - 0.25 * number]
        make_scene_video(footage / f"video_{number:03d}.mp4", scenes_for(durations),
                         size=(640, 360), audio=False)  # fmt: skip
    return footage


def run_ray(videos: int, folder: Path) -> None:
    """Local engine vs Ray with 1 and 2 workers on the same files, one Ray cluster for both.

    The cluster is started once, before the clock, as an operator's cluster would be running
    already; actor start-up (a Python process loading the encoders) is inside the clock.
    """
    import ray

    from autocut_core.materials.database import MaterialDB
    from autocut_core.materials.indexing import IndexOptions, index
    from autocut_core.materials.ray_engine import RayOptions, RayRunner

    note(f"ray: writing {videos} videos")
    footage = make_footage(videos, folder)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    results = []
    try:
        for label, workers in (("local engine", 0), ("ray, 1 worker", 1), ("ray, 2 workers", 2)):
            note(f"ray: {label}")
            runner = RayRunner(RayOptions(workers=workers)) if workers else None
            started = time.perf_counter()
            report = index([footage], [], folder / f"db{workers}", IndexOptions(), runner=runner)
            elapsed = time.perf_counter() - started
            assert report.new_videos == videos and not report.failed, report.failed
            results.append((label, workers, elapsed, report.decoded_frames))
    finally:
        ray.shutdown()
    with MaterialDB(folder / "db0") as local:
        reference = local.dump()
    one = results[1][2]
    rows = []
    for label, workers, elapsed, frames in results:
        with MaterialDB(folder / f"db{workers}") as db:
            same = "yes" if db.dump() == reference else "NO"
        rows.append([label, fmt(elapsed, 1), fmt(videos / elapsed, 2), fmt(frames / elapsed, 0),
                     fmt(one / elapsed, 2) + "x", same])  # fmt: skip
    print(f"\n### autocut index, {videos} videos of 12 s at 640x360 (histogram encoder)\n")
    print(machine_line() + "\n")
    headers = ["engine", "wall s", "files/s", "decoded frames/s", "vs 1 Ray worker",
               "same database"]  # fmt: skip
    print(markdown_table(headers, rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["faiss", "ray", "all"], default="all")
    parser.add_argument("--size", type=int, default=200_000, help="faiss vectors (1M: 1000000)")
    parser.add_argument("--videos", type=int, default=8, help="ray: synthetic videos indexed")
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        if args.part in ("faiss", "all"):
            run_faiss(args.size, Path(scratch))
        if args.part in ("ray", "all"):
            run_ray(args.videos, Path(scratch))


if __name__ == "__main__":
    main()
