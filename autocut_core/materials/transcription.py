"""`autocut transcribe`: a transcriber's timed transcript of each video, kept in the database.

A transcript is stored per file content (sha-256) and transcriber (its ``cache_key``), so
asking again with the same model costs one hash of the file, a renamed or copied file keeps
its transcript, and another model writes its own next to the first. The video is not indexed
for it (no frames are decoded): only its audio is, at the transcriber's rate.

Each transcript is also written as files, atomically, into ``<db>/transcripts/``:
``<source id>.json`` (the :class:`~autocut_core.types.Transcript`: language, segments, words
with their times) and ``<source id>.srt`` (one cue per segment). On request a video also gets a
``<video>.srt`` beside it, the transcript sidecar `autocut dataset build` and the captions
read, unless it has a timed sidecar already: that one was written by someone on purpose and
is never replaced. A file that cannot be decoded or transcribed is one line of the report;
only a run in which every file failed is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autocut_core import ids
from autocut_core.components import Transcriber, not_ready_reason
from autocut_core.errors import (
    ITEM_ERRORS,
    TranscriptionError,
    fail_if_none_succeeded,
    failure_line,
)
from autocut_core.fsutil import atomic_write_text
from autocut_core.materials.captions import TIMED_SUFFIXES, find_sidecar, srt_time
from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS, discover
from autocut_core.media.decode import decode_audio
from autocut_core.media.errors import display_path
from autocut_core.progress import SILENT, Reporter
from autocut_core.serde import dumps
from autocut_core.types import Transcript

if TYPE_CHECKING:
    from autocut_core.settings import AutocutSettings

#: Where the JSON and SRT files of the transcripts go, inside the database folder.
TRANSCRIPTS_FOLDER = "transcripts"


@dataclass(frozen=True)
class FileTranscript:
    """One file's outcome: its transcript (None when it failed), and whether it was stored."""

    path: Path
    transcript: Transcript | None
    cached: bool = False
    error: str = ""
    files: tuple[Path, ...] = ()


@dataclass
class TranscribeReport:
    """What `autocut transcribe` did, for its summary."""

    model: str
    files: list[FileTranscript] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    sidecars: list[Path] = field(default_factory=list)
    kept_sidecars: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[FileTranscript]:
        return [item for item in self.files if item.transcript is None]


def transcribe_files(
    inputs: Sequence[Path],
    database: Path,
    transcriber: Transcriber,
    *,
    sidecars: bool = False,
    refresh: bool = False,
    progress: Reporter = SILENT,
) -> TranscribeReport:
    """Transcribe every video (and audio file) under ``inputs``; see the module docstring."""
    files, problems = discover(list(inputs), VIDEO_EXTENSIONS | AUDIO_EXTENSIONS)
    report = TranscribeReport(model=transcriber.cache_key)
    report.skipped = [f"{path}: {reason}" for path, reason in problems]
    stage_name = f"transcribe ({transcriber.name})"
    with MaterialDB(database) as db, progress.stage(stage_name, total=len(files)) as stage:
        for done, path in enumerate(files):
            stage.update(done, len(files), display_path(path))
            report.files.append(_one_file(db, transcriber, path, refresh))
        stage.update(len(files), len(files))
    if sidecars:
        _write_sidecars(report)
    fail_if_none_succeeded(
        len(report.files), [item.error for item in report.failed], TranscriptionError,
        f"transcriber '{transcriber.name}' ({transcriber.model}) transcribed none of the "
        f"{len(report.files)} files",
    )  # fmt: skip
    return report


