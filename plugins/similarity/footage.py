"""Looking at the clips' pixels: a few frames per clip and how the clip looks and moves.

One ffmpeg pass per footage file (:func:`autocut_core.media.iter_frames` at ``fps``) serves
every clip cut from it: each clip keeps ``frames_per_clip`` frames spread evenly over its span
(for an image encoder) and running averages of what the music choice needs:

- ``luma``: mean brightness (Rec. 601 luma, 0..1);
- ``chroma``: mean colourfulness (max minus min of R, G, B per pixel, 0..1);
- ``motion``: mean absolute luma change between consecutive decoded frames, measured on an
  8x8-pixel block average so that sensor noise and film grain (which average out over a
  block) do not count as movement while a moving object or a camera pan does.

The pass stops after the last clip of that file, so a clip at the start of a long file does
not cost a decode of the whole file (one at its end still does: ``iter_frames`` reads from the
beginning).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from autocut_core.errors import InputError
from autocut_core.media import MediaError, iter_frames

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.types import Candidate

#: Side of the blocks averaged before measuring motion, in pixels of the decoded frame.
MOTION_BLOCK = 8
_LUMA = (0.299, 0.587, 0.114)


@dataclass
class ClipLook:
    """What one clip looks like: sampled frames and mean brightness, colour and motion."""

    frames: list[np.ndarray] = field(default_factory=list)
    luma: float = 0.0
    chroma: float = 0.0
    motion: float = 0.0
    duration: float = 0.0


@dataclass
class _Accumulator:
    start: float
    end: float
    targets: list[float]
    picked: dict[int, tuple[float, np.ndarray]] = field(default_factory=dict)
    luma: list[float] = field(default_factory=list)
    chroma: list[float] = field(default_factory=list)
    motion: list[float] = field(default_factory=list)
    previous: np.ndarray | None = None
    nearest: tuple[float, np.ndarray, float, float] | None = None  # midpoint fallback

    def offer(
        self, timestamp: float, frame: np.ndarray, small: np.ndarray, stats: tuple[float, float]
    ) -> None:
        """Take the frame into the averages (when inside the clip) and the samples."""
        middle = (self.start + self.end) / 2
        distance = abs(timestamp - middle)
        if self.nearest is None or distance < abs(self.nearest[0] - middle):
            self.nearest = (timestamp, frame, stats[0], stats[1])
        for k, target in enumerate(self.targets):
            best = self.picked.get(k)
            if self.start <= timestamp < self.end and (
                best is None or abs(timestamp - target) < abs(best[0] - target)
            ):
                self.picked[k] = (timestamp, frame)
        if not self.start <= timestamp < self.end:
            self.previous = None
            return
        self.luma.append(stats[0])
        self.chroma.append(stats[1])
        if self.previous is not None:
            import numpy as np

            self.motion.append(float(np.abs(small - self.previous).mean()))
        self.previous = small

    def result(self) -> ClipLook:
        import numpy as np

        if not self.luma:  # shorter than one decoded frame interval: its nearest frame
            assert self.nearest is not None
            _, frame, luma, chroma = self.nearest
            return ClipLook([frame], luma, chroma, 0.0, self.end - self.start)
        frames = [frame for _, frame in (self.picked[k] for k in sorted(self.picked))]
        # Two targets can land on one frame in a clip shorter than frames_per_clip intervals.
        unique = list({id(frame): frame for frame in frames}.values())
        return ClipLook(
            frames=unique,
            luma=float(np.mean(self.luma)),
            chroma=float(np.mean(self.chroma)),
            motion=float(np.mean(self.motion)) if self.motion else 0.0,
            duration=self.end - self.start,
        )


def look_at_clips(
    candidates: Sequence[Candidate],
    frames_per_clip: int,
    fps: float,
    max_side: int,
) -> list[ClipLook]:
    """One :class:`ClipLook` per candidate, in order; a clip without readable footage is an
    :class:`InputError` or :class:`MediaError` naming the clip and the file."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for index, candidate in enumerate(candidates):
        if not candidate.source_path:
            raise InputError(
                f"clip {candidate.clip.clip_id} has no footage file (Candidate.source_path is "
                "empty), so its frames cannot be looked at"
            )
        by_source[os.fsdecode(candidate.source_path)].append(index)
    looks: list[ClipLook | None] = [None] * len(candidates)
    for path, indices in by_source.items():
        clips = [candidates[i].clip for i in indices]
        accumulators = [
            _Accumulator(clip.start, clip.end, _targets(clip.start, clip.end, frames_per_clip))
            for clip in clips
        ]
        last_frame = _read_source(path, accumulators, fps, max_side)
        for index, accumulator, clip in zip(indices, accumulators, clips, strict=True):
            if accumulator.nearest is None or clip.start > last_frame + 1.0 / fps:
                raise InputError(
                    f"{path}: clip {clip.clip_id} ({clip.start:.2f}-{clip.end:.2f} s) starts "
                    f"after the footage ends (last frame at {last_frame:.2f} s)"
                )
            looks[index] = accumulator.result()
    return [look for look in looks if look is not None]


def _targets(start: float, end: float, count: int) -> list[float]:
    step = (end - start) / count
    return [start + (k + 0.5) * step for k in range(count)]


def _read_source(
    path: str,
    accumulators: list[_Accumulator],
    fps: float,
    max_side: int,
) -> float:
    """Stream the file once and feed every frame to the clips it belongs to; the time of the
    last frame read."""
    import numpy as np

    stop = max(accumulator.end for accumulator in accumulators) + 1.0 / fps
    last = -1.0
    try:
        frames = iter_frames(path, fps=fps, max_side=max_side)
        try:
            for timestamp, frame in frames:
                last = timestamp
                pixels = frame.astype(np.float32) / 255.0
                luma = pixels @ np.asarray(_LUMA, dtype=np.float32)
                stats = (
                    float(luma.mean()),
                    float((pixels.max(axis=2) - pixels.min(axis=2)).mean()),
                )
                small = _block_mean(luma, MOTION_BLOCK)
                for accumulator in accumulators:
                    if accumulator.start - 1.0 / fps <= timestamp < accumulator.end + 1.0 / fps:
                        accumulator.offer(timestamp, frame, small, stats)
                if timestamp >= stop:
                    break
        finally:
            frames.close()
    except MediaError as error:
        # Footage that breaks after its last clip is fine; before it, a clip would be judged
        # on part of its frames (or none), so the edit should not go on silently.
        needed = max(accumulator.end for accumulator in accumulators)
        if last + 1.0 / fps < needed:
            raise MediaError(path, f"{error.reason} (clips need it up to {needed:.1f} s)") from None
    return last


def _block_mean(image: np.ndarray, block: int) -> np.ndarray:
    height, width = image.shape[0] // block * block, image.shape[1] // block * block
    if height == 0 or width == 0:
        return image
    trimmed = image[:height, :width]
    return trimmed.reshape(height // block, block, width // block, block).mean(axis=(1, 3))
