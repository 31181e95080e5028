"""`autocut run` (make an ad with a pipeline) and `autocut render` (re-render a plan.json)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autocut_core.cli.flags import JsonOption, uses_settings
from autocut_core.errors import InputError
from autocut_core.settings import AutocutSettings
from autocut_core.types import EditPlan, RenderSettings

if TYPE_CHECKING:
    from autocut_core.pipelines.request import EditResult, Grounding

#: Output frame sizes by aspect ratio (width, height).
FORMAT_PRESETS: dict[str, tuple[int, int]] = {
    "9:16": (1080, 1920),
    "16:9": (1920, 1080),
    "1:1": (1080, 1080),
}

#: ``--grounding`` values, typed as the request takes them.
GROUNDING_MODES: dict[str, Grounding] = {"index": "index", "tokens": "tokens"}


def _render_overrides(base: RenderSettings, **flags: Any) -> RenderSettings:
    """``[render]`` settings with the flags that were given laid over them."""
    changes = {key: value for key, value in flags.items() if value is not None}
    size = changes.pop("format", None)
    if size is not None:
        if size not in FORMAT_PRESETS:
            raise InputError(
                f"unknown --format {size!r}: choose one of {', '.join(FORMAT_PRESETS)}"
            )
        changes["width"], changes["height"] = FORMAT_PRESETS[size]
    if changes.pop("crossfade", None) is not None:
        changes["transition"] = "crossfade"
        changes["transition_duration"] = flags["crossfade"]
    return replace(base, **changes)


@uses_settings(
    "pipeline", "backbone", "encoder", "audio_encoder", "tokenizer", "audio_tokenizer",
    "voice", "renderer",
)  # fmt: skip
def run_command(
    settings: AutocutSettings,
    product: Annotated[
        Path, typer.Option("--product", help="Product facts (TOML or JSON).", show_default=False)
    ],
    footage: Annotated[
        list[Path],
        typer.Option("--footage", metavar="PATH", help="Video file or folder (repeatable)."),
    ],
    script: Annotated[
        Path | None,
        typer.Option("--script", help="Script: one sentence per line (or a paragraph)."),
    ] = None,
    music: Annotated[
        list[Path] | None,
        typer.Option(
            "--music",
            metavar="PATH",
            help="A music folder the backbone picks from, or one FILE to use as is.",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="The MP4 to write.")] = Path(
        "out/ad.mp4"
    ),
    db: Annotated[
        Path | None, typer.Option("--db", help="Material database (default: setting 'db').")
    ] = None,
    size: Annotated[
        str | None, typer.Option("--format", help="9:16 (default), 16:9 or 1:1.")
    ] = None,
    fit: Annotated[
        str | None, typer.Option("--fit", help="crop (fill) or pad (letterbox).")
    ] = None,
    fps: Annotated[float | None, typer.Option("--fps", help="Output frame rate.")] = None,
    crossfade: Annotated[
        float | None, typer.Option("--crossfade", metavar="SECONDS", help="Crossfade clips.")
    ] = None,
    trim: Annotated[
        str | None, typer.Option("--trim", help="by-frame (paper default) or by-clip.")
    ] = None,
    crf: Annotated[int | None, typer.Option("--crf", help="x264 quality (lower = better).")] = None,
    preset: Annotated[str | None, typer.Option("--preset", help="x264 speed preset.")] = None,
    subtitles: Annotated[
        bool | None, typer.Option("--subtitles/--no-subtitles", help="Burn in subtitles.")
    ] = None,
    voice_over: Annotated[
        bool, typer.Option("--voice-over/--no-voice-over", help="Speak the script.")
    ] = True,
    keep_order: Annotated[
        bool, typer.Option("--keep-order", help="Keep the footage order (no sorting).")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print and write the plan (-o x.json, or x.plan.json); no video."
        ),
    ] = False,
    grounding: Annotated[
        str | None,
        typer.Option(
            "--grounding",
            help="index: use the clips the backbone answered with; tokens: decode their "
            "video tokens and use the clips they ground to (default: setting run.grounding).",
        ),
    ] = None,
    variants: Annotated[
        int | None,
        typer.Option(
            "--variants",
            metavar="N",
            help="Make N different ads of the brief (-o ad.mp4 writes ad-v1.mp4 ... and "
            "ad.variants.json with their pairwise diversity).",
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option("--duration", metavar="SECONDS", help="Make the ad last exactly this long."),
    ] = None,
    platform: Annotated[
        str | None,
        typer.Option(
            "--platform",
            help="A length and format preset: bumper (6 s, 16:9), "
            "story (15 s, 9:16), reel (30 s, 9:16), feed (60 s, 1:1).",
        ),
    ] = None,
    beat_sync: Annotated[
        bool,
        typer.Option("--beat-sync/--no-beat-sync", help="Move cuts onto the music's beats."),
    ] = False,
    beat_tolerance: Annotated[
        float,
        typer.Option("--beat-tolerance", metavar="SECONDS", help="How far a cut may move."),
    ] = 0.25,
    with_end_card: Annotated[
        bool,
        typer.Option("--end-card/--no-end-card", help="End on a card: product, brand, CTA."),
    ] = False,
    cta: Annotated[
        str | None, typer.Option("--cta", metavar="TEXT", help="The end card's call to action.")
    ] = None,
    logo: Annotated[
        Path | None, typer.Option("--logo", metavar="IMAGE", help="The end card's logo.")
    ] = None,
    brand_colors: Annotated[
        str | None,
        typer.Option("--brand-colors", metavar="BG[,TEXT]", help="End card colours, #RRGGBB."),
    ] = None,
    end_card_seconds: Annotated[
        float, typer.Option("--end-card-seconds", metavar="SECONDS", help="End card length.")
    ] = 2.0,
    rule: Annotated[
        list[str] | None,
        typer.Option(
            "--rule",
            metavar="RULE",
            help="hook-within=SECONDS, selling-points-once "
            "or cta-last (repeatable); a broken rule is an error.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make an ad: index the footage, let the backbone decide, voice, render.

    script-driven: --script is required; the backbone selects one clip per sentence.
    footage-driven: each --footage file is one clip; the backbone writes the script.
    """
    from autocut_core.cli import craft_flags
    from autocut_core.cli.display import StageProgress
    from autocut_core.inputs import load_product, load_script
    from autocut_core.output.deliverables import check_output
    from autocut_core.pipelines.craft import AdCraft
    from autocut_core.pipelines.request import EditRequest, music_inputs

    target = craft_flags.target_seconds(duration, platform)
    size = size if size is not None else craft_flags.platform_format(platform)
    render = _render_overrides(
        settings.render, format=size, fit=fit, fps=fps, crossfade=crossfade, trim=trim,
        crf=crf, preset=preset, subtitles=subtitles,
    )  # fmt: skip
    check_output(output)
    library, pinned = music_inputs(music or ())
    if grounding is not None and grounding not in GROUNDING_MODES:
        raise InputError(f"unknown --grounding {grounding!r}: choose index or tokens")
    if variants is not None and keep_order:
        raise InputError("--variants changes the order of the ad; it cannot --keep-order")
    facts = load_product(product)
    craft = AdCraft(
        duration=target,
        beat_sync=beat_sync,
        beat_tolerance=beat_tolerance,
        end_card=craft_flags.end_card(
            facts, with_end_card, cta, logo, brand_colors, end_card_seconds
        ),
        rules=craft_flags.rules(rule),
    )
    progress = StageProgress.for_command(as_json)
    request = EditRequest(
        product=facts,
        footage=tuple(footage),
        output=output,
        settings=settings,
        script=craft_flags.script_with_roles(load_script(script), facts, script)
        if script is not None
        else None,
        music=library,
        music_file=pinned,
        db=db,
        render=render,
        keep_order=keep_order,
        voice=voice_over,
        dry_run=dry_run,
        grounding=GROUNDING_MODES[grounding] if grounding is not None else None,
        craft=craft,
        progress=progress,
    )
    pipeline = settings.create("pipeline")
    if variants is not None:
        from autocut_core.cli.variants import report_variants
        from autocut_core.pipelines.variants import run_variants

        with progress:
            made = run_variants(pipeline, request, variants)
        report_variants(made, as_json)
        return
    with progress:
        result = pipeline.run(request)
    _report(result, as_json)


