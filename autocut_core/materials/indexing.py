"""`autocut index`: folders of footage and music -> the material database.

The main process walks the inputs, hashes files and owns the database (the only writer);
decoding and encoding run per file, in worker processes when ``jobs > 1``. Each file ends
either committed whole or recorded as a failure with a one-line reason; nothing one file does
stops the others, and a killed run resumes where it stopped (see materials.py).

Per new video, one ffmpeg decode pass at ``dense_fps`` feeds both the cut detector (a cheap
encoder on every dense frame) and the main encoder (on the frame nearest each whole second);
each cut found is then moved to its native frame (a short decode around it, ``cut_refine``).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import errno
import json
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Generator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from autocut_core import ids
from autocut_core.components import Encoder, require_ready
from autocut_core.materials.cut_refine import refine_cuts
from autocut_core.materials.database import Embedded, MaterialDB, PathStat, to_db_path
from autocut_core.materials.segment import SegmentSettings, clip_vectors, clips_between, find_cuts
from autocut_core.media.errors import MediaError, display_path
from autocut_core.types import Source

if TYPE_CHECKING:
    from autocut_core.settings import AutocutSettings

VIDEO_EXTENSIONS = frozenset(
    [
        ".mp4",
        ".mov",
        ".m4v",
        ".mkv",
        ".avi",
        ".webm",
        ".mpg",
        ".mpeg",
        ".wmv",
        ".flv",
        ".ts",
        ".mts",
        ".3gp",
        ".ogv",
    ]
)
AUDIO_EXTENSIONS = frozenset(
    [".mp3", ".ogg", ".oga", ".opus", ".wav", ".flac", ".m4a", ".aac", ".wma", ".aiff", ".aif"]
)


@dataclass(frozen=True)
class ComponentSpec:
    """A component by name and options: what a worker process needs to build its own copy."""

    name: str
    options_json: str = "{}"

    @classmethod
    def of(cls, name: str, options: dict[str, Any] | None = None) -> ComponentSpec:
        return cls(name, json.dumps(options or {}, sort_keys=True))


@dataclass(frozen=True)
class IndexOptions:
    encoder: ComponentSpec = ComponentSpec("histogram")
    audio_encoder: ComponentSpec | None = None
    #: The encoder run on every dense frame for cut detection (cheap by design).
    cut_encoder: ComponentSpec = ComponentSpec("histogram")
    dense_fps: float = 10.0
    max_side: int = 256
    segment: SegmentSettings = field(default_factory=SegmentSettings)
    max_track_seconds: float = 600.0
    jobs: int = 1


@dataclass
class IndexReport:
    """What a run did, file by file in aggregate; ``failed`` lists (path, reason)."""

    new_videos: int = 0
    new_tracks: int = 0
    embedded: int = 0
    unchanged: int = 0
    frames: int = 0
    clips: int = 0
    media_seconds: float = 0.0
    decoded_frames: int = 0
    elapsed: float = 0.0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        return self.decoded_frames / self.elapsed if self.elapsed > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failed"] = [{"path": path, "reason": reason} for path, reason in self.failed]
        data["decoded_frames_per_second"] = round(self.frames_per_second, 1)
        data["elapsed"] = round(self.elapsed, 3)
        data["media_seconds"] = round(self.media_seconds, 3)
        return data


# --- finding files -------------------------------------------------------------------------


_ERRNO_REASONS = {
    errno.ELOOP: "symlink loop",
    errno.ENOENT: "not found (or a broken symlink)",
    errno.EACCES: "permission denied",
    errno.ENAMETOOLONG: "file name too long",
}


def _reason(error: OSError) -> str:
    return _ERRNO_REASONS.get(error.errno or 0, error.strerror or str(error))


def discover(
    inputs: Sequence[Path], extensions: frozenset[str]
) -> tuple[list[Path], list[tuple[str, str]]]:
    """Media files under ``inputs`` (folders walked, symlinks followed once) and problems.

    A file named on the command line is taken whatever its extension; inside folders only
    ``extensions`` count. Symlink loops and unreadable folders become problems, not hangs.
    """
    files: list[Path] = []
    problems: list[tuple[str, str]] = []
    seen_files: set[tuple[int, int]] = set()

    def take(path: Path) -> None:
        try:
            stat = os.stat(path)
        except OSError as error:
            problems.append((display_path(path), _reason(error)))
            return
        key = (stat.st_dev, stat.st_ino)
        if key not in seen_files:
            seen_files.add(key)
            files.append(path)

    for item in inputs:
        path = Path(item)
        try:
            is_dir = os.stat(path) and path.is_dir()
        except OSError as error:
            problems.append((display_path(path), _reason(error)))
            continue
        if not is_dir:
            take(path)
            continue
        visited: set[tuple[int, int]] = set()
        for folder, subfolders, names in os.walk(
            path,
            followlinks=True,
            onerror=lambda e: problems.append((display_path(e.filename), _reason(e))),
        ):
            stat = os.stat(folder)
            if (stat.st_dev, stat.st_ino) in visited:  # a symlink back up the tree
                subfolders[:] = []
                continue
            visited.add((stat.st_dev, stat.st_ino))
            subfolders.sort()
            for name in sorted(names):
                if Path(name).suffix.lower() in extensions:
                    take(Path(folder) / name)
    return files, problems


# --- work done per file (possibly in a worker process) -------------------------------------


_ENCODERS: dict[ComponentSpec, Encoder] = {}


def _encoder(spec: ComponentSpec) -> Encoder:
    if spec not in _ENCODERS:
        from autocut_core.plugins import get_registry

        encoder = get_registry().create("encoder", spec.name, json.loads(spec.options_json))
        if not isinstance(encoder, Encoder):
            raise TypeError(f"'{spec.name}' is not an encoder")
        _ENCODERS[spec] = encoder
    return _ENCODERS[spec]


@dataclass(frozen=True)
class VideoJob:
    path: str
    options: IndexOptions
    #: For a video already in the database: its 1 fps seconds and clips (only embed them).
    known_seconds: tuple[int, ...] | None = None
    known_clips: tuple[tuple[float, float], ...] | None = None


@dataclass
class VideoResult:
    path: str
    error: str | None = None
    probe: Any = None
    seconds: list[tuple[int, float]] = field(default_factory=list)
    clips: list[tuple[float, float]] = field(default_factory=list)
    frame_vectors: np.ndarray | None = None
    clip_vectors: np.ndarray | None = None
    decoded_frames: int = 0


def analyse_video(job: VideoJob) -> VideoResult:
    """Probe, decode once, find cuts and embed; never raises (errors come back as text)."""
    try:
        return _analyse_video(job)
    except MediaError as error:
        return VideoResult(job.path, error=error.reason)
    except Exception as error:  # a bug or an encoder failure must not stop the run
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        return VideoResult(job.path, error=f"internal error while analysing: {detail}")


def _analyse_video(job: VideoJob) -> VideoResult:
    from autocut_core.media import check_video, iter_frames, probe

    options = job.options
    facts = probe(job.path)
    check_video(facts)
    main = _encoder(options.encoder)
    segmenting = job.known_seconds is None
    cutter = _encoder(options.cut_encoder) if segmenting else None
    shared = cutter is not None and options.cut_encoder == options.encoder
    wanted = None if segmenting else set(job.known_seconds or ())

    dense_times: list[float] = []
    dense_vectors: list[np.ndarray] = []
    dense_batch: list[np.ndarray] = []
    second_frames: list[np.ndarray] = []
    seconds: list[tuple[int, float]] = []
    second_dense_index: list[int] = []
    next_second = 0
    half_step = 0.5 / options.dense_fps
    decoded = 0
    for timestamp, frame in iter_frames(
        job.path, fps=options.dense_fps, max_side=options.max_side, probe_result=facts
    ):
        decoded += 1
        if timestamp >= next_second - half_step:
            if wanted is None or next_second in wanted:
                seconds.append((next_second, timestamp))
                second_dense_index.append(len(dense_times))
                if not shared:
                    second_frames.append(frame)
            next_second += 1
        if cutter is not None:
            dense_times.append(timestamp)
            dense_batch.append(frame)
            if len(dense_batch) >= cutter.batch_size:
                dense_vectors.append(cutter.encode(dense_batch))
                dense_batch = []
    if decoded == 0:
        raise MediaError(job.path, "no frames could be decoded")
    if cutter is not None and dense_batch:
        dense_vectors.append(cutter.encode(dense_batch))
    # The container's duration, so no clip reaches past the end of the file; the decoded
    # length only where the container does not say.
    last_frame_end = (dense_times[-1] if dense_times else seconds[-1][1]) + 1 / options.dense_fps
    duration = facts.duration if facts.duration > 0 else last_frame_end

    if cutter is not None:
        dense = np.concatenate(dense_vectors)
        cuts = find_cuts(np.asarray(dense_times), dense, duration, options.segment)
        cuts = refine_cuts(job.path, cuts, cutter, facts, options.dense_fps, options.max_side,
                           duration, options.segment)  # fmt: skip
        clips = clips_between(cuts, duration, options.segment)
        frame_vectors = dense[second_dense_index] if shared else main.encode(second_frames)
    else:
        clips = list(job.known_clips or ())
        frame_vectors = main.encode(second_frames)
    if not seconds:
        raise MediaError(job.path, "no frame at a whole second could be decoded")
    second_times = np.asarray([s for s, _ in seconds], dtype=np.float64)
    return VideoResult(
        path=job.path,
        probe=facts,
        seconds=seconds,
        clips=clips,
        frame_vectors=frame_vectors,
        clip_vectors=clip_vectors(clips, second_times, frame_vectors),
        decoded_frames=decoded,
    )


@dataclass(frozen=True)
class TrackJob:
    path: str
    options: IndexOptions


@dataclass
class TrackResult:
    path: str
    error: str | None = None
    probe: Any = None
    vector: np.ndarray | None = None


def analyse_track(job: TrackJob) -> TrackResult:
    """Decode a music file at the audio encoder's rate and embed it as one vector."""
    from autocut_core.media import decode_audio, probe

    try:
        facts = probe(job.path)
        if not facts.has_audio:
            raise MediaError(job.path, "no audio stream")
        assert job.options.audio_encoder is not None
        encoder = _encoder(job.options.audio_encoder)
        if encoder.modality != "audio" or encoder.sample_rate is None:
            raise TypeError(f"encoder '{encoder.name}' does not take audio")
        samples = decode_audio(
            job.path, encoder.sample_rate, max_seconds=job.options.max_track_seconds
        )
        if samples.size == 0:
            raise MediaError(job.path, "no audio samples could be decoded")
        return TrackResult(job.path, probe=facts, vector=encoder.encode([samples])[0])
    except MediaError as error:
        return TrackResult(job.path, error=error.reason)
    except Exception as error:
        detail = traceback.format_exception_only(type(error), error)[-1].strip()
        return TrackResult(job.path, error=f"internal error while analysing: {detail}")