def ready_transcriber(
    settings: AutocutSettings, fetch: bool = True
) -> tuple[Transcriber | None, str]:
    """The configured transcriber when it is installed and its checks pass, else None and
    why: what `dataset build` and the subtitles use without being asked to, so a missing
    model means the fallback and a note, never an error after minutes of work. Without
    ``fetch`` its model must be on this machine already (a check that warns, such as "not
    downloaded yet", is not ready): the subtitles never start a download."""
    from autocut_core.errors import UnknownComponentError

    try:
        transcriber = settings.create("transcriber")
    except UnknownComponentError:
        return None, (
            f"no transcriber '{settings.transcriber}' is installed (pip install 'autocut[asr]' "
            "for faster-whisper)"
        )
    reason = not_ready_reason(transcriber, fetch)
    return (None, reason) if reason else (transcriber, "")


def transcript_of(
    db: MaterialDB,
    transcriber: Transcriber,
    path: Path,
    refresh: bool = False,
    content_hash: str | None = None,
) -> tuple[Transcript, bool]:
    """``path``'s transcript by ``transcriber`` and whether it was stored already: from the
    database, else decoded, transcribed and stored (with its JSON and SRT files)."""
    content_hash = content_hash or ids.content_hash(path)
    if not refresh:
        stored = db.stored_transcript(content_hash, transcriber.cache_key)
        if stored is not None:
            return stored, True
    audio = decode_audio(path, transcriber.sample_rate)
    transcript = transcriber.transcribe(audio)
    db.store_transcript(content_hash, str(path), transcript)
    write_transcript_files(db.folder, ids.source_id_for_hash(content_hash), transcript)
    return transcript, False


def transcript_files(folder: Path, source_id: str) -> tuple[Path, Path]:
    """The JSON and SRT files of a content's transcript in database ``folder``."""
    base = Path(folder) / TRANSCRIPTS_FOLDER / source_id
    return base.with_suffix(".json"), base.with_suffix(".srt")


def write_transcript_files(
    folder: Path, source_id: str, transcript: Transcript
) -> tuple[Path, Path]:
    """Write the transcript's JSON and SRT into ``folder/transcripts/``, atomically."""
    json_path, srt_path = transcript_files(folder, source_id)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(json_path, dumps(transcript) + "\n")
    atomic_write_text(srt_path, transcript_srt(transcript))
    return json_path, srt_path


def transcript_srt(transcript: Transcript) -> str:
    """The transcript as SubRip: one numbered cue per segment with text."""
    blocks: list[str] = []
    for segment in transcript.segments:
        text = " ".join(segment.text.split())
        if not text:
            continue
        end = max(segment.end, segment.start + 0.001)
        timing = f"{srt_time(segment.start)} --> {srt_time(end)}"
        blocks.append(f"{len(blocks) + 1}\n{timing}\n{text}")
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def _one_file(
    db: MaterialDB, transcriber: Transcriber, path: Path, refresh: bool
) -> FileTranscript:
    """One file; a failure is recorded, never raised: one file without audio or a model
    that gave up on one track must not end the run."""
    try:
        content_hash = ids.content_hash(path)
        transcript, cached = transcript_of(db, transcriber, path, refresh, content_hash)
    except ITEM_ERRORS as error:
        return FileTranscript(path, None, error=failure_line(error))
    source_id = ids.source_id_for_hash(content_hash)
    files = transcript_files(db.folder, source_id)
    if not all(file.is_file() for file in files):  # stored by a run that wrote no files
        files = write_transcript_files(db.folder, source_id, transcript)
    return FileTranscript(path, transcript, cached=cached, files=files)


def _write_sidecars(report: TranscribeReport) -> None:
    """``<video>.srt`` beside each transcribed video, unless it has a timed sidecar."""
    for item in report.files:
        if item.transcript is None or item.path.suffix.lower() not in VIDEO_EXTENSIONS:
            continue
        existing = find_sidecar(item.path, (*TIMED_SUFFIXES, ".json"))
        if existing is not None:
            report.kept_sidecars.append(existing)
            continue
        target = item.path.with_name(item.path.stem + ".srt")
        atomic_write_text(target, transcript_srt(item.transcript))
        report.sidecars.append(target)
