"""The sound's own ffmpeg runs: measure its loudness, then encode it until its true peak holds.

1. measure: an audio-only run of the mix ending in a measuring ``loudnorm`` (its JSON);
2. encode: the mix normalised with those measurements and limited, encoded to AAC in the
   render's working folder (``sound.m4a``);
3. check: ffmpeg's ``ebur128=peak=true`` reads the true peak of the *encoded* sound. AAC
   adds overshoot the limiter cannot see (0.4 dB on speech, 1.7 dB on music limited hard
   to a -6 LUFS target, measured), so when the peak is over ``true_peak_db`` the sound is
   encoded again with the limiter's ceiling lowered by the excess and a margin.

The picture run then copies ``sound.m4a`` in, so the MP4 holds exactly the sound that was
measured: ``true_peak_db`` holds on every render, not on average.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from autocut_plugins.ffmpeg_render.audio import (
    SAMPLE_RATE,
    LoudnessStats,
    audio_graph,
    codec_ceiling,
    parse_loudness,
)
from autocut_plugins.ffmpeg_render.ffmpeg import RenderError, run_ffmpeg
from autocut_plugins.ffmpeg_render.graph import Graph, InputList
from autocut_plugins.ffmpeg_render.layout import FrameLayout
from autocut_plugins.ffmpeg_render.sources import CheckedInputs

from autocut_core.types import EditPlan

SOUND_FILE = "sound.m4a"
#: Encodes tried before a render whose peak will not come down is an error.
MAX_ENCODES = 4
#: Lowered beyond the measured excess on each new try, so one retry nearly always suffices.
RETRY_MARGIN_DB = 0.3
#: ebur128 prints the true peak to 0.1 dB: a printed -1.0 may be -0.95, so a pass must print
#: at least this much under the target.
PRINT_ROUNDING_DB = 0.05
_TRUE_PEAK = re.compile(r"True peak:\s*Peak:\s*(-?inf|-?[0-9.]+)\s*dBFS", re.IGNORECASE)


def measure_loudness(
    plan: EditPlan, layout: FrameLayout, checked: CheckedInputs, work: Path, timeout: float
) -> LoudnessStats | None:
    """First pass: the integrated loudness, peak and range of the mix (None: no sound)."""
    if not checked.voices and checked.music is None:
        return None
    graph, inputs = Graph(), InputList()
    label = audio_graph(graph, inputs, plan, layout, checked, None, measure=True)
    (work / "measure.txt").write_text(graph.text(), encoding="utf-8")
    completed = run_ffmpeg(
        ["-loglevel", "info", *inputs.arguments, "-filter_complex_script", "measure.txt",
         "-map", f"[{label}]", "-f", "null", "-"],
        cwd=work, timeout=timeout, what="measuring the loudness of the voice and music mix",
    )  # fmt: skip
    try:
        return parse_loudness(completed.stderr.decode("utf-8", errors="replace"))
    except ValueError as error:
        raise RenderError(f"measuring loudness: {error}") from None


def encode_sound(
    plan: EditPlan,
    layout: FrameLayout,
    checked: CheckedInputs,
    work: Path,
    timeout: float,
    bitrate_kbps: int,
) -> Path:
    """The finished sound as AAC in ``work``, its true peak at most ``true_peak_db``."""
    loudness = measure_loudness(plan, layout, checked, work, timeout)
    target = plan.render.true_peak_db
    ceiling = codec_ceiling(target)
    sound = work / SOUND_FILE
    peak = math.inf
    for _ in range(MAX_ENCODES):
        graph, inputs = Graph(), InputList()
        label = audio_graph(graph, inputs, plan, layout, checked, loudness, ceiling_db=ceiling)
        (work / "sound.txt").write_text(graph.text(), encoding="utf-8")
        run_ffmpeg(
            ["-loglevel", "warning", "-y", *inputs.arguments, "-filter_complex_script",
             "sound.txt", "-map", f"[{label}]", "-c:a", "aac", "-b:a", f"{bitrate_kbps}k",
             "-ar", str(SAMPLE_RATE), "-ac", "2", "-f", "mp4", SOUND_FILE],
            cwd=work, timeout=timeout, what="encoding the voice and music mix",
        )  # fmt: skip
        if loudness is None or loudness.silent:
            return sound  # silence: nothing to hold down
        peak = true_peak(sound, work, timeout)
        if peak + PRINT_ROUNDING_DB <= target:
            return sound
        ceiling -= peak - target + RETRY_MARGIN_DB
    raise RenderError(
        f"the sound's true peak stays at {peak:.2f} dBTP after {MAX_ENCODES} encodes, over "
        f"true_peak_db {target:g}: lower loudness_lufs in [render]"
    )


def true_peak(path: Path, work: Path, timeout: float) -> float:
    """The true peak (dBTP) of ``path``'s audio as ``ebur128=peak=true`` measures it."""
    inputs = InputList()
    inputs.add(str(path))
    completed = run_ffmpeg(
        ["-loglevel", "info", *inputs.arguments, "-map", "0:a:0",
         "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"],
        cwd=work, timeout=timeout, what="measuring the true peak of the encoded sound",
    )  # fmt: skip
    return parse_true_peak(completed.stderr.decode("utf-8", errors="replace"))


def parse_true_peak(stderr: str) -> float:
    """The ``True peak`` of ebur128's summary (``-inf`` for silence)."""
    found = _TRUE_PEAK.findall(stderr)
    if not found:
        raise RenderError("measuring the true peak: ebur128 printed no summary")
    return float(found[-1])
