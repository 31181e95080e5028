"""Rendering one ad three ways: AutoCut's ffmpeg renderer, MoviePy, and a bare x264 encode.

The question: what does AutoCut's one-filter-graph renderer cost over the unavoidable part
(encoding 30 s of 1080x1920 H.264), and how does it compare with the approach of
MoneyPrinterTurbo, the most popular open-source short-video generator, which composes the ad
in Python with MoviePy?

The same plan is rendered by each method (and once more by AutoCut with ad craft: a 2 s end
card in the same graph and cuts snapped to the music's beats, same length; the line under the
table gives its cost over the plain render, same run): 8 slots of 3.75 s (30 s, hard cuts) from the
recorded opencv-doc videos (Megamind.avi 720x528, tree.avi 320x240, vtest.avi 768x576;
generated scene videos when opencv-doc is missing), an espeak-ng voice line and a burned-in
subtitle per slot, and a generated music track under it all; 1080x1920 at 30 fps, libx264
``veryfast``, CRF 20, AAC 192 kbit/s everywhere.

- **AutoCut ffmpeg**: ``FfmpegRenderer.render(plan)``, which runs a loudness-measuring
  audio pass and then one ffmpeg process (seek per slot, scale+crop, libass subtitles,
  voice, ducked music, two-pass loudness normalisation), plus the SRT.
- **MoviePy**: the MoneyPrinterTurbo recipe written idiomatically for MoviePy 2.x, in one
  pass (MoneyPrinterTurbo itself writes an intermediate file and encodes twice, so this is
  the faster variant): ``VideoFileClip(...).subclipped(...)``, ``resized`` + ``cropped`` to
  cover 1080x1920, ``concatenate_videoclips``, one ``TextClip(method="caption")`` per
  sentence in a ``CompositeVideoClip``, voice lines and the looped, faded music as
  ``AudioFileClip``\\s in a ``CompositeAudioClip``, ``write_videofile(codec="libx264",
  preset="veryfast", ffmpeg_params=["-crf", "20"])``. No ducking and no loudness
  normalisation: MoviePy has neither built in. MoviePy is pointed at the system ffmpeg
  (``FFMPEG_BINARY``) instead of the static build imageio-ffmpeg bundles, so all three rows
  encode with the same x264.
- **bare x264 encode** (the baseline): ``ffmpeg`` encodes 30 s of the longest source scaled
  and cropped to 1080x1920 at the same settings, video only: the floor any renderer pays.

Each method runs in a fresh ``spawn`` process (one after another; ``--repeats`` keeps the
fastest), so its imports, memory and child processes are its own. CPU s counts the process
and its finished children (ffmpeg). Peak MiB: the Python process; ``child`` the largest peak
of any child process (ffmpeg). ``--quick`` renders 3 slots of 1.5 s at 360x640 (the
smoke test uses it). Prints a markdown table; no thresholds.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import (
    children_peak_rss_mib,
    cpu_seconds,
    fmt,
    machine_line,
    markdown_table,
    note,
    peak_rss_mib,
    reset_peak_rss,
    run_isolated,
)

SENTENCES = (
    "Meet the bottle that keeps coffee hot.",
    "Twelve hours warm, twenty four hours cold.",
    "Steel inside, soft touch outside.",
    "It fits every cup holder.",
    "No leaks, even upside down.",
    "Dishwasher safe, lid and all.",
    "Six colours for every desk.",
    "Order today, free shipping.",
)
QUICK_SENTENCES = ("Hot coffee.", "Cold water.", "Buy now.")


@dataclasses.dataclass(frozen=True)
class Shape:
    """The size of the benchmark plan."""

    slots: int
    slot_seconds: float
    width: int
    height: int
    fps: float = 30.0
    crf: int = 20
    preset: str = "veryfast"

    @property
    def seconds(self) -> float:
        return self.slots * self.slot_seconds


FULL = Shape(slots=8, slot_seconds=3.75, width=1080, height=1920)
QUICK = Shape(slots=3, slot_seconds=1.5, width=360, height=640)


# --- inputs (not timed) -----------------------------------------------------------------------


def footage(folder: Path) -> tuple[list[Path], str]:
    """The recorded opencv-doc videos, or two generated scene videos; with a description."""
    from autocut_core.testing import samples

    real = samples.real_sample_videos()
    if real:
        return real, "recorded opencv-doc videos (" + ", ".join(p.name for p in real) + ")"
    made = [
        samples.make_scene_video(
            folder / f"scenes{i}.mp4", samples.scenes_for([5.0] * 4), size=(960, 540), fps=30
        ).path
        for i in range(2)
    ]
    return made, "two generated 20 s scene videos at 960x540 (opencv-doc is not installed)"


def build_plan(folder: Path, shape: Shape) -> tuple[Any, str]:
    """The benchmark plan over real footage, real espeak-ng voice lines and generated music."""
    from autocut_plugins.espeak import EspeakVoice

    from autocut_core.media import probe
    from autocut_core.testing.samples import make_music
    from autocut_core.types import EditPlan, MusicCue, RenderSettings, Slot

    sources, description = footage(folder)
    durations = [probe(path).duration for path in sources]
    sentences = SENTENCES if shape is FULL else QUICK_SENTENCES
    lines = EspeakVoice.from_options({}).synthesize_batch(
        [sentences[i % len(sentences)] for i in range(shape.slots)], folder / "voice"
    )
    music = make_music(folder / "music.ogg", shape.seconds + 5.0, "energetic")
    slots = []
    for index, line in enumerate(lines):
        source = index % len(sources)
        room = max(0.01, durations[source] - shape.slot_seconds - 0.1)
        start = round((index // len(sources)) * shape.slot_seconds % room, 3)
        if line.duration > shape.slot_seconds:
            raise SystemExit(f"voice line {index + 1} ({line.duration:.2f} s) outlasts its slot")
        slots.append(
            Slot(
                clip_id=f"bench{index:04d}004",
                source_path=str(sources[source]),
                source_in=start,
                source_out=start + shape.slot_seconds,
                sentence=line.text,
                voice_path=line.path,
                voice_duration=line.duration,
            )
        )
    render = RenderSettings(
        width=shape.width, height=shape.height, fps=shape.fps, crf=shape.crf,
        preset=shape.preset, video_encoder="libx264",
    )  # fmt: skip
    plan = EditPlan(
        slots=tuple(slots),
        music=MusicCue("energetic", str(music.path), offset=0.0, gain_db=-6.0),
        render=render,
    )
    return plan, description


# --- the three methods, each in its own process -------------------------------------------------


def render_autocut(plan: Any, output: Path) -> None:
    from autocut_core.errors import UnknownComponentError
    from autocut_core.plugins import get_registry

    try:
        renderer = get_registry().create("renderer", "ffmpeg")
    except UnknownComponentError:  # its entry point is not installed: import the plugin
        from autocut_plugins.ffmpeg_render import FfmpegRenderer

        renderer = FfmpegRenderer()
    renderer.render(plan, output)


def render_crafted(plan: Any, output: Path) -> None:
    """The same plan and length with ad craft: a 2 s end card (the slots give up its time,
    ``--duration`` of the plan's own length) and every cut moved onto the music's beats;
    the beat tracking, fitting and snapping are timed with the render."""
    from autocut_core.media import probe
    from autocut_core.pipelines.craft import AdCraft, apply_craft
    from autocut_core.progress import SILENT
    from autocut_core.types import EndCard

    durations = {path: probe(path).duration for path in {slot.source_path for slot in plan.slots}}
    card = EndCard(title="Thermo Bottle", brand="Bench", cta="Order today",
                   background="#1B5E20", duration=2.0)  # fmt: skip
    craft = AdCraft(duration=plan.duration, beat_sync=True, end_card=card)
    crafted = apply_craft(craft, plan, durations, output.parent / "craft-voice", SILENT)
    render_autocut(crafted.plan, output)


def render_side_outputs(plan: Any, output: Path) -> None:
    from autocut_core.output.deliverables import write_side_outputs

    write_side_outputs(plan, output)


def render_moviepy(plan: Any, output: Path) -> None:
    """The plan as MoneyPrinterTurbo would render it with MoviePy 2.x (see the module doc)."""
    # MoviePy runs the static ffmpeg that imageio-ffmpeg bundles unless told otherwise; the
    # system ffmpeg keeps the x264 build (and so the encoder's speed) the same for all rows.
    os.environ.setdefault("FFMPEG_BINARY", shutil.which("ffmpeg") or "ffmpeg-imageio")
    from moviepy import (
        AudioFileClip,
        CompositeAudioClip,
        CompositeVideoClip,
        TextClip,
        VideoFileClip,
        afx,
        concatenate_videoclips,
    )

    from autocut_core.editing.timeline import place
    from autocut_core.output.contact_sheet import find_font

    render = plan.render
    width, height = render.width, render.height
    style = render.subtitle_style
    font = find_font(style.font)
    opened: list[Any] = []

    def cover(clip: Any) -> Any:
        scale = max(width / clip.w, height / clip.h)
        scaled = clip.resized(scale)
        return scaled.cropped(
            x_center=scaled.w / 2, y_center=scaled.h / 2, width=width, height=height
        )

    pieces = []
    for slot in plan.slots:
        source = VideoFileClip(slot.source_path, audio=False)
        opened.append(source)
        pieces.append(cover(source.subclipped(slot.source_in, slot.source_out)))
    video = concatenate_videoclips(pieces)

    font_size = style.size or height // 24
    captions = []
    voices = []
    for placement in place(plan):
        slot = placement.slot
        caption = TextClip(
            font=font[0] if font else None, text=slot.sentence, font_size=font_size,
            color=style.color, stroke_color=style.outline_color,
            stroke_width=max(1, round(style.outline)), method="caption",
            size=(int(width * 0.9), None), text_align="center",
            # MoviePy 2 measures the caption too short for Noto's descenders and cuts them
            # off; a vertical margin (transparent) keeps the whole line.
            margin=(0, font_size // 2),
        )  # fmt: skip
        top = height * (1 - style.margin) - caption.h + font_size // 2
        captions.append(
            caption.with_start(placement.start)
            .with_duration(placement.duration)
            .with_position(("center", top))
        )
        if slot.voice_path:
            voice = AudioFileClip(slot.voice_path)
            opened.append(voice)
            voices.append(voice.with_start(placement.start))

    total = video.duration
    tracks = list(voices)
    if plan.music is not None:
        music = AudioFileClip(plan.music.path)
        opened.append(music)
        fade = min(render.music_fade, total / 2)
        tracks.insert(
            0,
            music.subclipped(plan.music.offset).with_effects([
                afx.AudioLoop(duration=total),
                afx.MultiplyVolume(10 ** (plan.music.gain_db / 20)),
                afx.AudioFadeIn(fade),
                afx.AudioFadeOut(fade),
            ]),
        )  # fmt: skip
    final = CompositeVideoClip([video, *captions], size=(width, height)).with_audio(
        CompositeAudioClip(tracks).with_duration(total)
    )
    final.write_videofile(
        str(output), fps=render.fps, codec="libx264", preset=render.preset,
        ffmpeg_params=["-crf", str(render.crf)], audio_codec="aac", audio_bitrate="192k",
        audio_fps=48000, temp_audiofile_path=str(output.parent), logger=None,
    )  # fmt: skip
    final.close()
    for clip in opened:
        clip.close()


def encode_floor(plan: Any, output: Path) -> None:
    """The bare encode: the longest source, scaled and cropped, same length and settings."""
    from autocut_core.media import probe

    render = plan.render
    seconds = sum(slot.duration for slot in plan.slots)
    source = max({slot.source_path for slot in plan.slots}, key=lambda p: probe(p).duration)
    loop = ["-stream_loop", "-1"] if probe(source).duration < seconds else []
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-y", *loop, "-i", source, "-t", f"{seconds:.3f}",
        "-vf", f"scale={render.width}:{render.height}:force_original_aspect_ratio=increase,"
        f"crop={render.width}:{render.height}",
        "-r", f"{render.fps:g}", "-c:v", "libx264", "-preset", render.preset,
        "-crf", str(render.crf), "-pix_fmt", "yuv420p", "-an", str(output),
    ]  # fmt: skip
    subprocess.run(command, check=True)


METHODS: dict[str, Callable[[Any, Path], None]] = {
    "bare x264 encode (baseline)": encode_floor,
    "AutoCut ffmpeg renderer": render_autocut,
    "AutoCut ffmpeg renderer, ad craft": render_crafted,
    "MoviePy (MoneyPrinterTurbo recipe)": render_moviepy,
}


def measured(label: str, plan: Any, output: str) -> dict[str, float]:
    """Run one method in this (fresh) process and measure it."""
    method = {**METHODS, "AutoCut side outputs": render_side_outputs}[label]
    reset_peak_rss()
    cpu = cpu_seconds()
    started = time.perf_counter()
    method(plan, Path(output))
    wall = time.perf_counter() - started
    return {
        "wall": wall,
        "cpu": cpu_seconds() - cpu,
        "peak": peak_rss_mib(),
        "child_peak": children_peak_rss_mib(),
    }


def output_facts(path: Path) -> dict[str, float]:
    from autocut_core.media import probe

    facts = probe(path)
    return {"duration": facts.duration, "mib": path.stat().st_size / 2**20}


# --- the table --------------------------------------------------------------------------------


def run(shape: Shape, repeats: int, keep: Path | None = None) -> None:
    started = time.perf_counter()
    print(f"Rendering, {machine_line()}")
    print()
    with tempfile.TemporaryDirectory(prefix="autocut-bench-render-") as tmp:
        folder = Path(tmp) if keep is None else keep
        folder.mkdir(parents=True, exist_ok=True)
        note("preparing the plan (footage, espeak-ng voice lines, music) ...")
        plan, description = build_plan(folder, shape)
        rows = []
        results: dict[str, dict[str, float]] = {}
        for label in (*METHODS, "AutoCut side outputs"):
            best: dict[str, float] | None = None
            video = folder / f"{label.split()[0].lower()}{'-craft' if 'craft' in label else ''}.mp4"
            for attempt in range(repeats):
                note(f"{label} ({attempt + 1}/{repeats}) ...")
                if label == "AutoCut side outputs":
                    video = folder / "autocut.mp4"
                result = run_isolated(measured, label, plan, str(video))
                if best is None or result["wall"] < best["wall"]:
                    best = result
            assert best is not None
            results[label] = best
            if label != "AutoCut side outputs":
                best.update(output_facts(video))
        baseline = results["bare x264 encode (baseline)"]
        for label, result in results.items():
            is_render = "duration" in result
            rows.append([
                label,
                fmt(result["wall"], 1),
                fmt(shape.seconds / result["wall"], 2) if is_render else "—",
                fmt(result["cpu"], 1),
                f"{result['peak']:.0f}",
                f"{result['child_peak']:.0f}",
                fmt(result["duration"], 2) if is_render else "—",
                fmt(result["mib"], 1) if is_render else "—",
                fmt(result["wall"] / baseline["wall"], 2),
                fmt(result["cpu"] / baseline["cpu"], 2),
            ])  # fmt: skip
    print(
        f"One {shape.seconds:g} s ad of {shape.slots} slots ({shape.slot_seconds:g} s each, "
        f"hard cuts) from {description}; a voice line and a burned-in subtitle per slot, "
        f"music under it all; {shape.width}x{shape.height} at {shape.fps:g} fps, libx264 "
        f"{shape.preset} CRF {shape.crf}, AAC. Best of {repeats} run(s), each in a fresh "
        "process. Baseline: bare x264 encode (video only, scale+crop). The side-outputs row "
        "writes plan.json, the OTIO timeline and the contact sheet of the same plan."
    )
    print()
    print(markdown_table(
        ["method", "wall s", "x realtime", "CPU s", "peak MiB", "child peak MiB", "output s",
         "output MiB", "wall vs baseline", "CPU vs baseline"],
        rows,
    ))  # fmt: skip
    plain, crafted = (
        results["AutoCut ffmpeg renderer"],
        results["AutoCut ffmpeg renderer, ad craft"],
    )
    print()
    print(
        f"Ad craft (end card + beat tracking and snapping + fitting to {shape.seconds:g} s) over "
        f"the plain render, same run: {100 * (crafted['wall'] / plain['wall'] - 1):+.1f} % wall, "
        f"{100 * (crafted['cpu'] / plain['cpu'] - 1):+.1f} % CPU"
    )
    note(f"done in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="3 slots of 1.5 s at 360x640 (a smoke test)"
    )
    parser.add_argument("--repeats", type=int, default=1, help="runs per method; fastest kept")
    parser.add_argument("--keep", type=Path, help="render into this folder and keep the files")
    arguments = parser.parse_args()
    run(QUICK if arguments.quick else FULL, max(1, arguments.repeats), arguments.keep)


if __name__ == "__main__":
    main()
