"""Clips by index against clips grounded from decoded tokens, on ads of the demo world.

The baseline is ``index`` (the pipelines' default): a chosen clip is the pool clip the
backbone answered with. ``tokens`` decodes that clip's video tokens with the video tokenizer,
searches the decoded vectors among the pool's frames and uses the clip they vote for
(``--grounding tokens``, autocut_core/pipelines/grounding.py).

Each sample is one `autocut run --dry-run --keep-order --grounding tokens` of the
script-driven pipeline, with the settings of the bundled demo model (its `lm` backbone, its
EfficientNet-Lite0 video tokenizer): the script of one ad of a fresh demo world (a seed the
model never saw) against the footage of that ad and of the next ``--distractors`` ads (one by
default), so the pool holds the ad's own shots and the distractors' (the world's 31 concepts
recur across ads, so a distractor may show the same photo framed otherwise). One run gives both modes: per slot the clip asked
for and the clip its tokens ground to. Measured: how often grounding keeps the asked clip,
CSA (the selected set is exactly the ad's own clips) and recall (the share of the ad's clips
selected) of each mode.

A second table needs no backbone: every clip of the whole world's footage, its tokens made as
the pipeline makes them for the demo model (one frame), grounded alone among all the world's
clips: how often it comes back, and how often a clip it does not come back to shows the same
concept (the same photo in another ad).

    .venv/bin/python bench/bench_grounding.py                 # 12 ads, likelihood matching
    .venv/bin/python bench/bench_grounding.py --ads 4 --distractors 3 --matching generate

Run from the repository root (the demo model's settings name it relative to there). Tables
go to stdout (paste-able markdown), progress to stderr. No thresholds.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import fmt, machine_line, markdown_table, note

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "demo" / "model" / "autocut.toml"
BASELINE = "index"


def _gold(db, source_id: str, ad) -> set[str]:
    """The database's clips of the ad's file that show one of its shots (not the tail)."""
    return {
        clip.clip_id
        for clip in db.clips(source_id)
        if ad.concept_at((clip.start + clip.end) / 2) is not None
    }


def measure(
    folder: Path, ads: int, seed: int, matching: str, distractors: int
) -> tuple[list[dict], Any, Any]:
    from autocut_core.materials.database import MaterialDB
    from autocut_core.pipelines.request import EditRequest
    from autocut_core.settings import load_settings
    from autocut_core.testing.synthetic_ads import make_demo_world
    from autocut_core.types import Script

    started = time.perf_counter()
    world = make_demo_world(folder / "world", n_ads=ads, seed=seed, voice=None)
    note(f"world: {ads} ads in {time.perf_counter() - started:.0f} s")
    settings = load_settings(CONFIG)
    options = {**settings.backbones.get("lm", {}), "matching": matching}
    settings = settings.model_copy(update={"backbones": {**settings.backbones, "lm": options}})
    pipeline = settings.create("pipeline", "script-driven")
    samples = []
    for number, ad in enumerate(world.ads):
        others = [world.ads[(number + i) % len(world.ads)] for i in range(1, distractors + 1)]
        request = EditRequest(
            product=ad.plan.product,
            footage=(ad.video, *(other.video for other in others)),
            output=folder / f"sample{number}.json",
            settings=settings,
            script=Script(sentences=ad.plan.script),
            db=folder / "db",
            keep_order=True,
            voice=False,
            dry_run=True,
            grounding="tokens",
        )
        started = time.perf_counter()
        result = pipeline.run(request)
        with MaterialDB(folder / "db", write=False) as db:
            (source,) = [s for s in db.sources("video") if Path(s.path).name == ad.video.name]
            gold = _gold(db, source.source_id, ad)
        asked = [found.asked for found in result.grounding]
        grounded = [found.grounded for found in result.grounding]
        samples.append({"gold": gold, "index": asked, "tokens": grounded})
        kept = sum(a == g for a, g in zip(asked, grounded, strict=True))
        note(
            f"ad {number + 1}/{ads}: {len(gold)} gold clips, kept {kept}/{len(asked)}, "
            f"{time.perf_counter() - started:.0f} s"
        )
    return samples, world, settings


def round_trip(folder: Path, world, settings) -> dict[str, float]:
    """Every clip of the world's footage grounded alone among all of them."""
    from autocut_core.materials.database import MaterialDB
    from autocut_core.pipelines.gather import Material, add_tokens, shot_candidates
    from autocut_core.tokens.grounding import ground_clips

    by_name = {ad.video.name: ad for ad in world.ads}
    tokenizer = settings.create("tokenizer")
    with MaterialDB(folder / "db", write=False) as db:
        material = Material(db=db, videos=db.sources("video"), tracks=[])
        pool, _ = add_tokens(
            material, settings.create("backbone"), shot_candidates(material), [], tokenizer, None
        )
        concept = {}
        for candidate in pool:
            ad = by_name[Path(db.source(candidate.clip.source_id).path).name]
            concept[candidate.clip.clip_id] = ad.concept_at(
                (candidate.clip.start + candidate.clip.end) / 2
            )
        found = [ground_clips(db, tokenizer, [c], pool, settings.retriever)[0] for c in pool]
    moved = [f for f in found if f.changed]
    same = sum(
        concept[f.grounded] is not None and concept[f.grounded] == concept[f.asked] for f in moved
    )
    return {
        "clips": len(pool),
        "kept": 1 - len(moved) / len(pool),
        "moved": len(moved),
        "same": same,
    }


def table(samples: list[dict]) -> str:
    slots = sum(len(sample["index"]) for sample in samples)
    kept = sum(
        a == g for sample in samples for a, g in zip(sample["index"], sample["tokens"], strict=True)
    )
    rows = []
    for mode in (BASELINE, "tokens"):
        exact = [set(sample[mode]) == sample["gold"] for sample in samples]
        recall = [
            len(set(sample[mode]) & sample["gold"]) / len(sample["gold"]) for sample in samples
        ]
        rows.append(
            [
                f"{mode} (baseline)" if mode == BASELINE else mode,
                fmt(sum(exact) / len(exact), 3),
                fmt(sum(recall) / len(recall), 3),
                "1.000" if mode == BASELINE else fmt(kept / slots, 3),
            ]
        )
    return markdown_table(["grounding", "CSA", "recall", "asked clip kept"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, default=12, help="samples (ads of the world)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the demo world")
    parser.add_argument(
        "--matching", choices=("likelihood", "generate"), default="likelihood",
        help="how the lm backbone selects (its `matching` option)",
    )  # fmt: skip
    parser.add_argument("--distractors", type=int, default=1, help="other ads' files per pool")
    args = parser.parse_args()
    if not 1 <= args.distractors < args.ads:
        parser.error("--distractors must be at least 1 and fewer than --ads")
    with tempfile.TemporaryDirectory(prefix="bench-grounding-") as folder:
        samples, world, settings = measure(
            Path(folder), args.ads, args.seed, args.matching, args.distractors
        )
        trip = round_trip(Path(folder), world, settings)
    print(machine_line())
    print(
        f"\n{args.ads} ads of the demo world (seed {args.seed}), {args.distractors} distractor "
        f"ad(s) per pool, lm matching = {args.matching}\n"
    )
    print(table(samples))
    print(
        f"\nRound trip over the world's footage: {trip['clips']} clips, each grounded alone "
        f"among all of them: {trip['kept']:.3f} come back; of the {trip['moved']} that do not, "
        f"{trip['same']} land on a clip of the same concept."
    )


if __name__ == "__main__":
    main()
