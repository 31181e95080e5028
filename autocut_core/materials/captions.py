"""What a clip "says" when no trained model can tell: sidecar descriptions, else its file name.

Zero-shot backbones (``similarity``) match script sentences to clips through text, so every
clip needs some words. A person who shot or sorted the footage usually knows what is in it and
can write that down next to the file; when nobody did, the file name often says it
(``red-sneakers_closeup-01.mp4``). The sources, first found wins:

1. timed sidecars, ``<video>.captions.json``, ``<video>.srt``, ``<video>.vtt``: the clip takes
   the text of every cue that overlaps it (in time order, repeats dropped);
2. ``<video>.txt``: one description for the whole file;
3. the words of the file name: separators become spaces, camera counters (``IMG_0042``,
   ``-01``, ``take3``, ``v2``, ``1080p``) are dropped, ``camelCase`` is split.

``<video>`` is the footage's name without its suffix (``shot.srt`` beside ``shot.mp4``); the
full name with the sidecar suffix appended (``shot.mp4.srt``) is accepted too. A timed sidecar
in which no cue overlaps the clip falls through to the next source.

One content may sit at several paths (a copy in another folder, a renamed file; see
:mod:`autocut_core.materials.locations`). The sidecars of the *first* of those paths that has
any sidecar at all speak for the file, and the others' are not mixed in: two folders with
different sidecars are two different descriptions, and the path the user offered in this run
comes first, so its description wins. The file-name words are the first path's.

A broken sidecar (invalid JSON, a cue without times, end before start, text that is not UTF-8)
is an :class:`InputError` naming the file and the line or entry, never a silent fallback to the
file name: the user wrote that file on purpose, and a clip quietly described by its file name
instead would make a wrong edit that is hard to trace back to a typo.

``captions.json`` is a list of cues, or an object with a ``captions`` list; each cue is
``{"start": seconds, "end": seconds, "text": "..."}``::

    [{"start": 0, "end": 2.5, "text": "red sneakers on a white table"},
     {"start": 2.5, "end": 6, "text": "a runner laces up"}]
"""

from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from autocut_core.errors import InputError
from autocut_core.fsutil import is_file
from autocut_core.media.errors import display_path

#: Timed sidecar suffixes, in the order they are looked for.
TIMED_SUFFIXES = (".captions.json", ".srt", ".vtt")
WHOLE_FILE_SUFFIX = ".txt"

# Words of a file name that carry no meaning: counters, versions, takes, resolutions, camera
# prefixes (IMG_0042, DSC01234, GOPR0001, PXL_20240101, MVI_1234, DJI_0001, VID_...).
_NOISE_WORD = re.compile(
    r"""^(?:
        \d+                                   # 01, 2024
      | v\d+ | ver\d+ | version\d*            # v2
      | take\d* | tk\d+ | shot\d+ | clip\d+   # take3, shot12
      | \d+(?:p|k|fps|x\d+)                   # 1080p, 4k, 60fps, 1920x1080
      | img | dsc | dscf | dscn | gopr | gp | mvi | mov | pxl | dji | vid
      | final | copy | export
      | (?:img|dsc|dscf|dscn|gopr|gp|mvi|pxl|dji|vid)\d+
    )$""",
    re.IGNORECASE | re.VERBOSE,
)
_SEPARATORS = re.compile(r"[\s_\-.+~,;()\[\]{}#@!]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_TIMESTAMP = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})$")
_MARKUP = re.compile(r"<[^>]*>|\{\\[^}]*\}")


