"""The picture half of the graph: one chain per slot, joined by cuts or crossfades.

Each slot is its own input, opened with ``-ss source_in -t length`` before ``-i``: ffmpeg
seeks to the keyframe before ``source_in`` and decodes only from there, dropping frames up to
``source_in`` exactly (its default accurate seek), so a 30 s ad from hour-long sources reads
only the seconds it shows. Per slot::

    [i:v] setpts=PTS-STARTPTS, fps=F, trim=end_frame=FOOTAGE,     (whole frames at F)
          scale+crop | scale+pad, setsar=1, format=yuv420p,       (W x H, square pixels)
          tpad=stop_mode=clone:stop=-1, trim=end_frame=FRAMES,    (hold: freeze the last frame)
          setpts=PTS-STARTPTS [vI]

ffmpeg's decoder applies rotation metadata itself, ``fps`` turns variable-rate or other-rate
sources into constant ``F`` and ``tpad`` also covers a source that ends a frame early. The
slots are joined by one ``concat``; with crossfades only the overlapping frames go through
``xfade`` (see :func:`join_slots`). Then the ASS file is burned in.
"""

from __future__ import annotations

import os

from autocut_plugins.ffmpeg_render.graph import Graph, InputList, number, rate
from autocut_plugins.ffmpeg_render.layout import FrameLayout, SlotFrames

from autocut_core.types import RenderSettings

#: The subtitle file's name inside the render's working folder (ffmpeg runs there).
SUBTITLE_FILE = "subtitles.ass"
#: Source frames read beyond a slot's end, so ``fps`` never comes up a frame short.
_READ_AHEAD_FRAMES = 2
#: Decoder threads per slot input. ffmpeg decodes a first frame of every input before the
#: graph starts, and a frame-threaded decoder holds one frame per thread: with the default
#: (all cores + 1), 40 slots of 1080p on a 16-core machine could hold 40 x 17 x 3 MB = 2 GB
#: of frames. Only one or two inputs decode at a time, and the encoder is the bottleneck.
DECODER_THREADS = min(4, os.cpu_count() or 1)


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


def slot_chain(graph: Graph, source: int, slot_frames: SlotFrames, layout: FrameLayout,
               render: RenderSettings) -> str:  # fmt: skip
    filters = [
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
) -> str:
    """Add the picture's chains; returns the label of the finished picture."""
    sources = add_slot_inputs(inputs, layout)
    labels = [
        slot_chain(graph, source, slot_frames, layout, render)
        for source, slot_frames in zip(sources, layout.slots, strict=True)
    ]
    joined = join_slots(graph, labels, layout)
    finishing = []
    if burn_subtitles:
        finishing.append(f"ass=filename={SUBTITLE_FILE}")
    # Exactly the planned frames, whatever a filter above did at the end of its stream.
    finishing += [f"trim=end_frame={layout.total_frames}", "format=yuv420p"]
    if upload:
        finishing.append(upload)
    return graph.add([joined], finishing, "vout")
