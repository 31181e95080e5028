"""Which writing system a text uses: voices, subtitle fonts and word counts depend on it."""

from __future__ import annotations

import re

# (first, last code point, language). Kana before Han, so Japanese is not taken for Chinese.
_SCRIPT_RANGES = (
    (0x3040, 0x30FF, "ja"),
    (0x31F0, 0x31FF, "ja"),
    (0xAC00, 0xD7AF, "ko"),
    (0x1100, 0x11FF, "ko"),
    (0x3400, 0x4DBF, "zh"),
    (0x4E00, 0x9FFF, "zh"),
    (0xF900, 0xFAFF, "zh"),
)


def cjk_language(char: str) -> str | None:
    """``"zh"``, ``"ja"`` or ``"ko"`` for a CJK character, else None."""
    code = ord(char)
    for first, last, language in _SCRIPT_RANGES:
        if first <= code <= last:
            return language
    return None


def is_cjk(char: str) -> bool:
    return cjk_language(char) is not None


def detect_language(text: str) -> str | None:
    """The CJK language most of ``text`` is written in, or None for other (e.g. Latin) text.

    A third or more of the non-space characters must be CJK. Any kana makes it Japanese
    (Japanese mixes kana with Han characters; Chinese never uses kana).
    """
    counts: dict[str, int] = {}
    for char in text:
        language = cjk_language(char)
        if language is not None:
            counts[language] = counts.get(language, 0) + 1
    letters = len("".join(text.split()))
    if not counts or sum(counts.values()) * 3 < letters:
        return None
    if "ja" in counts:
        return "ja"
    return max(counts, key=lambda language: counts[language])


# --- counting what a reader speaks -----------------------------------------------------------
# The paper's WCD compares word counts, but Chinese and Japanese are written without spaces,
# so "words" there are characters: one Han or kana character is one unit, as a narrator
# speaks one syllable per character. Space-separated scripts (Latin, Cyrillic, Korean Hangul,
# ...) count words. Mixed lines count both (``"iPhone 15 超轻薄"`` is 2 words + 3 characters =
# 5). Punctuation and emoji count nothing. Shared by the WCD metric, the SQ judge and the
# reading-time estimate of silent ads, so all three count alike.

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
    return len(units(text))


def units(text: str) -> list[str]:
    """The units :func:`count_units` counts (``auto``), lower-cased: each Chinese or Japanese
    character alone, and the words between them; punctuation dropped."""
    found: list[str] = []
    for match in _WORD.finditer(text):
        word = ""
        for char in match.group():
            if cjk_language(char) in CHARACTER_LANGUAGES:
                if word:
                    found.append(word)
                found.append(char)
                word = ""
            elif char.isalnum() or word:
                word += char.lower()
        if word:
            found.append(word)
    return found


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference units, over :func:`units`: the
    word error rate of English, the character error rate of Chinese, without case or
    punctuation (recognisers differ in both, the words are what is measured)."""
    wanted, heard = units(reference), units(hypothesis)
    if not wanted:
        raise ValueError("word error rate: the reference has no words")
    previous = list(range(len(heard) + 1))
    for row, unit in enumerate(wanted, start=1):
        current = [row]
        for column, other in enumerate(heard, start=1):
            current.append(min(previous[column] + 1, current[column - 1] + 1,
                               previous[column - 1] + (unit != other)))  # fmt: skip
        previous = current
    return previous[-1] / len(wanted)
