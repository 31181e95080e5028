"""`autocut caption`: one caption per clip, written by a captioner into the material database.

The zero-shot backbones match a script to clips through what the clips say
(:mod:`autocut_core.materials.captions`); on a user's raw footage that is only the file
names. A captioner (a vision-language model, :class:`~autocut_core.components.Captioner`)
looks at a few frames of each clip and writes a sentence, stored per clip, model and prompt:
asking again with the same model and prompt costs nothing, another model or prompt writes
its own caption next to the first, and `autocut run` reads the latest one.

The footage is indexed first (incrementally, as `autocut run` does), because the clips are
the index's. A clip the captioner cannot describe is one line of the report and the run
goes on; only a run in which every clip failed is an error. On request each video also gets
a ``<video>.captions.json`` sidecar with its clips' captions, unless it already has a
sidecar of any kind: that one was written by someone on purpose and is never replaced.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autocut_core.components import Captioner
from autocut_core.errors import ITEM_ERRORS, CaptionError, fail_if_none_succeeded, failure_line
from autocut_core.fsutil import atomic_write_text
from autocut_core.materials.captions import TIMED_SUFFIXES, WHOLE_FILE_SUFFIX, find_sidecar
from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import VIDEO_EXTENSIONS, IndexOptions, index
from autocut_core.materials.locations import current_paths, offered_sources
from autocut_core.media.errors import display_path
from autocut_core.media.frame_grab import frame_jpeg
from autocut_core.progress import SILENT, Reporter, file_done, reporting_to
from autocut_core.types import Clip

SIDECAR_SUFFIX = TIMED_SUFFIXES[0]  # ".captions.json", the one sidecar format that is ours


@dataclass(frozen=True)
class ClipCaption:
    """One clip's outcome: its caption (None when it failed), and whether it was stored before."""

    clip: Clip
    path: str
    text: str | None
    cached: bool = False
    error: str = ""


@dataclass
class CaptionReport:
    """What `autocut caption` did, for its summary."""

    model: str
    clips: list[ClipCaption] = field(default_factory=list)
    skipped_files: list[str] = field(default_factory=list)
    sidecars: list[Path] = field(default_factory=list)
    kept_sidecars: list[Path] = field(default_factory=list)

    @property
    def written(self) -> int:
        return sum(1 for clip in self.clips if clip.text is not None and not clip.cached)

    @property
    def cached(self) -> int:
        return sum(1 for clip in self.clips if clip.cached)

    @property
    def failed(self) -> list[ClipCaption]:
        return [clip for clip in self.clips if clip.text is None]


def frame_times(clip: Clip, count: int) -> list[float]:
    """``count`` moments spread over the clip (the middle of equal parts): the frames a
    captioner sees, never the very first or last frame, where a cut may bleed in."""
    length = clip.end - clip.start
    return [clip.start + (index + 0.5) * length / count for index in range(count)]


def clip_frames(path: str, clip: Clip, count: int, max_side: int) -> list[bytes]:
    """The clip's frames as JPEG bytes, at most ``max_side`` pixels on the longer side."""
    return [frame_jpeg(path, at, max_side) for at in frame_times(clip, count)]


def caption_footage(
    footage: Sequence[Path],
    database: Path,
    captioner: Captioner,
    options: IndexOptions,
    *,
    sidecars: bool = False,
    refresh: bool = False,
    progress: Reporter = SILENT,
) -> CaptionReport:
    """Index ``footage``, then caption every clip of it that ``captioner`` has not captioned
    with its current prompt (all of them with ``refresh``); see the module docstring."""
    with progress.stage("index footage") as stage, reporting_to(stage):
        indexed = index(list(footage), [], database, options, file_done)
    report = CaptionReport(model=captioner.cache_key)
    report.skipped_files = [f"{display_path(path)}: {reason}" for path, reason in indexed.failed]
    prompt = captioner.settings.prompt
    with MaterialDB(database) as db:
        offered = offered_sources(db, footage, VIDEO_EXTENSIONS)
        work = [
            (clip, current_paths(db, source_id, paths)[0])
            for source_id, paths in offered.items()
            for clip in db.clips(source_id)
        ]
        with progress.stage(f"caption clips ({captioner.name})", total=len(work)) as stage:
            for done, (clip, path) in enumerate(work, start=1):
                stage.update(done - 1, len(work), display_path(path))
                report.clips.append(_caption_one(db, captioner, prompt, clip, path, refresh))
            stage.update(len(work), len(work))
        if sidecars:
            _write_sidecars(report)
    fail_if_none_succeeded(
        len(report.clips), [clip.error for clip in report.failed], CaptionError,
        f"captioner '{captioner.name}' ({captioner.model}) described none of the "
        f"{len(report.clips)} clips",
    )  # fmt: skip
    return report


def _caption_one(
    db: MaterialDB, captioner: Captioner, prompt: str, clip: Clip, path: str, refresh: bool
) -> ClipCaption:
    """One clip, from the cache or the captioner; a failure is recorded, never raised: one
    bad clip (a frame ffmpeg cannot grab, a server that gave up) must not end the run."""
    if not refresh:
        stored = db.stored_caption(clip, captioner.cache_key, prompt)
        if stored is not None:
            return ClipCaption(clip, path, stored, cached=True)
    settings = captioner.settings
    try:
        frames = clip_frames(path, clip, settings.frames, settings.max_side)
        text = captioner.describe(frames)
    except ITEM_ERRORS as error:
        return ClipCaption(clip, path, None, error=failure_line(error))
    db.store_caption(clip, captioner.cache_key, prompt, text)
    return ClipCaption(clip, path, text)


def _write_sidecars(report: CaptionReport) -> None:
    """``<video>.captions.json`` per video with every clip that has a caption, written
    atomically; a video that has a sidecar of any kind keeps it."""
    by_path: dict[str, list[ClipCaption]] = {}
    for clip in report.clips:
        if clip.text is not None:
            by_path.setdefault(clip.path, []).append(clip)
    for path, clips in by_path.items():
        video = Path(path)
        existing = find_sidecar(video, (*TIMED_SUFFIXES, WHOLE_FILE_SUFFIX))
        if existing is not None:
            report.kept_sidecars.append(existing)
            continue
        cues = [
            {"start": round(c.clip.start, 3), "end": round(c.clip.end, 3), "text": c.text}
            for c in sorted(clips, key=lambda c: c.clip.start)
        ]
        target = video.with_name(video.stem + SIDECAR_SUFFIX)
        atomic_write_text(target, json.dumps(cues, ensure_ascii=False, indent=2) + "\n")
        report.sidecars.append(target)
