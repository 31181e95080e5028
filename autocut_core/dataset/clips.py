"""Sentences -> the ad's clips.

A clip is the footage under one sentence (paper §4.1: "segmented into short clips according to
punctuation-aligned ASR timestamps"). The clips tile the ad without gaps: the boundary between
two sentences lies in the middle of the pause between them, and the first and last clip reach
into the silence before and after the speech by at most :data:`EDGE_PAD` seconds, so a long
silent intro or outro does not become part of a clip.

A clip's visual tokens are those of the 1 fps frames inside it, chosen by
:mod:`autocut_core.tokens.frames`, the rule the pipelines use at inference too.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from autocut_core.dataset.transcripts import Sentence
from autocut_core.errors import InputError

#: Seconds of leading or trailing silence the first and last clip may include.
EDGE_PAD = 1.0
#: Speech may run past the end of the video by this much (container rounding).
END_TOLERANCE = 0.5


@dataclass(frozen=True)
class ClipSpan:
    """The footage under one sentence: ``start``..``end`` seconds of the ad's video."""

    text: str
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def cut_at_sentences(
    sentences: Sequence[Sentence], duration: float, where: str = "<transcript>"
) -> list[ClipSpan]:
    """One clip per sentence, tiling ``0..duration`` between the first and last sentence."""
    if not sentences:
        return []
    last = sentences[-1].end
    if last > duration + END_TOLERANCE:
        raise InputError(
            f"{where}: speech runs to {last:g} s but the video lasts {duration:g} s "
            "(is it the transcript of another video?)"
        )
    boundaries = [max(0.0, sentences[0].start - EDGE_PAD)]
    for before, after in itertools.pairwise(sentences):
        boundaries.append((before.end + after.start) / 2)
    boundaries.append(min(duration, last + EDGE_PAD))
    spans = []
    for sentence, (left, right) in zip(sentences, itertools.pairwise(boundaries), strict=True):
        start, end = round(left, 3), round(right, 3)
        if end <= start:
            raise InputError(f"{where}: the sentence {sentence.text[:40]!r} has no duration")
        spans.append(ClipSpan(sentence.text, start, end))
    return spans
