"""Which writing system a text uses: voices, subtitle fonts and word counts depend on it."""

from __future__ import annotations

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
