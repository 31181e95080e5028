"""The two RQ-VAE presets on the same real encoder vectors: reconstruction, code use, time.

The baseline is the ``reference`` preset (the public reference implementation's design and
the default); ``autocut`` is this project's earlier design. Both train on the same vectors
with the same options and seeds: the options `autocut dataset build` would choose for that
many vectors (:func:`autocut_core.dataset.encoding.small_data_options` on the paper's
defaults: 8 heads, 128-D latent, MLP [512, 512]), so the comparison is at the size this
machine can hold, not at the paper's millions of frames.

Vectors: every frame at 5 fps of opencv-doc's four videos and each of its 91 still images,
encoded by ``histogram`` (128-D, the paper's video input size) and ``efficientnet`` (1280-D).
Held out: the last fifth of each video's frames and every fifth image, so no held-out frame
has its neighbour a fifth of a second away in training. Measured per run, on the held-out
vectors: reconstruction cosine, codes used per head (min / median of the 8 heads),
perplexity per head (min / median), the share of the vectors' variation the codes leave
unresolved after all heads (``unexplained``, the guard's measure), and training time.

    .venv/bin/python bench/bench_rqvae_presets.py                 # both encoders, 3 seeds
    .venv/bin/python bench/bench_rqvae_presets.py --encoders histogram --seeds 1

Tables go to stdout (paste-able markdown), progress to stderr. No thresholds.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import fmt, machine_line, markdown_table, note

SAMPLES = Path("/usr/share/doc/opencv-doc/examples/data")
BASELINE = "reference"
PRESETS = (BASELINE, "autocut")
FPS = 5.0
HELD_OUT_TAIL = 0.2  # of each video's frames
HELD_OUT_EVERY = 5  # of the images


def load_vectors(encoder_name: str) -> tuple[Any, Any]:
    """(train, held_out) unit vectors of the opencv-doc footage and images."""
    import numpy as np
    from PIL import Image

    from autocut_core.media.decode import iter_frames
    from autocut_core.plugins import get_registry

    encoder = get_registry().create("encoder", encoder_name)
    train, held = [], []
    for video in sorted(SAMPLES.glob("*.avi")):
        frames = [frame for _, frame in iter_frames(video, fps=FPS)]
        vectors = np.asarray(encoder.encode_batch(frames), dtype=np.float32)
        cut = round(len(vectors) * (1 - HELD_OUT_TAIL))
        train.append(vectors[:cut])
        held.append(vectors[cut:])
    images = sorted([*SAMPLES.glob("*.jpg"), *SAMPLES.glob("*.png")])
    pictures = []
    for path in images:  # at most 256 px a side, as indexing decodes frames
        with Image.open(path) as opened:
            rgb = opened.convert("RGB")
        rgb.thumbnail((256, 256))
        pictures.append(np.asarray(rgb))
    vectors = np.asarray(encoder.encode_batch(pictures), dtype=np.float32)
    rows = np.arange(len(vectors))
    train.append(vectors[rows % HELD_OUT_EVERY != 0])
    held.append(vectors[rows % HELD_OUT_EVERY == 0])

    def unit(parts: list[Any]) -> Any:
        array = np.concatenate(parts)
        return array / np.linalg.norm(array, axis=1, keepdims=True)

    return unit(train), unit(held)


def options_for(vectors: int) -> dict[str, Any]:
    """What `dataset build` trains this many vectors with (paper defaults, sized to fit)."""
    from autocut_core.dataset.encoding import small_data_options
    from autocut_core.plugins import get_registry

    tokenizer = get_registry().create("tokenizer", "rqvae")
    return small_data_options(tokenizer, {}, vectors)


def run(preset: str, seed: int, train: Any, held: Any, options: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import torch
    from autocut_plugins import rqvae_training
    from autocut_plugins.rqvae import RQVAETokenizer

    torch.set_num_threads(1)  # as the tests train: comparable, and fair on a shared machine
    tokenizer = RQVAETokenizer.from_options({**options, "preset": preset, "seed": seed})
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        report = tokenizer.fit(train, held, Path(folder), encoder="bench")
        seconds = time.perf_counter() - started
    model = tokenizer.model()
    codes = rqvae_training.encode(model, np.ascontiguousarray(held), 8192)
    used = [len(np.unique(codes[:, head])) for head in range(codes.shape[1])]
    return {
        "cosine": report["held_out_cosine"],
        "used": used,
        "perplexity": report["perplexity"],
        "unexplained": report["unexplained"][-1],
        "seconds": seconds,
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, float]:
    median = statistics.median
    return {
        "cosine": median(r["cosine"] for r in runs),
        "cosine_min": min(r["cosine"] for r in runs),
        "used_min": median(min(r["used"]) for r in runs),
        "used_median": median(median(r["used"]) for r in runs),
        "perplexity_min": median(min(r["perplexity"]) for r in runs),
        "perplexity_median": median(median(r["perplexity"]) for r in runs),
        "unexplained": median(r["unexplained"] for r in runs),
        "seconds": median(r["seconds"] for r in runs),
    }


def table(results: dict[str, dict[str, float]]) -> str:
    base = results[BASELINE]
    headers = [
        "preset", "held-out cosine (median, min)", "x base", "codes used/head (min, median)",
        "perplexity/head (min, median)", "unexplained", "train s", "x base",
    ]  # fmt: skip
    rows = []
    for preset, r in results.items():
        rows.append([
            preset + (" (baseline)" if preset == BASELINE else ""),
            f"{r['cosine']:.3f}, {r['cosine_min']:.3f}",
            fmt(r["cosine"] / base["cosine"]),
            f"{r['used_min']:.0f}, {r['used_median']:.0f}",
            f"{r['perplexity_min']:.1f}, {r['perplexity_median']:.1f}",
            f"{r['unexplained']:.3f}",
            fmt(r["seconds"], 1),
            fmt(r["seconds"] / base["seconds"]),
        ])  # fmt: skip
    return markdown_table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--encoders", nargs="+", default=["histogram", "efficientnet"])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(f"RQ-VAE presets, {machine_line()}")
    for encoder in args.encoders:
        note(f"encoding with {encoder} ...")
        train, held = load_vectors(encoder)
        options = options_for(len(train))
        results = {}
        for preset in PRESETS:
            runs = []
            for seed in range(args.seeds):
                note(f"{encoder} {preset} seed {seed} ...")
                runs.append(run(preset, seed, train, held, options))
            results[preset] = summarise(runs)
        print(
            f"\n### {encoder}: {len(train)} training, {len(held)} held-out {train.shape[1]}-D "
            f"vectors, {args.seeds} seed(s); options {options}\n"
        )
        print(table(results))


if __name__ == "__main__":
    main()
