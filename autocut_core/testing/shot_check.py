"""Real-photo footage with known cuts, and a check that a rendered ad shows each slot's shot.

A "flash frame" (one or a few frames of the neighbouring shot at a slot's start or end) is
the classic error of an editor that trims by rounded seconds. Asserting on a plan's numbers
cannot catch it, because the error sits between the numbers and the frames ffmpeg shows; so
:func:`wrong_frames` looks at the rendered MP4 itself: every output frame of a slot is
matched to the nearest native frame of its source (after the same cover-crop the renderer
applies), and that frame must belong to the slot's shot.

:func:`make_photo_reel` builds footage from the photos Debian's opencv-doc ships, each shot a
slow pan so consecutive frames differ, with hard cuts after any whole number of frames (so
at times that are not whole seconds, nor on the 10 fps grid cuts are detected on).
"""

from __future__ import annotations

import bisect
import math
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from autocut_core.editing.timeline import place
from autocut_core.fsutil import atomic_path
from autocut_core.types import EditPlan

if TYPE_CHECKING:
    import numpy as np

PHOTOS = Path("/usr/share/doc/opencv-doc/examples/data")
#: Frames are compared at this many pixels across (small: compression noise averages out).
_COMPARE_WIDTH = 24


@dataclass(frozen=True)
class PhotoReel:
    """A generated reel and its ground truth: the time of each new shot's first frame."""

    path: Path
    cuts: tuple[float, ...]
    duration: float
    fps: Fraction


def make_photo_reel(
    path: Path,
    shots: Sequence[tuple[str, int]],
    fps: Fraction = Fraction(25),
    size: tuple[int, int] = (160, 120),
    codec: str = "libx264",
) -> PhotoReel:
    """``shots`` as (photo file name in :data:`PHOTOS`, frames), back to back, hard cuts.

    ``codec="mpeg4"`` into an ``.avi`` gives the container whose time base is one frame,
    where any rounding of a seek shows (opencv-doc's own samples are such files).
    """
    width, height = size
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    command = [ffmpeg, "-nostdin", "-v", "error", "-y"]
    chains = []
    for index, (photo, frames) in enumerate(shots):
        command += ["-loop", "1", "-framerate", str(fps), "-i", str(PHOTOS / photo)]
        # Cover a frame 5/4 the size, then pan across it: every frame of the shot differs.
        chains.append(
            f"[{index}:v]scale={width * 5 // 4}:{height * 5 // 4}:force_original_aspect_ratio="
            f"increase,crop={width}:{height}:x='min(n,{width // 4})':y='min(n/2,{height // 4})',"
            f"setsar=1,format=yuv420p,trim=end_frame={frames},setpts=PTS-STARTPTS[v{index}]"
        )
    labels = "".join(f"[v{index}]" for index in range(len(shots)))
    chains.append(f"{labels}concat=n={len(shots)}:v=1:a=0[out]")
    quality = ["-preset", "veryfast", "-crf", "18", "-g", "25"] if codec == "libx264" else [
        "-q:v", "2", "-g", "25"]  # fmt: skip
    command += ["-filter_complex", ";".join(chains), "-map", "[out]", "-c:v", codec, *quality,
                "-r", str(fps)]  # fmt: skip
    with atomic_path(path) as partial:
        subprocess.run([*command, "-f", _muxer(path), str(partial)], check=True)
    counts = [frames for _, frames in shots]
    cuts = tuple(float(sum(counts[:i]) / fps) for i in range(1, len(counts)))
    return PhotoReel(path=path, cuts=cuts, duration=float(sum(counts) / fps), fps=fps)


def _muxer(path: Path) -> str:
    return {".avi": "avi", ".mkv": "matroska"}.get(path.suffix.lower(), "mp4")


def _small(frame: np.ndarray, aspect: float, rows: float) -> np.ndarray:
    """The centre crop of ``frame`` at ``aspect`` (width / height), its top ``rows`` part,
    shrunk to :data:`_COMPARE_WIDTH` pixels across."""
    import numpy as np
    from PIL import Image

    height, width = frame.shape[:2]
    if width / height > aspect:
        keep = max(1, round(height * aspect))
        frame = frame[:, (width - keep) // 2 : (width - keep) // 2 + keep]
    else:
        keep = max(1, round(width / aspect))
        frame = frame[(height - keep) // 2 : (height - keep) // 2 + keep]
    size = (_COMPARE_WIDTH, max(1, round(_COMPARE_WIDTH / aspect)))
    small = np.asarray(Image.fromarray(frame).resize(size, Image.Resampling.BOX), np.float32)
    return small[: max(1, round(small.shape[0] * rows))]


def wrong_frames(
    video: Path,
    plan: EditPlan,
    cuts: Mapping[str, Sequence[float]],
    rows: float = 1.0,
) -> list[str]:
    """Every output frame of ``video`` (rendered from ``plan`` with cuts, not crossfades)
    whose nearest native frame of its slot's source lies in another shot than the slot's.

    ``cuts`` maps each source path to its true cut times. ``rows`` compares only the top
    part of the frames (leave out burned subtitles). Returns one line per wrong frame.
    """
    import numpy as np

    from autocut_core.media import iter_frames, probe
    from autocut_core.media.window import native_frames

    render = plan.render
    aspect = render.width / render.height
    output = [_small(frame, aspect, rows) for _, frame in iter_frames(video, fps=render.fps)]
    sources: dict[str, tuple[list[float], np.ndarray]] = {}
    problems = []
    for placed in place(plan):
        slot = placed.slot
        if slot.source_path not in sources:
            facts = probe(slot.source_path)
            frames = native_frames(slot.source_path, 0.0, facts.duration + 1.0, 128, facts)
            stack = np.stack([_small(f.pixels, aspect, rows) for f in frames])
            sources[slot.source_path] = ([f.time for f in frames], stack)
        times, stack = sources[slot.source_path]
        source_cuts = list(cuts[slot.source_path])
        shot = bisect.bisect_right(source_cuts, slot.source_in + 1e-6)
        first = math.floor(placed.start * render.fps + 0.5)
        last = math.floor(placed.end * render.fps + 0.5)
        for number in range(first, min(last, len(output))):
            distance = np.abs(stack - output[number]).mean(axis=(1, 2, 3))
            nearest = int(np.argmin(distance))
            shown = bisect.bisect_right(source_cuts, times[nearest] + 1e-6)
            if shown != shot:
                problems.append(
                    f"slot {placed.index + 1} ({slot.clip_id}, shot {shot}): output frame "
                    f"{number} ({number - first} into the slot) shows shot {shown} "
                    f"(source frame at {times[nearest]:.3f} s)"
                )
    return problems
