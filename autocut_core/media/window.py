"""Every frame of a short stretch of video at its native rate, with its exact time.

:func:`autocut_core.media.decode.iter_frames` resamples to a constant rate, which is what the
cut detector wants for a whole file; but a cut found that way is only known to the nearest
dense frame. To put a clip boundary on the frame where the shot really changes, the
refinement (:mod:`autocut_core.materials.cut_refine`) decodes just the few frames around
each detected cut, without any rate conversion, and needs each frame's own timestamp.

Times are in the renderer's scale: seconds since the container's start, the scale ``-ss``
seeks in. ffmpeg runs with ``-copyts``, so a frame keeps the timestamp it has in the file
(without it, ffmpeg shifts timestamps by the seek point rounded to the stream's ticks, an
error of up to half a frame in AVI files); ``showinfo`` reports each frame's tick count and
the stream's time base, and the input's dump its start, so times are exact, not rounded
prints. (``-itsoffset`` to cancel the shift was tried: the AVI demuxer then seeks elsewhere.)
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from autocut_core.media.decode import scaled_size
from autocut_core.media.errors import MediaError
from autocut_core.media.probe import (
    ProbeResult,
    check_video,
    find_tool,
    input_arguments,
    probe,
    quote_ffmpeg,
    run_tool,
    stderr_lines,
)

if TYPE_CHECKING:
    import numpy as np

#: Seconds one window's decode may take (a few frames; a slow disk or a long GOP at most).
WINDOW_TIMEOUT_S = 60.0
#: ``-t`` counts from the first frame kept, which may lie after ``start``; reading this much
#: longer loses no frame before ``end`` (the surplus is dropped by time).
_READ_ON_S = 1.0
#: Windows that start earlier than this are decoded from the file's start, not seeked to.
_NO_SEEK_BEFORE_S = 1.0
_TIME_BASE = re.compile(r"config in time_base:\s*(\d+)/(\d+)")
_START = re.compile(r"Duration: .*?, start: (-?\d+\.\d+)")
_PTS = re.compile(r"\bn:\s*\d+\s+pts:\s*(-?\d+)\s+pts_time:")
#: Seconds the batched decode's select filter keeps beyond each window (rounding room).
_SELECT_MARGIN_S = 0.002
#: Seconds the batched decode's select filter keeps beyond each window (rounding room).
_SELECT_MARGIN_S = 0.002


@dataclass(frozen=True)
class NativeFrame:
    """One decoded frame: its time in seconds and RGB ``uint8`` pixels (H x W x 3)."""

    time: float
    pixels: np.ndarray


def native_frames(
    path: str | os.PathLike[str],
    start: float,
    end: float,
    max_side: int = 256,
    probe_result: ProbeResult | None = None,
) -> list[NativeFrame]:
    """The frames whose times lie in ``[start, end)``, in order, none resampled.

    Scaled like :func:`~autocut_core.media.decode.iter_frames` (longer side at most
    ``max_side``, area averaging), so an encoder sees them as it saw the dense frames.
    An empty window gives an empty list; a file ffmpeg cannot decode raises
    :class:`MediaError`.
    """
    name, _, width, height = _source(path, [(start, end)], max_side, probe_result)
    what = f"decoding the frames between {start:.3f} s and {end:.3f} s"
    command = _window_command(name, start, end, width, height)
    frames = _decoded_frames(command, name, width, height, WINDOW_TIMEOUT_S, what)
    # The seek may land a tick early, -t runs to a tick late: keep exactly the window.
    return _in_window(frames, start, end)


def native_frames_in_windows(
    path: str | os.PathLike[str],
    windows: Sequence[tuple[float, float]],
    max_side: int = 256,
    probe_result: ProbeResult | None = None,
) -> list[list[NativeFrame]]:
    """The frames of each ``(start, end)`` window, as :func:`native_frames` gives them, from
    one ffmpeg run that decodes the file once up to the last window.

    One run per window seeks and then decodes from the keyframe before it: with long GOPs
    that is seconds of frames for each window (160 ms a cut measured on a 25 fps reel with
    99 cuts, which made indexing 3.6x slower). One pass decodes every frame once and a
    ``select`` filter keeps only the windows' frames, so only those are scaled and piped.
    """
    if not windows:
        return []
    name, info, width, height = _source(path, windows, max_side, probe_result)
    # select sees copyts times (from the container's origin on); the windows are in the
    # renderer's scale (from the file's start), so they are moved by the origin. The filter
    # keeps a margin; the exact cut to each window is made on the exact times afterwards.
    origin = info.start_time
    keep = "+".join(
        f"between(t,{origin + start - _SELECT_MARGIN_S:.6f},{origin + end + _SELECT_MARGIN_S:.6f})"
        for start, end in windows
    )
    last = max(end for _, end in windows)
    command = _window_command(name, 0.0, last, width, height, select=keep)
    timeout = WINDOW_TIMEOUT_S + max(0.0, info.duration)
    what = f"decoding the frames around {len(windows)} cuts"
    frames = _decoded_frames(command, name, width, height, timeout, what)
    return [_in_window(frames, start, end) for start, end in windows]


def _source(
    path: str | os.PathLike[str],
    windows: Sequence[tuple[float, float]],
    max_side: int,
    probe_result: ProbeResult | None,
) -> tuple[str, ProbeResult, int, int]:
    """The checked windows' file: its name, its probe and the size its frames are scaled to."""
    for start, end in windows:
        if not 0 <= start < end:
            raise ValueError(f"window needs 0 <= start < end, got {start} and {end}")
    info = probe_result if probe_result is not None else probe(path)
    check_video(info)
    width, height = scaled_size(info.width, info.height, max_side)
    return os.fsdecode(path), info, width, height


