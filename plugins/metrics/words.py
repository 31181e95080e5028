"""How long a script line is, counted the way a reader speaks it.

The paper's WCD compares word counts, but Chinese and Japanese are written without spaces,
so "words" there are characters: one Han or kana character is one unit, as a narrator
speaks one syllable per character. Space-separated scripts (Latin, Cyrillic, Korean Hangul,
...) count words. Mixed lines count both (``"iPhone 15 超轻薄"`` is 2 words + 3 characters =
5). Punctuation and emoji count nothing, so a trailing "!" never changes the score.
"""

from __future__ import annotations

import re

from autocut_core.text import cjk_language

#: Writing systems counted per character; Korean separates words with spaces and is not.
CHARACTER_LANGUAGES = frozenset({"zh", "ja"})
UNITS = ("auto", "words", "characters")

# A word: letters/digits, joined by inner apostrophes or hyphens ("don't", "Wi-Fi") and
# decimal points or thousands separators between digits ("3.5", "10,000").
_WORD = re.compile(r"[^\W_]+(?:(?:['’-][^\W_]+)|(?:(?<=\d)[.,](?=\d)\d+))*")


def count_units(text: str, unit: str = "auto") -> int:
    """Words, characters, or (``auto``) CJK characters plus the words between them."""
    if unit not in UNITS:
        raise ValueError(f"unknown count unit {unit!r}; choose one of {', '.join(UNITS)}")
    if unit == "words":
        return len(_WORD.findall(text))
    if unit == "characters":
        return sum(1 for match in _WORD.finditer(text) for char in match.group() if char.isalnum())
    total = 0
    for match in _WORD.finditer(text):
        in_word = False
        for char in match.group():
            if cjk_language(char) in CHARACTER_LANGUAGES:
                total += 1
                in_word = False
            elif char.isalnum() and not in_word:
                total += 1
                in_word = True
    return total
