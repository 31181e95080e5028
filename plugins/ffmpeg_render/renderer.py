"""The ``ffmpeg`` renderer: an EditPlan becomes an H.264/AAC MP4 in one ffmpeg run.

Order of work, each step failing early with an error that names what is wrong:

1. check the render settings and every file the plan names (:mod:`sources`);
2. round the timeline to frames (:mod:`layout`) and pick the encoder (:mod:`encoders`);
3. write the ASS subtitles (and the end card's text, :mod:`.end_card`) into a private
   working folder;
4. measure the loudness of the sound mix, encode it and check its true peak (quick
   audio-only ffmpeg runs, :mod:`.loudness`);
5. render picture and subtitles in one ffmpeg run with one filter graph, the sound copied
   in, into a temporary file beside the output that replaces it only when complete;
6. write the SRT sidecar ``<output stem>.srt``.

The picture run reports the seconds encoded to the caller's progress stage
(:func:`autocut_core.progress.current_stage`), read from ffmpeg's ``-progress`` output.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from autocut_plugins.ffmpeg_render.encoders import (
    X264_PRESETS,
    VideoEncoder,
    describe_auto,
    select_encoder,
)
from autocut_plugins.ffmpeg_render.end_card import END_CARD_FILE, card_ass, check_end_card
from autocut_plugins.ffmpeg_render.ffmpeg import RenderError, listed, run_ffmpeg
from autocut_plugins.ffmpeg_render.graph import Graph, InputList, rate
from autocut_plugins.ffmpeg_render.layout import FrameLayout, frame_layout
from autocut_plugins.ffmpeg_render.loudness import encode_sound
from autocut_plugins.ffmpeg_render.sources import check_inputs
from autocut_plugins.ffmpeg_render.video import SUBTITLE_FILE, video_graph
from pydantic import Field

from autocut_core.checks import Check
from autocut_core.components import ComponentSettings, Renderer, RenderResult
from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_path, atomic_write_text
from autocut_core.media import MediaError, display_path, probe
from autocut_core.output.subtitles import ass_text, cues_for, srt_text
from autocut_core.progress import current_stage
from autocut_core.types import EditPlan, RenderSettings

log = logging.getLogger(__name__)

#: Filters the graph uses that a minimal ffmpeg build may lack.
REQUIRED_FILTERS = (
    "ass", "subtitles", "xfade", "sidechaincompress", "loudnorm", "tpad", "amix", "adelay",
    "anullsrc", "afade", "apad", "atrim", "concat", "asplit", "color", "overlay",
)  # fmt: skip
REQUIRED_ENCODERS = ("libx264", "aac")
OUTPUT_SUFFIXES = (".mp4", ".m4v", ".mov")
#: The rendered file may differ from the plan by this much before it counts as broken.
DURATION_TOLERANCE_S = 0.1


class FfmpegRendererSettings(ComponentSettings):
    timeout: float = Field(
        0.0, ge=0, description="Seconds one ffmpeg run may take before it is stopped; 0 = no limit"
    )
    threads: int = Field(0, ge=0, le=64, description="Encoder threads; 0 lets ffmpeg decide")
    audio_bitrate: int = Field(192, ge=32, le=512, description="AAC bit rate in kbit/s")


class FfmpegRenderer(Renderer[FfmpegRendererSettings]):
    name = "ffmpeg"
    description = (
        "ffmpeg: one filter graph (trim, scale, crossfade, libass subtitles, voice, ducked "
        "music, two-pass loudness) to H.264/AAC MP4 + SRT"
    )

    def render(self, plan: EditPlan, output: Path) -> RenderResult:
        settings = self.settings
        output = Path(os.path.abspath(output))
        check_render_settings(plan.render)
        if plan.end_card is not None:
            check_end_card(plan.end_card)
        _check_output(plan, output)
        layout = frame_layout(plan)
        checked = check_inputs(plan, layout)
        encoder = select_encoder(plan.render.video_encoder)
        cues = cues_for(plan)
        burn = plan.render.subtitles and bool(cues)
        with tempfile.TemporaryDirectory(prefix="autocut-render-") as folder:
            work = Path(folder)
            if burn:
                (work / SUBTITLE_FILE).write_text(ass_text(cues, plan.render), encoding="utf-8")
            if plan.end_card is not None:
                card_text = card_ass(plan.end_card, plan.render, layout.seconds(layout.card_frames))
                (work / END_CARD_FILE).write_text(card_text, encoding="utf-8")
            sound = encode_sound(plan, layout, checked, work, settings.timeout,
                                 settings.audio_bitrate)  # fmt: skip
            graph, inputs = Graph(), InputList()
            video = video_graph(graph, inputs, layout, plan.render, burn, encoder.upload,
                                checked.footage, plan.end_card)  # fmt: skip
            audio = inputs.add(str(sound))
            (work / "graph.txt").write_text(graph.text(), encoding="utf-8")
            with atomic_path(output) as partial:
                arguments = [
                    "-loglevel", "warning", "-y", *encoder.global_args, *inputs.arguments,
                    "-filter_complex_script", "graph.txt",
                    "-map", f"[{video}]", "-map", f"{audio}:a:0",
                    *output_arguments(encoder, plan.render, layout, settings),
                    "file:" + str(partial),
                ]  # fmt: skip
                run_ffmpeg(arguments, cwd=work, timeout=settings.timeout, what=_what(output),
                           on_progress=_reporter(layout.duration))  # fmt: skip
                _verify(partial, output, layout)
        side_outputs = {}
        if cues:
            srt = output.with_suffix(".srt")
            atomic_write_text(srt, srt_text(cues))
            side_outputs["srt"] = srt
        log.info("rendered %s (%.2f s, %s)", output, layout.duration, encoder.name)
        return RenderResult(video=output, side_outputs=side_outputs, duration=layout.duration)

    def diagnose(self) -> list[Check]:
        filters, encoders = listed("filters"), listed("encoders")
        if not filters:
            return [Check("renderer ffmpeg", "fail", "ffmpeg not found", "apt-get install ffmpeg")]
        missing = [name for name in REQUIRED_FILTERS if name not in filters]
        missing += [name for name in REQUIRED_ENCODERS if name not in encoders]
        if missing:
            return [
                Check("renderer ffmpeg", "fail", f"ffmpeg lacks: {', '.join(missing)}",
                      "install an ffmpeg build with libass, libfreetype and libx264 "
                      "(Debian's ffmpeg has them)"),
            ]  # fmt: skip
        return [
            Check("renderer ffmpeg", "ok", f"{len(REQUIRED_FILTERS)} filters, libx264, aac"),
            Check("renderer ffmpeg encoder", "ok", describe_auto()),
        ]


def output_arguments(
    encoder: VideoEncoder,
    render: RenderSettings,
    layout: FrameLayout,
    settings: FfmpegRendererSettings,
) -> list[str]:
    """Codecs and container: H.264 (or the hardware encoder), the sound as encoded and
    checked before (:mod:`.loudness`: AAC 48 kHz stereo, copied), MP4 with its index first
    (``+faststart``: playback starts before the download ends), no metadata copied from the
    sources."""
    return [
        *encoder.output_args(render.crf, render.preset),
        *(["-threads", str(settings.threads)] if settings.threads else []),
        "-r", rate(layout.fps),
        "-c:a", "copy",
        "-map_metadata", "-1", "-map_chapters", "-1",
        "-movflags", "+faststart", "-f", "mp4",
    ]  # fmt: skip


def check_render_settings(render: RenderSettings) -> None:
    """Refuse settings that ffmpeg would reject with an obscure message (or silently alter)."""
    problems = []
    if render.width < 16 or render.height < 16 or render.width % 2 or render.height % 2:
        problems.append(f"width and height must be even and at least 16, "
                        f"got {render.width}x{render.height}")  # fmt: skip
    if not 0 < render.fps <= 240:
        problems.append(f"fps must be between 0 and 240, got {render.fps}")
    if not 0 <= render.crf <= 51:
        problems.append(f"crf must be 0-51, got {render.crf}")
    if render.preset not in X264_PRESETS:
        problems.append(f"preset must be one of {', '.join(X264_PRESETS)}, got {render.preset!r}")
    if render.transition_duration < 0:
        problems.append(f"transition_duration must be >= 0, got {render.transition_duration}")
    if not -70 <= render.loudness_lufs <= -5:
        problems.append(f"loudness_lufs must be -70 to -5, got {render.loudness_lufs}")
    if not -9 <= render.true_peak_db <= 0:
        problems.append(f"true_peak_db must be -9 to 0, got {render.true_peak_db}")
    if render.music_fade < 0 or render.duck_db < 0:
        problems.append("music_fade and duck_db must be >= 0")
    if problems:
        raise InputError("render settings: " + "; ".join(problems))


def _check_output(plan: EditPlan, output: Path) -> None:
    if output.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(
            f"{display_path(output)}: the output must be an MP4 file ({', '.join(OUTPUT_SUFFIXES)})"
        )
    if output.is_dir():
        raise InputError(f"{display_path(output)}: the output is a directory")
    if not plan.slots:
        raise InputError("the plan has no slots: nothing to render")
    inputs = {slot.source_path for slot in plan.slots}
    inputs |= {slot.voice_path for slot in plan.slots if slot.voice_path}
    if plan.music is not None:
        inputs.add(plan.music.path)
    for path in inputs:
        if os.path.exists(path) and output.exists() and os.path.samefile(path, output):
            raise InputError(f"{display_path(output)}: the output would overwrite an input")


def _verify(partial: Path, output: Path, layout: FrameLayout) -> None:
    """A finished render that is not what was planned is an error, not a surprise later."""
    try:
        result = probe(partial)
    except MediaError as error:
        reason = error.reason
        raise RenderError(f"{_what(output)}: ffmpeg wrote an unreadable file ({reason})") from None
    expected = layout.duration
    if not (result.has_video and result.has_audio):
        raise RenderError(f"{_what(output)}: the file lacks a video or an audio stream")
    if abs(result.duration - expected) > DURATION_TOLERANCE_S:
        raise RenderError(
            f"{_what(output)}: the file lasts {result.duration:.3f} s, planned {expected:.3f} s"
        )


def _reporter(seconds: float) -> Callable[[float], None]:
    """Seconds encoded so far, told to the caller's progress stage (if it has one)."""
    stage = current_stage()
    return lambda done: stage.update(min(done, seconds), seconds)


def _what(output: Path) -> str:
    return f"rendering {display_path(output)}"
