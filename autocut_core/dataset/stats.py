"""Figure 3's statistics of a built dataset: the alignment set and its SFT subset.

The paper reports five distributions for both training stages: clips per video, clip
duration, video duration, clip text length and video text length. They are computed here from
``ads.jsonl`` (the build's per-ad manifest; text length in characters, spaces excluded, so
Chinese and English count alike), with the number of records per corpus, split and task read
from the JSONL files. :func:`plot_stats` draws the histograms the way Figure 3 lays them out
(one row per stage), with matplotlib imported only when a plot is asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_path

#: metric -> (label, unit)
METRICS: dict[str, tuple[str, str]] = {
    "clips_per_ad": ("clips per ad", ""),
    "clip_seconds": ("clip duration", "s"),
    "ad_seconds": ("ad duration", "s"),
    "clip_text_chars": ("clip text length", "chars"),
    "ad_text_chars": ("ad text length", "chars"),
}
STAGES: dict[str, tuple[str, ...]] = {"alignment": ("align", "sft"), "sft": ("sft",)}


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(
            f"{path}: not found (is this a folder `autocut dataset build` wrote?)"
        ) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"{path}: line {number}: not valid JSON ({error.msg})") from None


def _chars(text: str) -> int:
    return len("".join(text.split()))


def metric_values(folder: Path) -> dict[str, dict[str, list[float]]]:
    """stage -> metric -> the values (one per ad, or one per clip for clip metrics)."""
    ads = list(_read_jsonl(Path(folder) / "ads.jsonl"))
    values: dict[str, dict[str, list[float]]] = {}
    for stage, statuses in STAGES.items():
        chosen = [ad for ad in ads if ad["status"] in statuses]
        clips = [clip for ad in chosen for clip in ad["clips"]]
        values[stage] = {
            "clips_per_ad": [len(ad["clips"]) for ad in chosen],
            "clip_seconds": [clip["end"] - clip["start"] for clip in clips],
            "ad_seconds": [ad["duration"] for ad in chosen],
            "clip_text_chars": [_chars(clip["text"]) for clip in clips],
            "ad_text_chars": [sum(_chars(c["text"]) for c in ad["clips"]) for ad in chosen],
        }
    return values


def _summarise(values: list[float]) -> dict[str, float | int | None]:
    import numpy as np

    if not values:
        return {
            "n": 0,
            "mean": None,
            "median": None,
            "min": None,
            "max": None,
            "p10": None,
            "p90": None,
        }
    array = np.asarray(values, dtype=float)
    p10, median, p90 = np.percentile(array, [10, 50, 90]).tolist()
    return {"n": len(values), "mean": round(float(array.mean()), 3), "median": round(median, 3),
            "min": round(float(array.min()), 3), "max": round(float(array.max()), 3),
            "p10": round(p10, 3), "p90": round(p90, 3)}  # fmt: skip


def record_counts(folder: Path) -> dict[str, Any]:
    """Records per corpus and split, and per task for the SFT corpus."""
    counts: dict[str, Any] = {"align": {}, "sft": {}}
    for split in ("train", "val"):
        counts["align"][split] = sum(
            1 for _ in _read_jsonl(Path(folder) / "align" / f"{split}.jsonl")
        )
        tasks: dict[str, int] = {}
        for record in _read_jsonl(Path(folder) / "sft" / f"{split}.jsonl"):
            tasks[record["task"]] = tasks.get(record["task"], 0) + 1
        counts["sft"][split] = tasks
    return counts


def dataset_stats(folder: Path) -> dict[str, Any]:
    values = metric_values(folder)
    return {
        "folder": str(folder),
        "stages": {
            stage: {metric: _summarise(vals) for metric, vals in metrics.items()}
            for stage, metrics in values.items()
        },
        "records": record_counts(folder),
    }


def format_table(stats: dict[str, Any]) -> str:
    """The statistics as a plain-text table (one row per metric and stage)."""
    header = f"{'metric':<26}{'stage':<11}{'n':>6}{'mean':>9}{'median':>9}{'min':>8}{'max':>8}{'p10':>8}{'p90':>8}"
    rows = [header, "-" * len(header)]
    for metric, (label, unit) in METRICS.items():
        name = f"{label} ({unit})" if unit else label
        for stage in STAGES:
            s = stats["stages"][stage][metric]
            cells = "".join(
                f"{'-' if s[key] is None else format(s[key], '.1f'):>{width}}"
                for key, width in (("mean", 9), ("median", 9), ("min", 8), ("max", 8),
                                   ("p10", 8), ("p90", 8))
            )  # fmt: skip
            rows.append(f"{name:<26}{stage:<11}{s['n']:>6}{cells}")
    records = stats["records"]
    rows.append("")
    for split in ("train", "val"):
        tasks = ", ".join(f"{task} {n}" for task, n in sorted(records["sft"][split].items()))
        rows.append(
            f"{split:<6} alignment records {records['align'][split]}; SFT records: {tasks or 'none'}"
        )
    return "\n".join(rows)


def plot_stats(folder: Path, target: Path) -> Path:
    """Histograms of every metric, alignment stage above and SFT below, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    values = metric_values(folder)
    figure, axes = plt.subplots(len(STAGES), len(METRICS), figsize=(3.2 * len(METRICS), 5.6))
    colours = {"alignment": "#4a7fb5", "sft": "#d9822b"}
    for row, stage in enumerate(STAGES):
        for column, (metric, (label, unit)) in enumerate(METRICS.items()):
            axis = axes[row][column]
            data = values[stage][metric]
            if data and metric == "clips_per_ad":  # whole numbers: one bar per count
                low, high = min(data), max(data)
                axis.hist(data, bins=[x - 0.5 for x in range(int(low), int(high) + 2)],
                          color=colours[stage], rwidth=0.8)  # fmt: skip
            elif data:
                axis.hist(data, bins=min(20, max(3, len(set(data)))), color=colours[stage])
            else:
                axis.text(0.5, 0.5, "no data", ha="center", va="center", transform=axis.transAxes)
            axis.set_title(f"{label} ({stage})", fontsize=9)
            axis.set_xlabel(unit or "count", fontsize=8)
            axis.tick_params(labelsize=7)
    figure.suptitle(f"Dataset statistics: {Path(folder).name}", fontsize=11)
    figure.tight_layout()
    target = Path(target)
    with atomic_path(target) as temporary:
        figure.savefig(temporary, format="png", dpi=90)
    plt.close(figure)
    return target
