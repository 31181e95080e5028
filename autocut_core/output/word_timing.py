"""Subtitles timed from the voice-over's own words: the script aligned to what was heard.

A transcriber times the words of each voice line (``Slot.voice_words``), but its words are
not always the script's (a TTS voice misheard, a number read out). The script's units
(:func:`autocut_core.text.units`: words, or Chinese characters) are aligned to the heard
units by edit distance (a forced alignment through the recogniser's word times): a unit
matched or substituted takes its heard unit's time, a unit the recogniser dropped is placed
between its neighbours. A sentence longer than one cue is then split into near-equal pieces
at token boundaries (after punctuation where one lies near), each piece shown from the moment
its first word is spoken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from autocut_core.text import is_cjk, units
from autocut_core.types import Word

#: Units in one cue before a sentence is split: words, or Chinese/Japanese characters.
MAX_CUE_WORDS = 10
MAX_CUE_CHARACTERS = 16
#: Punctuation a piece may end at (a break there reads naturally).
_BREAKS = ",;:，、；：。.!?！？"


@dataclass(frozen=True)
class TimedToken:
    """One token of the script (a word with its punctuation, or one CJK character) and when
    it starts being spoken, seconds into the voice line."""

    text: str
    start: float


def tokens_of(sentence: str) -> list[str]:
    """The script's tokens: words with their punctuation; each CJK character alone, its
    trailing punctuation attached."""
    tokens: list[str] = []
    for word in sentence.split():
        current = ""
        for char in word:
            if is_cjk(char):
                if current:
                    tokens.append(current)
                current = char
            elif current and is_cjk(current[0]) and units(char):
                tokens.append(current)
                current = char
            else:
                current += char
        if current:
            tokens.append(current)
    merged: list[str] = []
    for token in tokens:  # punctuation alone joins the token before it
        if merged and not units(token):
            merged[-1] += token
        else:
            merged.append(token)
    return merged


def align(sentence: str, words: Sequence[Word]) -> list[TimedToken]:
    """Each script token of ``sentence`` with its start time from the heard ``words``."""
    tokens = tokens_of(sentence)
    script = [(index, unit) for index, token in enumerate(tokens) for unit in units(token)]
    heard: list[tuple[str, float]] = []
    for word in words:
        pieces = units(word.text)
        for number, unit in enumerate(pieces):  # a word's units share its time evenly
            heard.append((unit, word.start + (word.end - word.start) * number / len(pieces)))
    times = _matched_times([u for _, u in script], heard)
    starts: dict[int, float] = {}
    for (index, _), time in zip(script, times, strict=True):
        starts.setdefault(index, time)
    return [TimedToken(token, starts.get(index, 0.0)) for index, token in enumerate(tokens)]


def _matched_times(script: list[str], heard: list[tuple[str, float]]) -> list[float]:
    """A time per script unit: its heard unit's through the cheapest edit alignment, the
    dropped ones interpolated between the neighbours that have one."""
    rows, columns = len(script), len(heard)
    cost = [[0] * (columns + 1) for _ in range(rows + 1)]
    for i in range(rows + 1):
        cost[i][0] = i
    for j in range(columns + 1):
        cost[0][j] = j
    for i in range(1, rows + 1):
        for j in range(1, columns + 1):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1,
                             cost[i - 1][j - 1] + (script[i - 1] != heard[j - 1][0]))  # fmt: skip
    found: list[float | None] = [None] * rows
    i, j = rows, columns
    while i > 0 and j > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (script[i - 1] != heard[j - 1][0]):
            found[i - 1] = heard[j - 1][1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    known = [(index, time) for index, time in enumerate(found) if time is not None]
    if not known:
        return [0.0] * rows
    result = []
    for index, time in enumerate(found):
        if time is not None:
            result.append(time)
            continue
        before = [t for k, t in known if k < index]
        after = [t for k, t in known if k > index]
        result.append(before[-1] if before else after[0])
    return [max(result[: k + 1]) for k in range(rows)]  # never earlier than a unit before


def split_points(tokens: Sequence[TimedToken]) -> list[int]:
    """Where a sentence of ``tokens`` is cut into cues (token indices a piece starts at)."""
    count = sum(len(units(token.text)) for token in tokens)
    cjk = any(is_cjk(char) for token in tokens for char in token.text)
    limit = MAX_CUE_CHARACTERS if cjk else MAX_CUE_WORDS
    pieces = math.ceil(count / limit) if count else 1
    if pieces <= 1 or len(tokens) < 2:
        return []
    points: list[int] = []
    for piece in range(1, pieces):
        target = round(len(tokens) * piece / pieces)
        near = [k for k in range(max(1, target - 2), min(len(tokens) - 1, target + 2) + 1)
                if tokens[k - 1].text[-1] in _BREAKS]  # fmt: skip
        point = min(near, key=lambda k: abs(k - target)) if near else target
        if (not points or point > points[-1]) and 0 < point < len(tokens):
            points.append(point)
    return points
