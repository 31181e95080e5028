"""`autocut dataset build|stats|import`: training corpora from finished ads, their statistics,
and caption data of other layouts converted for `autocut eval`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from autocut_core.cli.flags import JsonOption, uses_settings
from autocut_core.errors import SettingsError
from autocut_core.settings import AutocutSettings


@uses_settings(
    "encoder", "audio_encoder", "tokenizer", "audio_tokenizer", "transcriber", "separator"
)
def build_command(
    settings: AutocutSettings,
    ads_dir: Annotated[Path, typer.Argument(metavar="ADS_DIR", help="Folder of finished ads.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for the corpora.")],
    db: Annotated[
        Path | None, typer.Option("--db", help="Material database folder (default: OUTPUT/db).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split and shuffles.")] = 0,
    val_share: Annotated[
        float, typer.Option("--val-share", min=0.0, max=0.5, help="Share of ads held out.")
    ] = 0.05,
    lang: Annotated[
        str, typer.Option("--lang", help="Prompt language: auto (the script's), en, zh, both.")
    ] = "auto",
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            help="Prompt/answer profile: autocut, or reference (the reference "
            "implementation's Chinese prompts, 1-based answers, one task per ad, and its "
            "LLaMA-Factory files; docs/reference-compat.md).",
        ),
    ] = "autocut",
    tasks: Annotated[
        str, typer.Option("--tasks", help="Comma-separated SFT tasks.")
    ] = "select,sort,script,music",
    samples_per_ad: Annotated[
        int, typer.Option("--samples-per-ad", min=1, help="Records per ad and task.")
    ] = 1,
    music_pool: Annotated[
        int, typer.Option("--music-pool", min=1, help="Tracks in a music record's pool.")
    ] = 10,
    max_frames_per_clip: Annotated[
        int,
        typer.Option("--max-frames-per-clip", min=0, help="Frames tokenized per clip (0: all)."),
    ] = 0,
    max_duration: Annotated[
        float, typer.Option("--max-duration", help="SFT: keep ads shorter than this (s).")
    ] = 120.0,
    min_clip: Annotated[float, typer.Option("--min-clip", help="SFT: shortest clip (s).")] = 2.0,
    max_clip: Annotated[float, typer.Option("--max-clip", help="SFT: longest clip (s).")] = 60.0,
    min_clips: Annotated[
        int, typer.Option("--min-clips", min=1, help="SFT: fewest sentence clips an ad has.")
    ] = 2,
    max_repetition: Annotated[
        float,
        typer.Option(
            "--max-repetition",
            min=0.0,
            max=1.0,
            help="SFT: an ad whose share of distinct sentences or trigrams is at most this is "
            "repetitive.",
        ),
    ] = 0.5,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Indexing processes; 0 = automatic.")
    ] = None,
    transcribe: Annotated[
        bool,
        typer.Option(
            "--transcribe/--no-transcribe",
            help="Transcribe ads without a transcript sidecar with the transcriber (when one "
            "is installed and ready); --no-transcribe skips them.",
        ),
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Index, tokenize and cut finished ads into the alignment and SFT corpora.

    Each ad in ADS_DIR is a video with sidecars sharing its name: ad01.mp4, ad01.srt (or
    .vtt, .json), ad01.product.toml (or .product.json) and optionally ad01.bgm.ogg; without
    that, the --separator's music stem of the ad (--separator none: the mix) is its music.
    Without a trained --tokenizer-opt checkpoint=DIR, tokenizers are trained on the
    training ads.
    """
    from autocut_core.dataset.build import BuildOptions, build_dataset
    from autocut_core.dataset.filters import FilterSettings
    from autocut_core.dataset.tasks import TaskOptions
    from autocut_core.materials.separation import ready_separator
    from autocut_core.materials.transcription import ready_transcriber

    try:
        task_options = TaskOptions(
            seed=seed, lang=lang, tasks=tuple(t.strip() for t in tasks.split(",") if t.strip()),
            samples_per_ad=samples_per_ad, music_pool=music_pool, profile=profile,
        )  # fmt: skip
        filters = FilterSettings(
            max_duration=max_duration, min_clip=min_clip, max_clip=max_clip,
            min_clips=min_clips, max_repetition=max_repetition,
        )  # fmt: skip
    except ValueError as error:
        raise SettingsError(str(error)) from None
    transcriber, note = (
        ready_transcriber(settings)
        if transcribe
        else (None, "transcription turned off (--no-transcribe)")
    )
    separator, separator_note = ready_separator(settings)
    options = BuildOptions(
        db=db, seed=seed, val_share=val_share, filters=filters, tasks=task_options,
        max_frames_per_clip=max_frames_per_clip, jobs=jobs, transcriber=transcriber,
        transcriber_note=note, separator=separator, separator_note=separator_note,
    )  # fmt: skip
    show = not as_json and sys.stderr.isatty()
    summary = build_dataset(
        ads_dir, output, settings, options, lambda m: typer.echo(m, err=True) if show else None
    )
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    ads, records = summary["ads"], summary["records"]
    typer.echo(
        f"Built {summary['output']} from {ads['found']} ad(s) in {summary['seconds']:.1f} s: "
        f"{ads['alignment']} in the alignment corpus, {ads['sft']} in the SFT corpus, "
        f"{ads['skipped']} skipped (profile {summary['profile']})."
    )
    for split in ("train", "val"):
        tasks = ", ".join(f"{n} {task}" for task, n in records["sft"][split].items())
        typer.echo(f"  {split}: {records['align'][split]} alignment, SFT {tasks}")
    for name, result in summary["filters"].items():
        if not result.get("available", True):
            typer.echo(f"  filter {name}: removed 0 ({result['note']})")
        elif result["removed"]:
            typer.echo(f"  filter {name}: removed {result['removed']} ({result['why']})")
            for example in result["examples"]:
                typer.echo(f"    {example['ad_id']}: {example['reason']}")
            if result["removed"] > len(result["examples"]):
                more = result["ads"][len(result["examples"]) :]
                typer.echo(f"    and {len(more)} more: {', '.join(more)}")
    timing = summary["sentence_timing"]
    for how, ids in timing["ads"].items():
        typer.echo(f"  sentences from {how}: {len(ids)} ad(s) ({', '.join(ids)})")
    if timing["note"]:
        typer.echo(f"  no transcriber: {timing['note']}")
    music = summary["music_source"]
    for source, ids in music["ads"].items():
        where = "the mix (voice and music together)" if source == "mix" else source
        typer.echo(f"  music vectors from {where}: {len(ids)} ad(s) ({', '.join(ids)})")
    if music["note"]:
        typer.echo(f"  no separator: {music['note']}")
    for skipped in summary["skipped"]:
        typer.echo(f"  skipped {skipped['ad_id']}: {skipped['reason']}")
    for orphan in summary["orphans"]:
        typer.echo(f"  not part of any ad: {orphan}")
    for kind, tokenizer in summary["tokenizers"].items():
        how = (
            "reused" if tokenizer["reused"] else "trained" if tokenizer["trained_here"] else "given"
        )
        typer.echo(f"  {kind} tokenizer '{tokenizer['name']}' ({how}): {tokenizer['checkpoint']}")
    for note in summary.get("notes", []):
        typer.echo(f"  note: {note}")