def _in_window(frames: Sequence[NativeFrame], start: float, end: float) -> list[NativeFrame]:
    low, high = Fraction(f"{start:.6f}"), Fraction(f"{end:.6f}")
    return [frame for frame in frames if low <= Fraction(frame.time) < high]


def _decoded_frames(
    command: list[str], name: str, width: int, height: int, timeout: float, what: str
) -> list[NativeFrame]:
    """Every frame ``command`` pipes out, each with its exact time from the showinfo log."""
    import numpy as np

    completed = run_tool(command, name, timeout, f"{what} did not finish")
    log = completed.stderr.decode("utf-8", errors="backslashreplace")
    if completed.returncode != 0:
        lines = [line for line in stderr_lines(log, name) if "showinfo" not in line]
        raise MediaError(name, f"{what} failed (ffmpeg: {quote_ffmpeg(lines[-5:])})")
    ticks = [int(match) for match in _PTS.findall(log)]
    frame_bytes = width * height * 3
    count = len(completed.stdout) // frame_bytes
    base = _TIME_BASE.search(log)
    if count != len(ticks) or (count and base is None):
        raise MediaError(name, f"{what} gave {count} frames but {len(ticks)} timestamps")
    if count == 0:
        return []
    assert base is not None
    time_base = Fraction(int(base.group(1)), int(base.group(2)))
    found = _START.search(log)
    origin = Fraction(found.group(1)) if found else Fraction(0)
    pixels = np.frombuffer(completed.stdout[: count * frame_bytes], dtype=np.uint8)
    pixels = pixels.reshape(count, height, width, 3)
    return [
        NativeFrame(float(tick * time_base - origin), pixels[index].copy())
        for index, tick in enumerate(ticks)
    ]


def _window_command(
    name: str, start: float, end: float, width: int, height: int, select: str = ""
) -> list[str]:
    # Near the start the file is read from its first frame: some decoders (MPEG-4 with
    # packed B-frames) drop the first frame after a seek to it.
    origin = start if start >= _NO_SEEK_BEFORE_S else 0.0
    seek = ["-ss", f"{origin:.6f}"] if origin > 0 else []
    keep = f"select='{select}'," if select else ""  # numbers only: nothing to escape
    chain = f"{keep}showinfo,scale={width}:{height}:flags=area,setsar=1,format=rgb24"
    return [
        find_tool("ffmpeg", name),
        "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info", "-copyts",
        *seek, "-t", f"{end - origin + _READ_ON_S:.6f}",
        *input_arguments(name),
        "-map", "0:v:0", "-an", "-sn", "-dn",
        "-vf", chain,
        "-fps_mode", "passthrough",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip
