"""The picture half of the graph: one chain per slot, joined by cuts or crossfades.

Each slot is its own input, opened with ``-ss source_in -t length`` before ``-i``: ffmpeg
seeks to the keyframe before ``source_in`` and decodes only from there, dropping frames up to
``source_in`` exactly (its default accurate seek), so a 30 s ad from hour-long sources reads
only the seconds it shows. Per slot::

    [i:v] trim=end=OUT-GUARD,                                     (no frame at source_out)
          setpts=PTS-STARTPTS, fps=F, trim=end_frame=FOOTAGE,     (whole frames at F)
          scale+crop | scale+pad, setsar=1, format=yuv420p,       (W x H, square pixels)
          tpad=stop_mode=clone:stop=-1, trim=end_frame=FRAMES,    (hold: freeze the last frame)
          setpts=PTS-STARTPTS [vI]

ffmpeg's decoder applies rotation metadata itself, ``fps`` turns variable-rate or other-rate
sources into constant ``F`` and ``tpad`` also covers a source that ends a frame early. The
first ``trim`` keeps a slot inside its shot: a clip's ``source_out`` is the time of the next
shot's first frame, and ``fps`` (which shows the source frame nearest each output frame) or
the read-ahead would otherwise put that frame, a flash of the next shot, at the slot's end.
It cuts half a source frame early because ffmpeg shifts timestamps by the seek point rounded
to the stream's ticks (up to half a frame in AVI files), so the next shot's first frame is
dropped and the shot's last one kept, whatever the rounding. The start needs no guard: the
seek keeps frames from ``source_in`` rounded to a tick, and a clip starts on a frame's tick.
The slots are joined by one ``concat``; with crossfades only the overlapping frames go through
``xfade`` (see :func:`join_slots`). Then the ASS file is burned in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from autocut_plugins.ffmpeg_render.graph import Graph, InputList, number, rate
from autocut_plugins.ffmpeg_render.layout import FrameLayout, SlotFrames

from autocut_core.media import ProbeResult
from autocut_core.types import EndCard, RenderSettings

#: The subtitle file's name inside the render's working folder (ffmpeg runs there).
SUBTITLE_FILE = "subtitles.ass"
#: Source frames read beyond a slot's end, so ``fps`` never comes up a frame short.
_READ_AHEAD_FRAMES = 2
#: Decoder threads per slot input. ffmpeg decodes a first frame of every input before the
#: graph starts, and a frame-threaded decoder holds one frame per thread: with the default
#: (all cores + 1), 40 slots of 1080p on a 16-core machine could hold 40 x 17 x 3 MB = 2 GB
#: of frames. Only one or two inputs decode at a time, and the encoder is the bottleneck.
DECODER_THREADS = min(4, os.cpu_count() or 1)
#: The end guard, in source frames (see the module docs), and the rate assumed for a source
#: whose rate ffprobe does not know.
_END_GUARD_FRAMES = 0.5
_FALLBACK_SOURCE_FPS = 120.0


def add_slot_inputs(inputs: InputList, layout: FrameLayout) -> list[int]:
    """One input per slot, seeking to the slot's footage; returns the input numbers."""
    numbers = []
    for slot_frames in layout.slots:
        seconds = layout.seconds(slot_frames.footage + _READ_AHEAD_FRAMES)
        options = ["-ss", number(slot_frames.slot.source_in), "-t", number(seconds),
                   "-threads", str(DECODER_THREADS)]  # fmt: skip
        # Only the picture is used: ffmpeg skips the other streams' packets.
        numbers.append(inputs.add(slot_frames.slot.source_path, [*options, "-an", "-sn", "-dn"]))
    return numbers


def fit_filters(render: RenderSettings) -> list[str]:
    """Scale to cover the frame and crop the overflow, or to fit inside it and pad."""
    # No colour-matrix conversion: on a source already at the output size it would turn a
    # free pass-through into a full pass over every pixel (twice the decode time measured).
    width, height = render.width, render.height
    if render.fit == "crop":
        return [
            f"scale=w={width}:h={height}:force_original_aspect_ratio=increase",
            f"crop=w={width}:h={height}",
        ]
    return [
        f"scale=w={width}:h={height}:force_original_aspect_ratio=decrease:force_divisible_by=2",
        f"pad=w={width}:h={height}:x=(ow-iw)/2:y=(oh-ih)/2:color=black",
    ]


def _source_fps(probes: Mapping[str, ProbeResult], path: str) -> float:
    found = probes.get(path)
    return found.fps if found is not None and found.fps > 0 else _FALLBACK_SOURCE_FPS


def footage_end(slot_frames: SlotFrames, source_fps: float) -> float:
    """Where the slot's footage stops, in seconds after the seek point: ``source_out`` less
    the guard, so the source frame at ``source_out`` itself is never read."""
    slot = slot_frames.slot
    return max(0.0, slot.source_out - slot.source_in - _END_GUARD_FRAMES / source_fps)