# --- the run -------------------------------------------------------------------------------


Progress = Callable[[str, int, int, int], None]
"""``progress(path, files_done, files_total, decoded_frames)`` after each file."""

Runner = Callable[
    [list[tuple[Any, "_Pending"]], Path], Generator[tuple[Any, "_Pending"], None, None]
]
"""Where the jobs run: ``runner(jobs, db_folder)`` yields ``(result, pending)`` as each file
finishes, in any order. The default runs them here or in a process pool (``jobs``); the Ray
engine (``materials.ray_engine``) on a cluster. Either way this process alone commits."""


def _source(
    result: Any, stat: PathStat, content_hash: str, kind: Literal["video", "audio"]
) -> Source:
    facts = result.probe
    return Source(
        source_id=ids.source_id_for_hash(content_hash), path=stat.path, content_hash=content_hash,
        duration=float(facts.duration), kind=kind, width=int(facts.width), height=int(facts.height),
        fps=float(facts.fps), rotation=int(facts.rotation),
        variable_frame_rate=bool(facts.variable_frame_rate), has_audio=bool(facts.has_audio),
        audio_streams=int(facts.audio_streams), video_codec=str(facts.video_codec),
        size_bytes=stat.size_bytes,
    )  # fmt: skip


def encoder_specs(jobs: Sequence[Any], options: IndexOptions) -> list[ComponentSpec]:
    """The encoders these jobs will load (each once), so a worker can load them up front."""
    specs: list[ComponentSpec] = []
    if any(isinstance(job, VideoJob) for job in jobs):
        specs += [options.cut_encoder, options.encoder]
    if options.audio_encoder is not None and any(isinstance(job, TrackJob) for job in jobs):
        specs.append(options.audio_encoder)
    return list(dict.fromkeys(specs))


