"""The ``rqvae`` tokenizer's default architecture at full size: quality, code use and speed.

What the suite cannot afford to run on every change (one to three minutes on two cores): the
paper's video architecture (8 heads x 256 codes, 128-D, MLP [512, 512]) trained on 100k
seeded clustered 128-D unit vectors (2000 clusters, noise 0.3, 10k held out), 5 epochs at
batch 1024, with each preset (``reference``, the default, and ``autocut``; docs/tokenizers.md).
The suite keeps a small version of the same run (``tests/tokens/test_rqvae.py``).

The baseline is faiss's plain residual k-means with the same budget (8 x 256 codes, beam 1,
on the raw vectors, no autoencoder), trained on the same vectors in the same run; the
``x baseline`` column divides the held-out cosine by its. The RQ-VAE spends its bits through
a learned encoder and must not collapse; the baseline shows what the code budget alone gives.

    .venv/bin/python bench/bench_rqvae.py                       # one seed, both presets
    .venv/bin/python bench/bench_rqvae.py --seeds 3             # the spread over seeds
    .venv/bin/python bench/bench_rqvae.py --presets reference   # one preset

Tables go to stdout (paste-able markdown), progress to stderr. No thresholds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import cpu_seconds, fmt, machine_line, markdown_table, note

from autocut_core.testing.vectors import clustered

VECTORS, HELD_OUT, DIM, CLUSTERS, NOISE = 100_000, 10_000, 128, 2000, 0.3
OPTIONS = {"epochs": 5, "batch_size": 1024}
HEADS, CODES = 8, 256


def data(seed: int) -> tuple[Any, Any]:
    vectors = clustered(VECTORS + HELD_OUT, dim=DIM, clusters=CLUSTERS, noise=NOISE, seed=seed)
    return vectors[:VECTORS], vectors[VECTORS:]


def rqvae(seed: int, preset: str) -> dict[str, Any]:
    from autocut_plugins.rqvae import RQVAETokenizer

    train, held_out = data(seed)
    tokenizer = RQVAETokenizer.from_options({**OPTIONS, "seed": seed, "preset": preset})
    started, cpu = time.perf_counter(), cpu_seconds()
    with tempfile.TemporaryDirectory() as folder:
        report = tokenizer.fit(train, held_out, Path(folder) / "tok", encoder="synthetic")
    return {
        "cosine": report["held_out_cosine"],
        "utilisation": min(report["utilisation"]),
        "perplexity": min(report["perplexity"]),
        "collapsed": len(report["collapsed_heads"]),
        "first_epoch": report["history"][0]["held_out_cosine"],
        "seconds": time.perf_counter() - started,
        "cpu": cpu_seconds() - cpu,
    }


def residual_kmeans(seed: int) -> dict[str, Any]:
    import faiss
    import numpy as np

    train, held_out = data(seed)
    quantizer = faiss.ResidualQuantizer(DIM, HEADS, int(np.log2(CODES)))
    # Plain residual k-means: one k-means per level on the residuals (faiss's default trains
    # with progressive dimensions, which took more than 8 minutes here), greedy encoding.
    quantizer.train_type = faiss.ResidualQuantizer.Train_default
    quantizer.max_beam_size = 1
    started, cpu = time.perf_counter(), cpu_seconds()
    quantizer.train(train)
    decoded = quantizer.decode(quantizer.compute_codes(held_out))
    norms = np.linalg.norm(decoded, axis=1) * np.linalg.norm(held_out, axis=1)
    cosine = float(np.mean(np.sum(decoded * held_out, axis=1) / np.maximum(norms, 1e-12)))
    return {"cosine": cosine, "seconds": time.perf_counter() - started, "cpu": cpu_seconds() - cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=1, help="seeds 0..N-1 (data and training)")
    parser.add_argument("--presets", default="reference,autocut", help="comma-separated")
    args = parser.parse_args()
    presets = [preset.strip() for preset in args.presets.split(",") if preset.strip()]
    print(machine_line())
    threads = os.environ.get("OMP_NUM_THREADS")
    print(f"torch threads: {threads or 'all cores'} (OMP_NUM_THREADS; the suite runs with 1)")
    print()
    rows = []
    for seed in range(args.seeds):
        note(f"seed {seed}: faiss residual k-means")
        base = residual_kmeans(seed)
        rows.append([seed, "faiss residual k-means 8 x 256 (baseline)", fmt(base["cosine"], 4),
                     "1.00", "—", "—", "—", fmt(base["seconds"], 1), fmt(base["cpu"], 1)])  # fmt: skip
        for preset in presets:
            note(f"seed {seed}: rqvae, preset {preset}")
            ours = rqvae(seed, preset)
            label = f"rqvae {preset}: 8 x 256, MLP [512, 512], 5 epochs"
            if ours["collapsed"]:
                label += f" ({ours['collapsed']} collapsed head(s))"
            rows.append([seed, label, fmt(ours["cosine"], 4),
                         fmt(ours["cosine"] / base["cosine"], 2),
                         f"{fmt(ours['first_epoch'], 4)} -> {fmt(ours['cosine'], 4)}",
                         fmt(ours["utilisation"], 3), fmt(ours["perplexity"], 1),
                         fmt(ours["seconds"], 1), fmt(ours["cpu"], 1)])  # fmt: skip
    print(
        markdown_table(
            ["seed", "method", "held-out cosine", "x baseline", "cosine, epoch 1 -> 5",
             "least head use", "lowest perplexity", "wall s", "CPU s"],
            rows,
        )
    )  # fmt: skip


if __name__ == "__main__":
    main()
