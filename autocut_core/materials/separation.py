"""Voice and music stems of audio and video files: `autocut separate` and the dataset's music.

The paper embeds an ad's music after separating the voice from it. A finished ad without a
``.bgm.`` sidecar has its music only inside the mix, so `dataset build` asks the configured
separator for the ad's music stem (:func:`music_stem`) and embeds that; without a separator
(``--separator none``, or none installed) it embeds the mix itself (:func:`mix_file`) and
says so. Both are WAV files in ``<db>/stems/<source id>/``, named by what wrote them (the
separator's cache key, or ``mix``), so a re-run separates nothing again, and another
separator writes its own beside the first.

`autocut separate FILE... --out DIR` writes ``DIR/<name>/voice.wav`` and ``music.wav`` per
file, atomically; a file that cannot be decoded or separated is one line of the report, and
only a run in which every file failed is an error.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autocut_core import ids
from autocut_core.components import Separator, not_ready_reason
from autocut_core.errors import ITEM_ERRORS, SeparationError, fail_if_none_succeeded, failure_line
from autocut_core.fsutil import atomic_write_text
from autocut_core.materials.indexing import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS, discover
from autocut_core.media.decode import decode_audio
from autocut_core.media.errors import display_path
from autocut_core.media.wav import write_wav
from autocut_core.progress import SILENT, Reporter, reporting_to

if TYPE_CHECKING:
    from autocut_core.components import Stems
    from autocut_core.settings import AutocutSettings

#: Where the stems live inside the database folder.
STEMS_FOLDER = "stems"
#: The separator setting that turns separation off: the mix is embedded as the music.
NO_SEPARATOR = "none"
#: The rate the mix is kept at when it stands in for the music (the separators' default).
MIX_RATE = 22_050
STEM_NAMES = ("voice", "music")


def ready_separator(settings: AutocutSettings, fetch: bool = True) -> tuple[Separator | None, str]:
    """The configured separator when it is installed and its checks pass, else None and
    why: `dataset build` separates without being asked to, so a missing separator means
    the mix and a note, never an error after minutes of work. Without ``fetch`` its model
    must be on this machine already (a check that warns is not ready)."""
    from autocut_core.errors import UnknownComponentError

    if settings.separator.strip().lower() == NO_SEPARATOR:
        return None, f"separation turned off (--separator {NO_SEPARATOR})"
    try:
        separator = settings.create("separator")
    except UnknownComponentError:
        return None, (
            f"no separator '{settings.separator}' is installed (`autocut plugins` lists the "
            "separators; repet ships with autocut)"
        )
    reason = not_ready_reason(separator, fetch)
    return (None, reason) if reason else (separator, "")


def stems_folder(database: Path, source_id: str, writer: str) -> Path:
    """``<db>/stems/<source id>/<writer>``: ``writer`` is a separator's cache key (as a
    readable name and a digest, since a key may hold a path) or ``mix``."""
    if writer != "mix":
        digest = hashlib.sha256(writer.encode("utf-8")).hexdigest()[:12]
        writer = f"{writer.split(':', 1)[0]}-{digest}"
    return Path(database) / STEMS_FOLDER / source_id / writer


def music_stem(
    database: Path, separator: Separator, path: Path, refresh: bool = False
) -> tuple[Path, bool]:
    """The music stem of ``path`` by ``separator`` as a WAV file in the database folder,
    and whether it was there already (then nothing is decoded or separated)."""
    folder = stems_folder(database, ids.source_id_for_hash(ids.content_hash(path)),
                          separator.cache_key)  # fmt: skip
    target = folder / "music.wav"
    if target.is_file() and not refresh:
        return target, True
    stems = separator.separate(decode_audio(path, separator.sample_rate))
    write_stems(stems, folder)
    return target, False


def mix_file(database: Path, path: Path) -> Path:
    """``path``'s soundtrack as it is (mono, :data:`MIX_RATE`), where the music stem would be:
    the music vectors of an ad when no separator is used."""
    target = stems_folder(database, ids.source_id_for_hash(ids.content_hash(path)), "mix")
    target = target / "mix.wav"
    if not target.is_file():
        write_wav(target, decode_audio(path, MIX_RATE), MIX_RATE)
    return target


def write_stems(stems: Stems, folder: Path) -> tuple[Path, Path]:
    """``voice.wav`` and ``music.wav`` (and ``stems.json``: who wrote them, at what rate)
    into ``folder``, each atomically; the music last, since its presence means done."""
    voice = write_wav(folder / "voice.wav", stems.voice, stems.sample_rate)
    about = {"model": stems.model, "sample_rate": stems.sample_rate, "seconds": stems.duration}
    atomic_write_text(folder / "stems.json", json.dumps(about, indent=2) + "\n")
    music = write_wav(folder / "music.wav", stems.music, stems.sample_rate)
    return voice, music


@dataclass(frozen=True)
class FileStems:
    """One file's outcome: the stems written (none when it failed) and why it failed."""

    path: Path
    files: tuple[Path, ...] = ()
    seconds: float = 0.0
    error: str = ""


@dataclass
class SeparateReport:
    """What `autocut separate` did, for its summary."""

    model: str
    out: Path
    files: list[FileStems] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[FileStems]:
        return [item for item in self.files if item.error]


def separate_files(
    inputs: Sequence[Path], out: Path, separator: Separator, progress: Reporter = SILENT
) -> SeparateReport:
    """Separate every audio and video file under ``inputs`` into ``out/<name>/``."""
    files, problems = discover(list(inputs), VIDEO_EXTENSIONS | AUDIO_EXTENSIONS)
    report = SeparateReport(model=separator.cache_key, out=Path(out))
    report.skipped = [f"{path}: {reason}" for path, reason in problems]
    taken: set[str] = set()
    for number, path in enumerate(files, start=1):
        label = f"separate {number}/{len(files)} ({separator.name}): {display_path(path)}"
        with progress.stage(label) as stage, reporting_to(stage):
            report.files.append(_one_file(separator, path, report.out, taken))
    fail_if_none_succeeded(
        len(report.files), [item.error for item in report.failed], SeparationError,
        f"separator '{separator.name}' ({separator.model}) separated none of the "
        f"{len(report.files)} files",
    )  # fmt: skip
    return report


def _one_file(separator: Separator, path: Path, out: Path, taken: set[str]) -> FileStems:
    """One file; a failure is recorded, never raised: one file without audio must not end
    the run. Two files of one name (in different folders) get the second its source id."""
    try:
        name = path.stem
        if name in taken:
            name = f"{name}-{ids.source_id_for_hash(ids.content_hash(path))}"
        stems = separator.separate(decode_audio(path, separator.sample_rate))
        written = write_stems(stems, out / name)
    except ITEM_ERRORS as error:
        return FileStems(path, error=failure_line(error))
    taken.add(name)
    return FileStems(path, written, stems.duration)