@dataclass(frozen=True)
class TimedCaption:
    """One cue of a timed sidecar: what is seen from ``start`` to ``end`` (seconds)."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Caption:
    """A clip's description and the sidecar it came from (``None``: the file name's words)."""

    text: str
    sidecar: Path | None


PathLike = str | os.PathLike[str]


def caption_for(
    source_path: PathLike | Sequence[PathLike],
    start: float | None = None,
    end: float | None = None,
) -> str:
    """The description of the part ``start``..``end`` of a file (the whole file when no
    times are given): timed sidecar cues overlapping it, else the ``.txt`` sidecar, else the
    words of the file name (``""`` when even the name says nothing, e.g. ``IMG_0042.MOV``).

    ``source_path`` may be the paths of one content, best first (see the module docstring)."""
    return describe(source_path, start, end).text


def describe(
    source_path: PathLike | Sequence[PathLike],
    start: float | None = None,
    end: float | None = None,
) -> Caption:
    """:func:`caption_for` with the sidecar it read, so a user can see which file spoke."""
    paths = _paths(source_path)
    home = sidecar_home(paths) or paths[0]
    timed = find_sidecar(home, TIMED_SUFFIXES)
    if timed is not None:
        overlapping = cues_between(read_timed_sidecar(timed), start, end)
        if overlapping:
            return Caption(_join(cue.text for cue in overlapping), timed)
    whole = find_sidecar(home, (WHOLE_FILE_SUFFIX,))
    if whole is not None:
        text = read_text_sidecar(whole)
        if text:
            return Caption(text, whole)
    return Caption(words_from_filename(paths[0]), None)


def sidecar_home(paths: Sequence[PathLike]) -> Path | None:
    """The first of ``paths`` with a sidecar of any kind beside it (``None`` if none has)."""
    for path in _paths(paths):
        if find_sidecar(path, (*TIMED_SUFFIXES, WHOLE_FILE_SUFFIX)) is not None:
            return path
    return None


def _paths(source_path: PathLike | Sequence[PathLike]) -> list[Path]:
    if isinstance(source_path, str | bytes | os.PathLike):
        source_path = [source_path]
    paths = [Path(os.fsdecode(path)) for path in source_path]
    if not paths:
        raise ValueError("a caption needs at least one path of the footage")
    return paths


def find_sidecar(path: Path, suffixes: tuple[str, ...]) -> Path | None:
    """The first existing ``<stem><suffix>`` or ``<name><suffix>`` beside ``path``."""
    for suffix in suffixes:
        for candidate in (path.with_name(path.stem + suffix), path.with_name(path.name + suffix)):
            if is_file(candidate):
                return candidate
    return None


def cues_between(
    cues: tuple[TimedCaption, ...], start: float | None, end: float | None
) -> list[TimedCaption]:
    """The cues that overlap ``start``..``end`` by more than an instant, in time order."""
    low = float("-inf") if start is None else start
    high = float("inf") if end is None else end
    if high < low:
        raise ValueError(f"caption span needs start <= end, got {start} and {end}")
    if high == low:  # a single instant: the cue that covers it
        return [cue for cue in cues if cue.start <= low < cue.end or cue.start == cue.end == low]
    return [cue for cue in cues if cue.start < high and cue.end > low]


def read_timed_sidecar(path: Path) -> tuple[TimedCaption, ...]:
    """Every cue of a ``.captions.json``, ``.srt`` or ``.vtt`` file, sorted by start time."""
    stat = path.stat()
    return _read_timed_cached(str(path), stat.st_mtime_ns, stat.st_size)


def srt_time(seconds: float) -> str:
    """``HH:MM:SS,mmm``, SubRip's time (read by :func:`read_timed_sidecar`, written here for
    the render's subtitles and the transcripts alike)."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def read_text_sidecar(path: Path) -> str:
    """The description of a ``.txt`` sidecar: its lines joined, blank lines dropped."""
    return " ".join(_read_text(path).split())


def words_from_filename(path: str | os.PathLike[str]) -> str:
    """``red-sneakers_closeup-01.mp4`` -> ``"red sneakers closeup"``; ``红色跑鞋_特写.mp4`` ->
    ``"红色跑鞋 特写"``; ``IMG_0042.MOV`` -> ``""``."""
    return words_from_name(Path(os.fsdecode(path)).stem)


def words_from_name(name: str) -> str:
    """The meaningful words of a name without its suffix (a file stem, a track title)."""
    # NFKC first: full-width letters and digits (common in CJK names) become plain ones.
    words = []
    for chunk in _SEPARATORS.split(unicodedata.normalize("NFKC", name)):
        for word in _CAMEL.split(chunk):
            if word and not _NOISE_WORD.match(word):
                words.append(word)
    return " ".join(words)


@functools.lru_cache(maxsize=256)
def _read_timed_cached(name: str, mtime_ns: int, size: int) -> tuple[TimedCaption, ...]:
    # Keyed by modification time and size: the pipeline asks once per clip, and many clips
    # share a file; an edited sidecar is read again.
    path = Path(name)
    text = _read_text(path)
    lowered = path.name.lower()
    if lowered.endswith(".json"):
        cues = _parse_json(path, text)
    elif lowered.endswith(".vtt"):
        cues = _parse_cue_blocks(path, text, webvtt=True)
    else:
        cues = _parse_cue_blocks(path, text, webvtt=False)
    return tuple(sorted(cues, key=lambda cue: (cue.start, cue.end)))


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InputError(
            f"{display_path(path)}: cannot read the caption file ({error.strerror})"
        ) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{display_path(path)}: caption file is not UTF-8 text (byte {error.start}); "
            "save it as UTF-8"
        ) from None