def load_encoder(spec: ComponentSpec) -> Encoder:
    """The encoder of ``spec``, built once per process and kept (models load once)."""
    return _encoder(spec)


def _encoders_needed(jobs: list[tuple[Any, _Pending]], options: IndexOptions) -> list[Encoder]:
    """The encoders this run's jobs will load: checked once, before any file is decoded."""
    return [_encoder(spec) for spec in encoder_specs([job for job, _ in jobs], options)]


def _encoder_version(spec: ComponentSpec) -> str:
    from autocut_core.plugins import get_registry

    cls = get_registry().get("encoder", spec.name).cls
    return f"{cls.version}:{spec.options_json}"


@dataclass
class _Pending:
    stat: PathStat
    content_hash: str
    kind: str
    existing: str | None


@dataclass(frozen=True)
class _Versions:
    video: str
    audio: str


def index(
    footage: Sequence[Path],
    music: Sequence[Path],
    folder: Path,
    options: IndexOptions,
    progress: Progress | None = None,
    runner: Runner | None = None,
) -> IndexReport:
    """Index ``footage`` (videos) and ``music`` (tracks) into the database at ``folder``.

    ``runner`` decides where files are analysed (default: here, or ``options.jobs`` worker
    processes); what is committed, and how, does not depend on it.
    """
    started = time.perf_counter()
    report = IndexReport()
    videos, video_problems = discover(footage, VIDEO_EXTENSIONS)
    tracks, track_problems = discover(music, AUDIO_EXTENSIONS) if music else ([], [])
    if tracks and options.audio_encoder is None:
        raise ValueError("music was given but no audio encoder is configured")
    versions = _Versions(
        _encoder_version(options.encoder),
        _encoder_version(options.audio_encoder) if tracks and options.audio_encoder else "",
    )
    files = [(p, "video") for p in videos] + [(p, "audio") for p in tracks]
    with MaterialDB(folder) as db:
        for path, reason in video_problems + track_problems:
            _fail(db, report, path, reason)
        jobs, copies = _plan(db, report, files, options)
        require_ready(_encoders_needed(jobs, options))
        done = len(files) - len(jobs)
        results = _run(jobs, options.jobs) if runner is None else runner(jobs, Path(folder))
        # Closed on the way out, even when interrupted, so a runner stops its workers now.
        with contextlib.closing(results):
            for result, pending in results:
                done += 1
                try:
                    _store(db, report, result, pending, options, versions)
                except Exception as error:  # one file's bad luck must not stop the others
                    detail = traceback.format_exception_only(type(error), error)[-1].strip()
                    _fail(
                        db,
                        report,
                        display_path(result.path),
                        f"internal error while storing: {detail}",
                    )
                if progress is not None:
                    progress(display_path(result.path), done, len(files), report.decoded_frames)
        _store_copies(db, report, copies)
    report.elapsed = time.perf_counter() - started
    return report


