"""Text from a plan made safe for the files editors open: OTIO, EDL, FCPXML, a contact sheet.

Sentences and clip ids come from scripts and hand-edited plans, so they may hold newlines,
control characters, lone surrogates (JSON's ``"\\ud800"``) or hundreds of characters; each
writer needs them in a narrower shape, decided here once.
"""

from __future__ import annotations

import re
import unicodedata

#: Unicode categories that must not reach a one-line label: controls (newlines included),
#: format characters (bidi overrides), surrogates and line/paragraph separators.
_BREAKING = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD: OTIO's C++ core stores only
    valid UTF-8 and cuts a string at its first NUL, and Pillow cannot draw either."""
    return _UNSTORABLE.sub("\ufffd", text)


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` on one printable line, cut to ``limit`` characters with an ellipsis.

    EDL comments end at a newline and XML attributes may not hold control characters, so
    every breaking character becomes a space before runs of spaces are collapsed.
    """
    spaced = "".join(
        " " if unicodedata.category(char) in _BREAKING else char for char in clean_text(text)
    )
    line = " ".join(spaced.split())
    if limit is not None and len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def safe_name(text: str) -> str:
    """Letters, digits, ``_`` and ``-`` only, for clip names: EDL columns split on spaces and
    the FCPXML adapter looks names up in XPath expressions."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", text).strip("_") or "clip"