def stats_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder `dataset build` wrote.")],
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also draw Figure 3's histograms into a PNG.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Figure 3's statistics of both corpora: clips per ad, durations, text lengths."""
    from autocut_core.dataset.stats import dataset_stats, format_table, plot_stats

    stats = dataset_stats(folder)
    if plot is not None:
        plot_stats(folder, plot)
        stats["plot"] = str(plot)
    if as_json:
        typer.echo(json.dumps(stats, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_table(stats))
        if plot is not None:
            typer.echo(f"Plot: {plot}")


def import_command(
    source: Annotated[Path, typer.Argument(metavar="SRC", help="The file or folder to convert.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The caption JSONL to write (one ad a line).")
    ],
    layout: Annotated[str, typer.Option("--layout", help="The layout of SRC: sft, csv or folder.")],
    as_json: JsonOption = False,
) -> None:
    """Convert caption data of another layout into the caption JSONL `autocut eval` reads.

    Layouts (docs/datasets.md#importing-caption-data): sft (the SFT JSONL of `dataset
    build`), csv (one row per clip), folder (one JSON file per ad, as the paper's caption
    baselines). Every ad or row that cannot be imported is listed with its file, line and
    field; the ads that can are written.
    """
    from autocut_core.dataset.importing import import_ads

    report = import_ads(source, output, layout)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(
        f"Imported {report.imported} ad(s) ({report.clips} clips) from {source} into {output}; "
        f"refused {len(report.refused)}."
    )
    for refusal in report.refused:
        typer.echo(f"  refused {refusal}", err=True)
    for note in report.notes:
        typer.echo(f"  note: {note}")


def register(app: typer.Typer, typer_factory: Any) -> None:
    """Attach ``dataset build``, ``dataset stats`` and ``dataset import`` to the root app."""
    dataset = typer_factory(help="Build training corpora from finished ads.", no_args_is_help=True)
    dataset.command("build")(build_command)
    dataset.command("stats")(stats_command)
    dataset.command("import")(import_command)
    app.add_typer(dataset, name="dataset")