@uses_settings("voice", "renderer")
def render_command(
    settings: AutocutSettings,
    plan_file: Annotated[Path, typer.Argument(metavar="PLAN.json", help="A plan to render.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="The MP4 (default: next to the plan).")
    ] = None,
    revoice: Annotated[
        bool,
        typer.Option("--revoice", help="Speak every sentence again (after editing them)."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Render an edited plan.json: slots, sentences, music and settings as written in it.

    Slots whose voice file is missing or whose sentence was edited (or all, with --revoice)
    are spoken again, and every slot is refitted to its voice line. A slot changed by hand
    (clip, in/out or sentence) loses its score and is shown as edited.
    """
    from autocut_core.cli.display import StageProgress
    from autocut_core.output.deliverables import check_output
    from autocut_core.pipelines.rerender import render_edited

    target = output or plan_file.with_name(_video_name(plan_file))
    check_output(target)
    with StageProgress.for_command(as_json) as progress:
        result = render_edited(load_plan(plan_file), target, settings, revoice, progress)
    _report(result, as_json)


def _video_name(plan_file: Path) -> str:
    stem = plan_file.name.removesuffix(".json").removesuffix(".plan")
    return f"{stem or 'ad'}.mp4"


def load_plan(path: Path) -> EditPlan:
    from autocut_core.serde import load_json

    return load_json(EditPlan, path)


def _report(result: EditResult, as_json: bool) -> None:
    from autocut_core.editing.timeline import place, total_duration
    from autocut_core.serde import to_data

    plan = result.plan
    if as_json:
        data = {
            "video": str(result.video) if result.video else None,
            "side_outputs": {key: str(path) for key, path in result.side_outputs.items()},
            "duration": round(total_duration(plan), 3),
            "notes": list(result.notes),
            "warnings": list(result.warnings),
            "evidence": list(result.evidence),
            "grounding": [
                {"slot": number, **found.to_dict()}
                for number, found in enumerate(result.grounding, start=1)
            ],
            "plan": to_data(plan),
        }
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from autocut_core.cli import display
    from autocut_core.editing.scores import score_label

    table = display.table(f"{plan.pipeline or 'plan'}: {len(plan.slots)} slots",
                          ["#", "time", "source", "in-out", "sentence", "score"])  # fmt: skip
    for placed in place(plan):
        slot = placed.slot
        held = f" +{slot.hold:.2f} hold" if slot.hold else ""
        display.row(
            table,
            placed.index + 1,
            f"{placed.start:6.2f}-{placed.end:6.2f}",
            Path(slot.source_path).name,
            f"{slot.source_in:.2f}-{slot.source_out:.2f}{held}",
            f"[{slot.role}] {slot.sentence}" if slot.role else slot.sentence,
            score_label(slot),
        )
    console = display.console()
    console.print(table)
    music = Path(plan.music.path).name if plan.music else "none"
    console.print(f"music: {music}   length: {total_duration(plan):.2f} s")
    if plan.end_card is not None:
        card = plan.end_card
        console.print(display.plain(f"end card: {card.duration:.2f} s, {card.cta or card.title}"))
    if result.grounding:
        kept = sum(not found.changed for found in result.grounding)
        console.print(
            f"grounding: tokens; {kept} of {len(result.grounding)} slots kept the asked clip"
        )
    for number, evidence in enumerate(result.evidence, start=1):
        console.print(display.plain(f"slot {number} chosen on: {evidence}"))
    for note in result.notes:
        console.print(display.plain(f"note: {note}"))
    for warning in result.warnings:
        display.warn(warning)
    if result.video is None:
        console.print("dry run: nothing rendered")
        for key, path in result.side_outputs.items():
            console.print(f"  {key}: {path}")
        return
    console.print(f"wrote {result.video}")
    for key, path in result.side_outputs.items():
        console.print(f"  {key}: {path}")


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("render")(render_command)