def _plan(
    db: MaterialDB, report: IndexReport, files: list[tuple[Path, str]], options: IndexOptions
) -> tuple[list[tuple[Any, _Pending]], list[_Pending]]:
    """Skip what is already indexed (by path+size+mtime, then by content); job the rest.

    Returns the jobs and the copies: files whose content another job of this run already
    computes, to be pointed at its source afterwards instead of computed twice. Every path
    is recorded against its content (a copy's path too), since sidecars live at paths.
    """
    jobs: list[tuple[Any, _Pending]] = []
    copies: list[_Pending] = []
    queued: set[tuple[str, str]] = set()
    offered_again: list[PathStat] = []
    for path, kind in files:
        spec = options.encoder if kind == "video" else options.audio_encoder
        assert spec is not None
        try:
            stat = PathStat.of(path)
            known = db.known_path(stat)
            if known and db.has_encoding(known, spec.name):
                offered_again.append(stat)
                report.unchanged += 1
                continue
            if stat.size_bytes == 0:
                raise MediaError(path, "empty file (0 bytes)")
            content_hash = ids.content_hash(path)
        except (OSError, MediaError) as error:
            reason = error.reason if isinstance(error, MediaError) else _reason(error)
            _fail(db, report, display_path(path), reason, file=path)
            continue
        existing = db.source_for_hash(content_hash)
        if existing and db.has_encoding(existing, spec.name):
            db.remember_path(stat, existing)  # a copy or a rename: nothing to compute
            report.unchanged += 1
            continue
        pending = _Pending(stat, content_hash, kind, existing)
        if (content_hash, kind) in queued:
            copies.append(pending)
            continue
        queued.add((content_hash, kind))
        if existing is None:
            db.forget_path(stat.path)  # the file at this path changed: its old rows go
        if kind == "audio":
            jobs.append((TrackJob(os.fspath(path), options), pending))
        elif existing:
            seconds = tuple(second for _, second, _ in db.frames(existing))
            clips = tuple((clip.start, clip.end) for clip in db.clips(existing))
            jobs.append((VideoJob(os.fspath(path), options, seconds, clips), pending))
        else:
            jobs.append((VideoJob(os.fspath(path), options), pending))
    db.touch_paths(offered_again)
    return jobs, copies


def _store_copies(db: MaterialDB, report: IndexReport, copies: list[_Pending]) -> None:
    for copy in copies:
        source_id = db.source_for_hash(copy.content_hash)
        if source_id is None:
            _fail(db, report, copy.stat.path, "same content as a file that failed (see above)")
        else:
            db.remember_path(copy.stat, source_id)
            report.unchanged += 1


