"""Loading the user's own files: product facts (TOML/JSON) and scripts (plain text).

Every error names the file and, where there is one, the field and what was expected, because
the person reading it is editing that file right now.
"""

from __future__ import annotations

import codecs
import tomllib
from pathlib import Path
from typing import Any

from autocut_core.errors import InputError
from autocut_core.serde import from_data, parse_json
from autocut_core.text import detect_language
from autocut_core.types import Product, Script

# Sentence ends. CJK ends cut unconditionally (no space follows them); Latin ends need a space
# or the end of the text after them, so "3.5 kg" and "example.com" stay whole.
_CJK_ENDS = "。！？；…"
_LATIN_ENDS = ".!?;"
_CLOSERS = "\"'”’)]）」』》"
_ABBREVIATIONS = {"e.g", "i.e", "mr", "mrs", "ms", "dr", "vs", "etc", "no", "st", "approx"}


def read_text(path: Path, what: str) -> str:
    """Read a UTF-8 text file (a BOM is tolerated), or UTF-16 with its BOM, or raise an error
    naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: {what} file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: expected a {what} file, found a directory") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read {what} file ({error.strerror})") from None
    # Windows editors save "Unicode" as UTF-16 with a byte-order mark, which says so
    # unambiguously; anything else must be UTF-8 (with or without its BOM).
    encoding = "utf-16" if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else "utf-8-sig"
    if encoding != "utf-16" and data.count(0) * 4 >= len(data) > 0:
        # Latin text in UTF-16 is every other byte NUL, which is valid UTF-8 all the same.
        raise InputError(
            f"{path}: {what} file looks like UTF-16 text without a byte-order mark "
            f"({data.count(0)} of its {len(data)} bytes are NUL); save it as UTF-8"
        )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        kind = "UTF-16 with a byte-order mark" if encoding == "utf-16" else "UTF-8"
        raise InputError(
            f"{path}: {what} file is not {kind} text (invalid byte at offset "
            f"{error.start}); save it as UTF-8"
        ) from None


def load_product(path: Path) -> Product:
    """Load product facts from a ``.toml`` or ``.json`` file.

    The fields may sit at the top level or under a ``[product]`` table. ``selling_points`` is a
    list of strings; a single string is accepted as one selling point.
    """
    path = Path(path)
    text = read_text(path, "product")
    data = _parse_mapping(path, text)
    if set(data) == {"product"} and isinstance(data["product"], dict):
        data = data["product"]
    points = data.get("selling_points")
    if isinstance(points, str):
        data = {**data, "selling_points": [points]}
    product = from_data(Product, data, str(path))
    if not product.name.strip():
        raise InputError(f"{path}: field 'name': expected a non-empty product name")
    return product


def _parse_mapping(path: Path, text: str) -> dict[str, Any]:
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            data: Any = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"{path}: not valid TOML ({error})") from None
    elif suffix == ".json":
        data = parse_json(text, str(path))
    else:
        raise InputError(f"{path}: product files must end in .toml or .json, not '{suffix}'")
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a table of product fields, got {type(data).__name__}")
    return data


def load_script(path: Path) -> Script:
    """Load a script: one sentence per line, or a single paragraph split at sentence ends."""
    path = Path(path)
    sentences = parse_script_text(read_text(path, "script"))
    if not sentences:
        raise InputError(f"{path}: the script has no sentences (the file is empty or blank)")
    if not any(char.isalnum() for sentence in sentences for char in sentence):
        # Nothing to voice and nothing to match footage to: an ad of "..." is no ad.
        raise InputError(f"{path}: the script has no words (only punctuation or symbols)")
    return Script(sentences=tuple(sentences), language=detect_language(" ".join(sentences)))


def parse_script_text(text: str) -> list[str]:
    """Sentences of a script text.

    Several non-empty lines mean one sentence per line (the layout editors write); a single
    line or paragraph is split at sentence punctuation, for Latin and CJK text alike.
    """
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if len(lines) > 1:
        return lines
    return split_sentences(lines[0]) if lines else []


def split_sentences(paragraph: str) -> list[str]:
    """Split one paragraph at sentence ends, keeping the punctuation with its sentence."""
    sentences: list[str] = []
    start = 0
    index = 0
    length = len(paragraph)
    while index < length:
        char = paragraph[index]
        if char in _CJK_ENDS or char in _LATIN_ENDS:
            end = index + 1
            while end < length and (paragraph[end] in _CJK_ENDS + _LATIN_ENDS + _CLOSERS):
                end += 1
            cjk = any(c in _CJK_ENDS for c in paragraph[index:end])
            at_break = end >= length or paragraph[end].isspace()
            if cjk or (at_break and not _ends_with_abbreviation(paragraph[start:index], char)):
                sentence = paragraph[start:end].strip()
                if sentence:
                    sentences.append(sentence)
                start = end
            index = end
        else:
            index += 1
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _ends_with_abbreviation(before: str, terminator: str) -> bool:
    if terminator != ".":
        return False
    words = before.split()
    return bool(words) and words[-1].lower().rstrip(".") in _ABBREVIATIONS
