"""Shot matching by evidence: ``similarity``'s select/sort accuracy from file names, captions
or frames, side by side in one run, for English and Chinese scripts.

The footage is real video: ads of the project's synthetic world
(:data:`autocut_core.testing.synthetic_ads.DEMO_WORLD`, photos from opencv-doc, camera moves,
rendered by ffmpeg) planned by :func:`~autocut_core.testing.synthetic_ads.plan_demo_world`
and written without voice or music (neither is read here). Each shot of an ad is a candidate
clip (its span in the ad's video); a select sample offers the ad's own shots plus as many of
other ads' (the sentences must pick their own), a sort sample the ad's shots shuffled (as in
bench/bench_quality.py, whose samples, answers and scoring this script reuses). What the
backbone may read about a shot is the only thing that changes between rows:

- ``file names``: the words of the name a user gave the shot's file
  (``<concept>-<n>.mp4``, e.g. ``orange-03.mp4`` -> "orange"), through
  :func:`autocut_core.materials.captions.words_from_filename`, as `autocut run` reads them;
- ``captions``: what a captioner wrote about the shot's photo in the ad's language
  (bench_quality's :data:`PARAPHRASES`, written once from the photos);
- ``image-text``: no words at all, the shot's frames in a joint image-text space
  (``image_encoder = "clip"``). Here with *tiny random* open_clip towers (``ViT-S-32-alt``,
  ``random_init``): that row proves the path (decode, embed, match) and costs it; its accuracy
  is chance by construction, not CLIP's. With weights pulled (``autocut models pull
  clip-vit-b-32``) pass ``--clip-pretrained clip-vit-b-32`` for the real figure.

``random`` (the ``random`` backbone, seed 0) is the baseline the ratios are taken against.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import random
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import fmt, machine_line, markdown_table, note
from bench_quality import PARAPHRASES, Sample, muse_registered, score

#: Table columns (task, metric, label) and the metrics shown as ratios to ``random``: recall
#: and pairwise, since random's exact-set CSA and exact-order CRA are often 0 on 3-4 shots.
COLUMNS = (
    ("select", "csa", "CSA"),
    ("select", "recall", "recall"),
    ("sort", "cra", "CRA"),
    ("sort", "pairwise", "Pairwise"),
)
RATIO_COLUMNS = (("select", "recall"), ("sort", "pairwise"))
EVIDENCE = ("file names", "captions", "image-text")


def write_footage(folder: Path, n_ads: int, seed: int, lang: str, fps: int) -> list[Any]:
    """Render ``n_ads`` silent demo-world ads of ``lang`` into ``folder``."""
    from autocut_core.testing.synthetic_ads import plan_demo_world, write_corpus

    plans = plan_demo_world(n_ads, seed=seed, zh_share=1.0 if lang == "zh" else 0.0)
    plans = [dataclasses.replace(plan, music=False) for plan in plans]
    return write_corpus(plans, folder, size=(144, 256), fps=fps, jobs=2, voice=None).ads


def samples_for(ads: Sequence[Any], evidence: str, seed: int) -> list[Sample]:
    """One select and one sort sample per ad, its shots described by ``evidence``."""
    from autocut_core.materials.captions import words_from_filename
    from autocut_core.types import Candidate, Clip

    rng = random.Random(f"{seed}-{evidence}")

    def candidate(ad: Any, index: int) -> Any:
        plan = ad.plan
        start = sum(ad.shots[:index])
        key = plan.clips[index].concept
        if evidence == "file names":
            caption, source = words_from_filename(f"{key}-{index + 1:02d}.mp4"), "file name"
        elif evidence == "captions":
            caption, source = PARAPHRASES[key][1 if plan.lang == "zh" else 0], "sidecar"
        else:
            caption, source = "", ""
        clip = Clip(source_id=plan.ad_id, start=start, end=start + ad.shots[index],
                    caption=caption)  # fmt: skip
        return Candidate(clip=clip, caption=caption, source_path=str(ad.video),
                         caption_source=source)  # fmt: skip

    shots = {ad.plan.ad_id: [candidate(ad, i) for i in range(len(ad.plan.clips))] for ad in ads}
    samples = []
    for ad in ads:
        plan, own = ad.plan, shots[ad.plan.ad_id]
        others = [shot for other, its in shots.items() if other != plan.ad_id for shot in its]
        shown = own + rng.sample(others, min(len(own), len(others)))
        rng.shuffle(shown)
        positives = sorted(shown.index(shot) for shot in own)
        samples.append(Sample("select", plan.ad_id, plan.product, plan.script, tuple(shown),
                              {"indices": positives, "pool": len(shown)}))  # fmt: skip
        shuffled = own[:]
        rng.shuffle(shuffled)
        order = [shuffled.index(shot) for shot in own]
        samples.append(Sample("sort", plan.ad_id, plan.product, plan.script, tuple(shuffled),
                              {"order": order}))  # fmt: skip
    return samples


def systems(clip_options: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """Row name -> (the evidence its candidates carry, backbone)."""
    from autocut_plugins.random_backbone import RandomBackbone
    from autocut_plugins.similarity import SimilarityBackbone

    image = {"image_encoder": "clip", "image_encoder_options": clip_options}
    return {
        "random (baseline)": ("file names", RandomBackbone.from_options({"seed": 0})),
        "similarity: file names": ("file names", SimilarityBackbone.from_options({})),
        "similarity: captions": ("captions", SimilarityBackbone.from_options({})),
        "similarity: image-text (clip)": ("image-text", SimilarityBackbone.from_options(image)),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, default=12, help="ads per language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fps", type=int, default=4, help="frame rate of the rendered footage")
    parser.add_argument("--clip-pretrained", default=None, metavar="NAME",
                        help="clip weights (a model name, tag, hub id or file) instead of tiny "
                        "random towers")  # fmt: skip
    parser.add_argument("--keep", type=Path, default=None, help="write the footage here")
    args = parser.parse_args(argv)
    if args.ads < 2:
        parser.error("--ads must be at least 2: a select sample offers other ads' shots")
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    if args.clip_pretrained:
        clip_options: dict[str, Any] = {"pretrained": args.clip_pretrained}
        clip_label = f"clip {args.clip_pretrained}"
    else:
        clip_options = {"model": "ViT-S-32-alt", "random_init": True}
        clip_label = "tiny random open_clip ViT-S-32-alt towers: proves the path, chance accuracy"
    with contextlib.ExitStack() as stack:
        muse_registered(stack)
        root = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        rows = systems(clip_options)
        print(f"Measured on {machine_line()}; {args.ads} ads per language, seed {args.seed}; "
              f"image-text row: {clip_label}.\n")  # fmt: skip
        for lang in ("en", "zh"):
            started = time.perf_counter()
            ads = write_footage(root / lang, args.ads, args.seed, lang, args.fps)
            note(f"{lang}: {len(ads)} ads rendered in {time.perf_counter() - started:.1f} s")
            by_evidence = {kind: samples_for(ads, kind, args.seed) for kind in EVIDENCE}
            results = {}
            for name, (evidence, backbone) in rows.items():
                note(f"{lang}: {name}")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    results[name] = score(backbone, by_evidence[evidence])
            print(f"### {'English' if lang == 'en' else 'Chinese'} scripts\n")
            print(markdown_table(*table(results)) + "\n")
        print("- file names: the words of `<concept>-<n>.mp4` (English, whatever the script's "
              "language); captions: a captioner's words in the script's language; image-text: "
              "frames only, no words.")  # fmt: skip
        if not args.clip_pretrained:
            print("- image-text uses tiny random weights here: the row proves the path and its "
                  "cost, not CLIP's accuracy.")  # fmt: skip


def table(results: dict[str, tuple[dict[str, dict[str, float]], float]]) -> tuple[list[str],
                                                                                 list[list[str]]]:  # fmt: skip
    """Headers and rows: each metric, its ratio to ``random``, milliseconds per sample."""
    base = results["random (baseline)"][0]
    headers = ["system", *(label for _, _, label in COLUMNS),
               *(f"{metric} x random" for _, metric in RATIO_COLUMNS), "ms/sample"]  # fmt: skip
    rows = []
    for name, (metrics, seconds) in results.items():
        values = [fmt(metrics.get(task, {}).get(metric), 4) for task, metric, _ in COLUMNS]
        ratios = []
        for task, metric in RATIO_COLUMNS:
            value, baseline = metrics.get(task, {}).get(metric), base.get(task, {}).get(metric)
            ratios.append("—" if value is None or not baseline else f"{value / baseline:.2f}")
        rows.append([name, *values, *ratios, f"{1000 * seconds:.1f}"])
    return headers, rows


if __name__ == "__main__":
    main()