def _fail(
    db: MaterialDB, report: IndexReport, path: str, reason: str, file: str | Path | None = None
) -> None:
    """Report ``path`` (display text) as failed and record it. The record is keyed by the
    file's absolute database path when ``file`` names it, the key a later success clears
    (:meth:`MaterialDB.remember_path`), so a file that indexes fine after a fix is no longer
    counted as failing, whatever path it was first given by."""
    report.failed.append((path, reason))
    db.record_failure(to_db_path(os.path.abspath(file)) if file is not None else path, reason)


def _store(
    db: MaterialDB,
    report: IndexReport,
    result: Any,
    pending: _Pending,
    options: IndexOptions,
    versions: _Versions,
) -> None:
    if result.error is not None:
        _fail(db, report, display_path(result.path), result.error, file=result.path)
        return
    if isinstance(result, TrackResult):
        assert options.audio_encoder is not None
        assert result.vector is not None  # set whenever error is None
        source = _source(result, pending.stat, pending.content_hash, "audio")
        title = Path(result.path).stem
        db.add_track(
            source, pending.stat, title, options.audio_encoder.name, versions.audio, result.vector
        )
        report.new_tracks += int(pending.existing is None)
        report.embedded += int(pending.existing is not None)
        report.media_seconds += source.duration
        return
    embedded = Embedded(
        options.encoder.name, versions.video, result.frame_vectors, result.clip_vectors
    )
    report.decoded_frames += result.decoded_frames
    if pending.existing is not None:
        db.add_embedding(pending.existing, embedded)
        db.remember_path(pending.stat, pending.existing)
        report.embedded += 1
        return
    source = _source(result, pending.stat, pending.content_hash, "video")
    segmenter = json.dumps(
        {
            "cut_encoder": options.cut_encoder.name,
            "dense_fps": options.dense_fps,
            **asdict(options.segment),
        },
        sort_keys=True,
    )
    db.add_video(source, pending.stat, result.seconds, result.clips, segmenter, embedded)
    report.new_videos += 1
    report.frames += len(result.seconds)
    report.clips += len(result.clips)
    report.media_seconds += source.duration


def _run(
    jobs: list[tuple[Any, _Pending]], workers: int
) -> Generator[tuple[Any, _Pending], None, None]:
    """Results in completion order; in-process for one worker, else a spawn process pool."""
    if workers <= 1 or len(jobs) <= 1:
        for job, pending in jobs:
            yield analyse_job(job), pending
        return
    context = multiprocessing.get_context("spawn")  # no fork: torch and threads do not fork well
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(analyse_job, job): pending for job, pending in jobs}
        for future in concurrent.futures.as_completed(futures):
            yield future.result(), futures[future]


def analyse_job(job: Any) -> Any:
    """A video or track job's result; never raises (failures come back as ``error``)."""
    return analyse_track(job) if isinstance(job, TrackJob) else analyse_video(job)


def segment_video(path: Path, options: IndexOptions) -> VideoResult:
    """Cuts of one video with no database: the cut encoder doubles as the main encoder."""
    from dataclasses import replace

    return _analyse_video(VideoJob(os.fspath(path), replace(options, encoder=options.cut_encoder)))


def options_from_settings(settings: AutocutSettings, jobs: int | None = None) -> IndexOptions:
    """IndexOptions from merged settings; ``jobs=0`` means all cores for light encoders."""
    from autocut_core.plugins import get_registry

    config = settings.index
    encoder = ComponentSpec.of(settings.encoder, settings.options_for("encoder", settings.encoder))
    audio = None
    if settings.audio_encoder:
        audio = ComponentSpec.of(
            settings.audio_encoder, settings.options_for("encoder", settings.audio_encoder)
        )
    cutter = ComponentSpec.of(
        config.cut_encoder, settings.options_for("encoder", config.cut_encoder)
    )
    workers = settings.jobs if jobs is None else jobs
    if workers == 0:
        light = "light" in get_registry().get("encoder", settings.encoder).cls.capabilities
        workers = (os.cpu_count() or 1) if light else 1
    segment = SegmentSettings(
        method=config.cut_method,
        threshold=config.cut_threshold,
        adaptive_drop=config.adaptive_drop,
        min_clip_seconds=config.min_clip,
        max_clip_seconds=config.max_clip,
    )
    return IndexOptions(
        encoder=encoder,
        audio_encoder=audio,
        cut_encoder=cutter,
        dense_fps=config.dense_fps,
        max_side=config.max_side,
        segment=segment,
        max_track_seconds=config.max_track_seconds,
        jobs=workers,
    )
