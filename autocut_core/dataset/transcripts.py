"""An ad's transcript sidecar -> its sentences with their spoken times.

The sidecar is SubRip (``.srt``), WebVTT (``.vtt``) or JSON (``.json``: a list of
``{"start": s, "end": s, "text": "..."}`` cues, or ``{"captions": [...]}``), parsed strictly
by :func:`autocut_core.materials.captions.read_timed_sidecar`: a malformed file is an error naming the
file and the line (or cue), never a silently shorter transcript.

ASR cues rarely coincide with sentences: one cue may hold two sentences, one sentence may run
over three cues. The paper cuts clips at punctuation, so cues are first split at sentence
ends (a cue's time shared among its pieces by their length in characters) and the pieces are
then joined until one ends a sentence. A transcript that ends without punctuation ends its
last sentence there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autocut_core.errors import InputError
from autocut_core.inputs import _CJK_ENDS, _CLOSERS, _LATIN_ENDS, split_sentences
from autocut_core.materials.captions import TimedCaption, read_timed_sidecar
from autocut_core.media.errors import display_path
from autocut_core.text import is_cjk
from autocut_core.types import Transcript

#: Transcript sidecar suffixes, in the order they are looked for.
TRANSCRIPT_SUFFIXES: tuple[str, ...] = (".srt", ".vtt", ".json")
#: Cues may touch or overlap by this much (rounding in ASR output) before it is an error.
OVERLAP_TOLERANCE = 0.05


@dataclass(frozen=True)
class Sentence:
    """One spoken sentence and when it is spoken (seconds from the start of the ad)."""

    text: str
    start: float
    end: float


def load_sentences(path: Path) -> list[Sentence]:
    """The sentences of a transcript sidecar; :class:`InputError` naming the file if broken."""
    return sentences_from_cues(read_cues(path), display_path(path))


def read_cues(path: Path) -> tuple[TimedCaption, ...]:
    """The cues of a sidecar, checked: every cue with text lasts, and none overlaps the last."""
    path = Path(path)
    if path.suffix.lower() not in TRANSCRIPT_SUFFIXES:
        raise InputError(
            f"{display_path(path)}: transcripts must end in {', '.join(TRANSCRIPT_SUFFIXES)}"
        )
    cues = read_timed_sidecar(path)
    previous: TimedCaption | None = None
    for number, cue in enumerate(cues, start=1):
        if not cue.text:
            continue
        if cue.end <= cue.start:
            raise InputError(
                f"{display_path(path)}: cue {number} ({cue.text[:30]!r}) has no duration "
                f"(start = end = {cue.start:g} s)"
            )
        if previous is not None and cue.start < previous.end - OVERLAP_TOLERANCE:
            raise InputError(
                f"{display_path(path)}: cue {number} ({cue.text[:30]!r}) starts at "
                f"{cue.start:g} s, before the previous cue ends ({previous.end:g} s)"
            )
        previous = cue
    return cues


def sentences_from_cues(
    cues: Sequence[TimedCaption], where: str = "<transcript>"
) -> list[Sentence]:
    """Join and split cues into sentences at sentence-final punctuation (Latin and CJK)."""
    pieces: list[tuple[str, float, float]] = []
    for cue in cues:
        text = " ".join(cue.text.split())
        if not text:
            continue
        parts = split_sentences(text)
        weights = [max(1, len("".join(part.split()))) for part in parts]
        total, start = sum(weights), cue.start
        for part, weight in zip(parts, weights, strict=True):
            end = start + (cue.end - cue.start) * weight / total
            pieces.append((part, start, end))
            start = end
    sentences: list[Sentence] = []
    text, start = "", 0.0
    for number, (part, piece_start, piece_end) in enumerate(pieces):
        if not text:
            start = piece_start
        text = _join(text, part)
        if ends_sentence(part) or number == len(pieces) - 1:
            sentences.append(Sentence(text, round(start, 3), round(piece_end, 3)))
            text = ""
    return sentences


#: How an ad's sentences got their times, as the build summary names them.
WORD_TIMES = "word times"
CHARACTER_TIMES = "segment times shared by characters"


def sentences_from_transcript(transcript: Transcript) -> tuple[list[Sentence], str]:
    """A transcriber's transcript -> sentences, and how they were timed.

    With word times a sentence runs from its first word's start to its last word's end, and
    ends at a word with sentence-final punctuation; a transcript without any such punctuation
    (Whisper often writes Chinese so) ends one at each segment instead. Without word times,
    the segments are cut as a sidecar's cues are, their times shared by characters: the
    paper's timing, the fallback.
    """
    cues = [TimedCaption(s.start, s.end, s.text) for s in transcript.segments if s.text.strip()]
    if not all(segment.words for segment in transcript.segments if segment.text.strip()):
        return sentences_from_cues(cues), CHARACTER_TIMES
    punctuated = any(ends_sentence(word.text) for word in transcript.words)
    sentences: list[Sentence] = []
    pending: list[tuple[str, float, float]] = []
    for segment in transcript.segments:
        for word in segment.words:
            if word.text.strip():
                pending.append((word.text, word.start, word.end))
            if pending and punctuated and ends_sentence(word.text):
                sentences.append(_sentence(pending))
                pending = []
        if pending and not punctuated:
            sentences.append(_sentence(pending))
            pending = []
    if pending:  # the last sentence ends with the speech, punctuated or not
        sentences.append(_sentence(pending))
    return sentences, WORD_TIMES


def _sentence(words: Sequence[tuple[str, float, float]]) -> Sentence:
    """One sentence of timed words: Whisper's words carry their leading space (none in
    Chinese), so they are joined as written."""
    text = " ".join("".join(word for word, _, _ in words).split())
    return Sentence(text, round(words[0][1], 3), round(words[-1][2], 3))


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends with sentence-final punctuation (closing quotes allowed after)."""
    stripped = text.rstrip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _CJK_ENDS + _LATIN_ENDS


def _join(left: str, right: str) -> str:
    """Two pieces of one sentence: a space between Latin words, none next to CJK text."""
    if not left:
        return right
    if is_cjk(left[-1]) or is_cjk(right[0]) or left[-1] in _CJK_ENDS + "，、":
        return left + right
    return f"{left} {right}"