def _parse_json(path: Path, text: str) -> list[TimedCaption]:
    where = display_path(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{where}: not valid JSON ({error.msg}, line {error.lineno} column {error.colno})"
        ) from None
    if isinstance(data, dict):
        if "captions" not in data:
            raise InputError(
                f'{where}: expected a list of cues or an object with a "captions" list'
            )
        data = data["captions"]
    if not isinstance(data, list):
        raise InputError(f"{where}: expected a list of cues, got {type(data).__name__}")
    cues = []
    for number, entry in enumerate(data):
        label = f"{where}: cue {number}"
        if not isinstance(entry, dict):
            raise InputError(f"{label}: expected an object with start, end and text")
        unknown = sorted(set(entry) - {"start", "end", "text"})
        if unknown:
            raise InputError(
                f"{label}: unknown field(s) {', '.join(unknown)} (expected start, end, text)"
            )
        times = []
        for key in ("start", "end"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{label}: '{key}' must be a number of seconds, got {value!r}")
            times.append(float(value))
        text_value = entry.get("text")
        if not isinstance(text_value, str):
            raise InputError(f"{label}: 'text' must be a string, got {text_value!r}")
        cues.append(_cue(label, times[0], times[1], text_value))
    return cues


def _parse_cue_blocks(path: Path, text: str, webvtt: bool) -> list[TimedCaption]:
    """SubRip and WebVTT share a shape: blocks separated by blank lines, each with one
    ``start --> end`` line followed by the text (SRT puts a counter before it, WebVTT an
    optional identifier, and WebVTT allows cue settings after the end time)."""
    where = display_path(path)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if webvtt and not (lines and lines[0].strip().startswith("WEBVTT")):
        raise InputError(f"{where}: line 1: a WebVTT file must start with 'WEBVTT'")
    cues: list[TimedCaption] = []
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip():
            block.append((number, line.strip()))
            continue
        if block:
            cue = _cue_from_block(where, block, webvtt)
            if cue is not None:
                cues.append(cue)
            block = []
    if not cues:
        raise InputError(f"{where}: no captions found (expected 'start --> end' lines)")
    return cues


def _cue_from_block(where: str, block: list[tuple[int, str]], webvtt: bool) -> TimedCaption | None:
    if webvtt and block[0][0] == 1:
        return None  # the header block: WEBVTT and any metadata lines under it
    if webvtt and block[0][1].split(maxsplit=1)[0] in ("NOTE", "STYLE", "REGION"):
        return None
    timing = next((i for i, (_, line) in enumerate(block) if "-->" in line), None)
    if timing is None or timing > 1:
        raise InputError(
            f"{where}: line {block[0][0]}: expected a 'start --> end' line near {block[0][1]!r}"
        )
    number, line = block[timing]
    left, _, right = line.partition("-->")
    fields = right.split()
    if not fields:
        raise InputError(f"{where}: line {number}: no end time in {line!r}")
    start = _timestamp(where, number, left.strip())
    end = _timestamp(where, number, fields[0])
    text = " ".join(_MARKUP.sub("", text_line) for _, text_line in block[timing + 1 :])
    return _cue(f"{where}: line {number}", start, end, text)


def _timestamp(where: str, number: int, value: str) -> float:
    match = _TIMESTAMP.match(value)
    if match is None:
        raise InputError(
            f"{where}: line {number}: {value!r} is not a time like 00:01:02,500 or 01:02.500"
        )
    hours, minutes, seconds, fraction = match.groups()
    if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
        raise InputError(f"{where}: line {number}: {value!r} has minutes or seconds over 59")
    return (
        int(hours or 0) * 3600
        + int(minutes) * 60
        + int(seconds)
        + int(fraction) / 10 ** len(fraction)
    )


def _cue(label: str, start: float, end: float, text: str) -> TimedCaption:
    if not 0 <= start <= end:
        raise InputError(f"{label}: needs 0 <= start <= end, got start={start:g} end={end:g}")
    return TimedCaption(start=start, end=end, text=" ".join(text.split()))


def _join(texts: Iterable[str]) -> str:
    seen: list[str] = []
    for text in texts:
        if text and text not in seen:
            seen.append(text)
    return " ".join(seen)