def slot_chain(graph: Graph, source: int, slot_frames: SlotFrames, layout: FrameLayout,
               render: RenderSettings, source_fps: float) -> str:  # fmt: skip
    filters = [
        f"trim=end={number(footage_end(slot_frames, source_fps))}",
        "setpts=PTS-STARTPTS",
        f"fps={rate(layout.fps)}",
        f"trim=end_frame={slot_frames.footage}",
        *fit_filters(render),
        "setsar=1",
        "format=yuv420p",
        "tpad=stop_mode=clone:stop=-1",
        f"trim=end_frame={slot_frames.frames}",
        "setpts=PTS-STARTPTS",
    ]
    return graph.add([f"{source}:v:0"], filters, f"v{slot_frames.index}")


def join_slots(graph: Graph, labels: list[str], layout: FrameLayout) -> str:
    """Cuts: one concat of the slots. Crossfades: one concat of segments.

    A chain of xfade filters (``xfade(xfade(a, b), c)...``) processes every frame of the
    ad in every xfade after it: measured on 8 slots of 1080x1920, it doubled the graph's
    time, and it even changed frames outside the transitions. Instead each slot is split
    into head (faded in), body and tail (faded out); only a tail and the next head, both
    exactly the overlap long, go through an xfade (offset 0), and the concat joins
    ``body0, fade1, body1, fade2, ...``: frames outside a transition are passed untouched.
    """
    if not any(layout.overlaps):
        if len(labels) == 1:
            return labels[0]
        return graph.add(labels, [f"concat=n={len(labels)}:v=1:a=0"], "vjoined")
    segments: list[str] = []
    last = len(labels) - 1
    for position, (label, slot_frames) in enumerate(zip(labels, layout.slots, strict=True)):
        head = layout.overlaps[position - 1] if position > 0 else 0
        tail = layout.overlaps[position] if position < last else 0
        parts = _split(graph, label, slot_frames.frames, head, tail)
        if head:
            duration = number(layout.seconds(head))
            fade = [f"xfade=transition=fade:duration={duration}:offset=0"]
            segments.append(graph.add([f"{labels[position - 1]}tail", parts["head"]], fade,
                                      f"fade{position}"))  # fmt: skip
        if "body" in parts:
            segments.append(parts["body"])
    return graph.add(segments, [f"concat=n={len(segments)}:v=1:a=0"], "vjoined")


def _split(graph: Graph, label: str, frames: int, head: int, tail: int) -> dict[str, str]:
    """Cut a slot's stream into frame ranges ``head``, ``body``, ``tail`` (empty ones left out);
    returns their labels (``<label>head``...)."""
    ranges = {"head": (0, head), "body": (head, frames - tail), "tail": (frames - tail, frames)}
    wanted = {name: bounds for name, bounds in ranges.items() if bounds[1] > bounds[0]}
    sources = [f"{label}{name}in" for name in wanted]
    graph.chains.append(f"[{label}]split={len(wanted)}" + "".join(f"[{s}]" for s in sources))
    parts = {}
    for source, (name, (first, end)) in zip(sources, wanted.items(), strict=True):
        trim = [f"trim=start_frame={first}:end_frame={end}", "setpts=PTS-STARTPTS"]
        parts[name] = graph.add([source], trim, f"{label}{name}")
    return parts


def video_graph(
    graph: Graph,
    inputs: InputList,
    layout: FrameLayout,
    render: RenderSettings,
    burn_subtitles: bool,
    upload: str = "",
    footage: Mapping[str, ProbeResult] | None = None,
    end_card: EndCard | None = None,
) -> str:
    """Add the picture's chains; returns the label of the finished picture.

    ``footage`` holds the sources' probes (the renderer's :func:`check_inputs` made them): a
    slot's end guard is half a frame of its source. A source without one is taken to run at
    ``_FALLBACK_SOURCE_FPS``, a guard small enough never to drop a real frame and exact for
    sources with fine ticks (MP4), not for AVI's one tick per frame. An ``end_card`` is
    joined after the last slot (:mod:`.end_card`), before the subtitles are burned in.
    """
    probes = footage or {}
    sources = add_slot_inputs(inputs, layout)
    rates = [_source_fps(probes, slot_frames.slot.source_path) for slot_frames in layout.slots]
    labels = [
        slot_chain(graph, source, slot_frames, layout, render, source_fps)
        for source, slot_frames, source_fps in zip(sources, layout.slots, rates, strict=True)
    ]
    joined = join_slots(graph, labels, layout)
    if end_card is not None:
        from autocut_plugins.ffmpeg_render.end_card import card_chain

        card = card_chain(graph, inputs, end_card, layout, render)
        joined = graph.add([joined, card], ["concat=n=2:v=1:a=0"], "vcarded")
    finishing = []
    if burn_subtitles:
        finishing.append(f"ass=filename={SUBTITLE_FILE}")
    # Exactly the planned frames, whatever a filter above did at the end of its stream.
    finishing += [f"trim=end_frame={layout.total_frames}", "format=yuv420p"]
    if upload:
        finishing.append(upload)
    return graph.add([joined], finishing, "vout")
