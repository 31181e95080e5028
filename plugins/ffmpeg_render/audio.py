"""The sound half of the graph: voice lines, music ducked under them, loudness.

::

    silence (N samples) + voice k (adelay to its slot) --amix--> speech --asplit--> speech, key
    music (from offset, looped, trimmed to N, gain, fades) + key --sidechaincompress--> ducked
    speech + ducked --amix--> loudnorm (measured values) --> alimiter --> 48 kHz stereo,
    N samples [aout]

- The silent base makes the mix exactly as long as the picture (N samples) and keeps an
  audio stream when there is neither voice nor music.
- Each voice line starts at its slot's first frame (``adelay`` in samples) and is never
  trimmed: :mod:`sources` refuses a line longer than its slot.
- Ducking: ``sidechaincompress`` keyed by the voice with a very low threshold and the
  highest ratio squashes the music almost to nothing while the voice speaks, and its ``mix``
  blends the dry music back in: ``gain * mix + (1 - mix)`` with ``gain`` near 0 is
  ``1 - mix``, so ``mix = 1 - 10^(-duck_db / 20)`` ducks by ``duck_db`` and leaves the music
  untouched between lines (gain 1).
- Loudness: a first, audio-only run measures the mix with ``loudnorm print_format=json``;
  the next applies ``loudnorm`` with those measurements (linear when the peak allows) and a
  true-peak limiter (:func:`limiter`; :mod:`.loudness` checks the encoded result), then
  resamples to 48 kHz and ends with ``aformat=channel_layouts=stereo`` (ffmpeg 5.1 cannot pick
  a layout for the second pass without it) and pads/trims to exactly N samples.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from autocut_plugins.ffmpeg_render.graph import Graph, InputList, number
from autocut_plugins.ffmpeg_render.layout import FrameLayout
from autocut_plugins.ffmpeg_render.sources import CheckedInputs

from autocut_core.types import EditPlan, MusicCue

SAMPLE_RATE = 48000
_STEREO = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
#: Sum without scaling (amix halves each input by default); the first input sets the length.
_MIX = "amix=inputs={inputs}:duration=first:dropout_transition=0:normalize=0"
#: Ducking detector: -60 dBFS threshold, 20:1, quick attack, a release that rides over the
#: gaps between words.
_DUCK = "threshold=0.001:ratio=20:knee=1:attack=15:release=350:detection=rms"
#: Loudness range allowed before loudnorm gives up linear mode (ads are compressed anyway).
_TARGET_LRA = 11.0
#: Below this the mix is silence: loudnorm would amplify noise (or fail on -inf).
_SILENCE_LUFS = -60.0
#: alimiter's lowest limit (-24 dBFS).
_LIMITER_FLOOR = 0.0625
#: AAC encoding raises true peaks by about 0.4 dB (measured on voice and music mixes), so
#: loudnorm aims this much below ``true_peak_db`` and the MP4 still honours it.
CODEC_HEADROOM_DB = 0.5
#: The true-peak limiter after loudnorm: lookahead (also its delay, compensated) and release.
#: It runs on loudnorm's 192 kHz output, four times oversampled, so its sample peaks are
#: close to true peaks.
LIMITER_ATTACK_MS = 5
LIMITER_RELEASE_MS = 50


@dataclass(frozen=True)
class LoudnessStats:
    """What the measuring pass of ``loudnorm`` printed."""

    input_i: float
    input_tp: float
    input_lra: float
    input_thresh: float
    target_offset: float

    @property
    def silent(self) -> bool:
        return not math.isfinite(self.input_i) or self.input_i < _SILENCE_LUFS


def music_input(inputs: InputList, cue: MusicCue, available: float, seconds: float) -> int:
    """The music from its offset, looped when what is left of it is shorter than the ad."""
    options = ["-stream_loop", "-1"] if available - cue.offset < seconds else []
    options += ["-ss", number(cue.offset), "-vn", "-sn", "-dn"]
    return inputs.add(cue.path, options)


def audio_graph(
    graph: Graph,
    inputs: InputList,
    plan: EditPlan,
    layout: FrameLayout,
    checked: CheckedInputs,
    loudness: LoudnessStats | None,
    measure: bool = False,
    ceiling_db: float | None = None,
) -> str:
    """Add the sound's chains; returns the label of the finished mix.

    ``measure`` ends the chain in a measuring ``loudnorm`` (for the first pass); otherwise
    ``loudness`` (the measurements) normalises it and a limiter holds its peaks at
    ``ceiling_db`` (default: ``true_peak_db`` less the codec's headroom), or nothing does
    when it is None.
    """
    render = plan.render
    total = layout.samples(layout.total_frames, SAMPLE_RATE)
    seconds = total / SAMPLE_RATE
    speech = _speech_chain(graph, inputs, layout, checked, total)
    mixed = speech
    if plan.music is not None and checked.music is not None:
        music = _music_chain(graph, inputs, plan, checked.music.duration, total, seconds)
        if checked.voices and render.duck_db > 0:
            speech, key = _split(graph, speech)
            mix = 1 - 10 ** (-render.duck_db / 20)
            music = graph.add([music, key], [f"sidechaincompress={_DUCK}:mix={number(mix)}"],
                              "ducked")  # fmt: skip
        mixed = graph.add([speech, music], [_MIX.format(inputs=2)], "mixed")
    if measure:
        target = f"I={number(render.loudness_lufs)}:TP={number(codec_ceiling(render.true_peak_db))}"
        measuring = f"loudnorm={target}:LRA={number(_TARGET_LRA)}:print_format=json"
        return graph.add([mixed], [measuring], "aout")
    finishing = []
    if loudness is not None and not loudness.silent:
        finishing.append(_loudnorm(render.loudness_lufs, render.true_peak_db, loudness))
        ceiling = codec_ceiling(render.true_peak_db) if ceiling_db is None else ceiling_db
        finishing.append(limiter(ceiling))
    finishing += [
        _STEREO,
        f"apad=whole_len={total}",
        f"atrim=end_sample={total}",
        # ffmpeg 5.1: the linear loudnorm pass fails to negotiate a layout without this.
        "aformat=channel_layouts=stereo",
    ]
    return graph.add([mixed], finishing, "aout")


def _speech_chain(graph: Graph, inputs: InputList, layout: FrameLayout,
                  checked: CheckedInputs, total: int) -> str:  # fmt: skip
    """Exactly ``total`` samples: silence with each voice line laid in at its slot's start."""
    base = graph.add([], [f"anullsrc=r={SAMPLE_RATE}:cl=stereo", f"atrim=end_sample={total}"],
                     "silence")  # fmt: skip
    voices = []
    for index in sorted(checked.voices):
        slot_frames = layout.slots[index]
        assert slot_frames.slot.voice_path is not None
        source = inputs.add(slot_frames.slot.voice_path, ["-vn", "-sn", "-dn"])
        delay = layout.samples(slot_frames.start, SAMPLE_RATE)
        filters = [_STEREO, "asetpts=PTS-STARTPTS", f"adelay=delays={delay}S:all=1"]
        voices.append(graph.add([f"{source}:a:0"], filters, f"voice{index}"))
    if not voices:
        return base
    return graph.add([base, *voices], [_MIX.format(inputs=len(voices) + 1)], "speech")


def _music_chain(graph: Graph, inputs: InputList, plan: EditPlan, available: float,
                 total: int, seconds: float) -> str:  # fmt: skip
    cue = plan.music
    assert cue is not None
    source = music_input(inputs, cue, available, seconds)
    fade = min(plan.render.music_fade, seconds / 2)
    filters = [_STEREO, "asetpts=PTS-STARTPTS", f"atrim=end_sample={total}",
               f"volume={number(cue.gain_db)}dB"]  # fmt: skip
    if fade > 0:
        filters += [
            f"afade=t=in:st=0:d={number(fade)}",
            f"afade=t=out:st={number(seconds - fade)}:d={number(fade)}",
        ]
    return graph.add([f"{source}:a:0"], filters, "music")


def _split(graph: Graph, label: str) -> tuple[str, str]:
    graph.chains.append(f"[{label}]asplit=2[speechmain][speechkey]")
    return "speechmain", "speechkey"


def _loudnorm(target_i: float, target_tp: float, stats: LoudnessStats) -> str:
    # loudnorm only stays linear when the measured range fits the target range.
    lra = min(50.0, max(_TARGET_LRA, stats.input_lra + 0.1))
    measured_tp = min(99.0, max(-99.0, stats.input_tp))
    return (
        f"loudnorm=I={number(target_i)}:TP={number(codec_ceiling(target_tp))}:LRA={number(lra)}"
        f":measured_I={number(max(-99.0, stats.input_i))}:measured_TP={number(measured_tp)}"
        f":measured_LRA={number(stats.input_lra)}"
        f":measured_thresh={number(max(-99.0, stats.input_thresh))}"
        f":offset={number(stats.target_offset)}:linear=true"
    )


def limiter(ceiling_db: float) -> str:
    """A lookahead limiter holding peaks at ``ceiling_db`` dBFS, without its auto-level (which
    would raise the result back up) and with its delay compensated (the voice stays in sync).

    loudnorm alone lets true peaks through: it stays linear only while the gain fits under
    its TP target, and in its dynamic mode a -6 LUFS target on dense music still came out at
    +3.6 dBTP (measured); the limiter caps what either mode leaves.
    """
    limit = min(1.0, max(_LIMITER_FLOOR, 10 ** (ceiling_db / 20)))
    return (f"alimiter=limit={number(limit)}:attack={LIMITER_ATTACK_MS}"
            f":release={LIMITER_RELEASE_MS}:level=false:latency=true")  # fmt: skip


def codec_ceiling(true_peak_db: float) -> float:
    """Where the limiter holds peaks first: ``true_peak_db`` less the AAC encoder's usual
    overshoot (:mod:`.loudness` lowers it further when the encoded sound is still over)."""
    return max(-9.0, true_peak_db - CODEC_HEADROOM_DB)


_JSON_BLOCK = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.DOTALL)


def parse_loudness(stderr: str) -> LoudnessStats:
    """The measurements from the JSON block ``loudnorm`` prints at the end of a run."""
    blocks = _JSON_BLOCK.findall(stderr)
    if not blocks:
        raise ValueError("loudnorm printed no measurements")
    data = json.loads(blocks[-1])

    def value(key: str) -> float:
        try:
            return float(data[key])  # "-inf" for silence parses as -inf
        except (KeyError, TypeError, ValueError):
            return -math.inf

    return LoudnessStats(
        input_i=value("input_i"),
        input_tp=value("input_tp"),
        input_lra=max(0.0, value("input_lra")),
        input_thresh=value("input_thresh"),
        target_offset=value("target_offset") if math.isfinite(value("target_offset")) else 0.0,
    )
