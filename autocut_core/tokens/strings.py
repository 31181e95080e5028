"""Token strings for discrete codes: ``<v_{head}_{code}>``, ``<a_{head}_{code}>`` and markers.

The spelling follows the public reference implementation (DESIGN.md §4), so a language model
trained elsewhere reads our prompts and we read its output. A vector of ``heads`` codes is
written as ``heads`` tokens in head order with nothing between them; frames are wrapped in
``<|frame_start|> ... <|frame_end|>`` and an audio track in ``<|audio_start|> ... <|audio_end|>``.

:func:`parse_codes` is strict: a language model's output is checked token by token, and the
first problem is reported with its character offset, the offending token and an excerpt with a
caret under it, instead of being skipped or guessed at.

No torch here, and numpy is imported only inside the functions that need it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from autocut_core.errors import InputError

if TYPE_CHECKING:
    import numpy as np

#: The structural markers of the reference vocabulary, in its order.
MARKERS: tuple[str, ...] = (
    "<|ad_start|>",
    "<|ad_end|>",
    "<|clip_start|>",
    "<|clip_end|>",
    "<|video_start|>",
    "<|video_end|>",
    "<|frame_start|>",
    "<|frame_end|>",
    "<|audio_start|>",
    "<|audio_end|>",
    "<|text_start|>",
    "<|text_end|>",
)
#: Token prefixes: ``v`` video (frames, clips), ``a`` audio (music tracks).
PREFIXES: tuple[str, ...] = ("v", "a")
_PREFIX_NAMES = {"v": "video", "a": "audio"}
_MARKER_SET = frozenset(MARKERS)

# A well-formed code token: canonical decimal numbers (no sign, no leading zeros).
_TOKEN = re.compile(r"<([va])_(0|[1-9][0-9]*)_(0|[1-9][0-9]*)>")
_NUMBER = re.compile(r"0|[1-9][0-9]*")
_EXCERPT = 30  # characters shown either side of a problem
_LONGEST = 40  # longest offending text quoted in full


class TokenParseError(InputError):
    """Token text that is not a well-formed sequence of code tokens and markers.

    ``offset`` is the character offset of the problem in the parsed text, ``token`` the text
    found there and ``reason`` the problem without the location.
    """

    def __init__(self, text: str, offset: int, token: str, reason: str):
        self.offset = offset
        self.token = token
        self.reason = reason
        super().__init__(_located(text, offset, token, reason))


def _located(text: str, offset: int, token: str, reason: str) -> str:
    if len(token) > _LONGEST:
        token = token[:_LONGEST] + "..."
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    where = f"at offset {offset}" + (f" (line {line}, column {column})" if "\n" in text else "")
    start = max(0, offset - _EXCERPT)
    end = min(len(text), offset + max(min(len(token), _LONGEST), 1) + _EXCERPT)
    before = ("..." if start > 0 else "") + text[start:offset]
    shown = before + text[offset:end] + ("..." if end < len(text) else "")
    # One character per column, so the caret lines up: control characters become spaces.
    shown = "".join(c if c.isprintable() else " " for c in shown)
    caret = " " * len(before) + "^" * max(1, min(len(token), end - offset))
    found = f": {token!r}" if token else ""
    return f"{reason} {where}{found}\n  {shown}\n  {caret}"


def _check_prefix(prefix: str) -> str:
    if prefix not in PREFIXES:
        raise ValueError(f"token prefix must be one of {', '.join(PREFIXES)}, not {prefix!r}")
    return prefix


def token(prefix: str, head: int, code: int) -> str:
    """One code token: ``token("v", 3, 17) == "<v_3_17>"``."""
    _check_prefix(prefix)
    head, code = int(head), int(code)
    if head < 0 or code < 0:
        raise ValueError(f"head and code must be non-negative, got head {head}, code {code}")
    return f"<{prefix}_{head}_{code}>"


def _as_codes(codes: Any, ndim: tuple[int, ...]) -> np.ndarray:
    import numpy as np

    array = np.asarray(codes)
    if array.ndim not in ndim:
        shapes = " or ".join({1: "[heads]", 2: "[n, heads]"}[n] for n in ndim)
        raise ValueError(f"codes must have shape {shapes}, got {array.shape}")
    whole = np.issubdtype(array.dtype, np.integer) or (
        np.issubdtype(array.dtype, np.floating) and bool(np.all(array == np.round(array)))
    )
    if array.size and not whole:
        raise ValueError(f"codes must be integers, got dtype {array.dtype}")
    array = array.astype(np.int64)
    if array.size and array.min() < 0:
        raise ValueError(f"codes must be non-negative, got {int(array.min())}")
    return array


def format_codes(codes: Any, prefix: str) -> str:
    """``[heads]`` codes (one vector) or ``[n, heads]`` as tokens in head order, no separators."""
    _check_prefix(prefix)
    array = _as_codes(codes, (1, 2))
    rows = array[None] if array.ndim == 1 else array
    return "".join(
        f"<{prefix}_{head}_{code}>" for row in rows.tolist() for head, code in enumerate(row)
    )


def format_frames(codes: Any, prefix: str = "v") -> str:
    """``[n, heads]`` codes, each vector wrapped in ``<|frame_start|> ... <|frame_end|>``."""
    _check_prefix(prefix)
    array = _as_codes(codes, (2,))
    return "".join(f"<|frame_start|>{format_codes(row, prefix)}<|frame_end|>" for row in array)


def format_audio(codes: Any) -> str:
    """One track's ``[heads]`` codes (or ``[1, heads]``) as ``<|audio_start|><a_0_..>...<|audio_end|>``."""
    array = _as_codes(codes, (1, 2))
    if array.ndim == 2:
        if array.shape[0] != 1:
            raise ValueError(f"format_audio takes one track's codes, got {array.shape[0]} rows")
        array = array[0]
    return f"<|audio_start|>{format_codes(array, 'a')}<|audio_end|>"


def iter_tokens(prefix: str, heads: int, codebook_size: int) -> Iterator[str]:
    """Every code token ``<p_h_c>`` (head-major), then the markers: the vocabulary extension."""
    _check_prefix(prefix)
    for head in range(heads):
        for code in range(codebook_size):
            yield f"<{prefix}_{head}_{code}>"
    yield from MARKERS


def token_strings(prefix: str, heads: int, codebook_size: int) -> list[str]:
    """:func:`iter_tokens` as a list: ``heads * codebook_size + len(MARKERS)`` strings."""
    return list(iter_tokens(prefix, heads, codebook_size))


def _extent(text: str, start: int) -> tuple[int, str]:
    """End of the bracketed token starting at ``start``, and what ends it if not ``>``."""
    for index in range(start + 1, len(text)):
        char = text[index]
        if char == ">":
            return index + 1, ""
        if char == "<":
            return index, "the next '<'"
        if char.isspace():
            return index, "whitespace"
    return len(text), "the end of the text"


def _diagnose(candidate: str, prefix: str, heads: int, codebook_size: int) -> str:
    """Why a closed ``<...>`` that is not a well-formed code token was refused."""
    expected = f"<{prefix}_HEAD_CODE>"
    parts = candidate[1:-1].split("_")
    if len(parts) != 3:
        return f"malformed token (expected {expected})"
    found_prefix, head, code = parts
    if found_prefix in PREFIXES and found_prefix != prefix:
        return (
            f"{_PREFIX_NAMES[found_prefix]} token where {_PREFIX_NAMES[prefix]} tokens "
            f"({expected}) are expected"
        )
    if found_prefix != prefix:
        return f"malformed token: unknown prefix {found_prefix!r} (expected {expected})"
    for what, value, limit in (("head", head, heads), ("code", code, codebook_size)):
        if not value:
            return f"malformed token: empty {what} (expected {expected})"
        if value.startswith("-") and _NUMBER.fullmatch(value[1:]):
            return f"negative {what} {value} (allowed 0..{limit - 1})"
        if not _NUMBER.fullmatch(value):
            return f"malformed token: {what} {value!r} is not a plain decimal number (expected {expected})"
    return f"malformed token (expected {expected})"  # pragma: no cover - the regex would match


def parse_codes(text: str, prefix: str, heads: int, codebook_size: int) -> np.ndarray:
    """Codes ``[n, heads]`` (int64) from token text; :class:`TokenParseError` on any problem.

    Accepted: code tokens ``<{prefix}_{head}_{code}>`` with heads in order ``0..heads-1``,
    repeating, and codes ``0..codebook_size-1``; the markers of :data:`MARKERS` between
    vectors (skipped); whitespace between tokens. Refused, with the position: any other text,
    malformed or unclosed tokens, the other modality's prefix, a head out of order or range, a
    code out of range, a marker inside a vector, an incomplete last vector and input without a
    single code token.
    """
    import numpy as np

    _check_prefix(prefix)
    if heads < 1 or codebook_size < 1:
        raise ValueError(f"heads and codebook_size must be >= 1, got {heads}, {codebook_size}")
    if not isinstance(text, str):
        raise TypeError(f"parse_codes takes a str, not {type(text).__name__}")
    codes: list[int] = []
    group_start = 0  # offset of the first token of the vector being read
    position, length = 0, len(text)
    while position < length:
        char = text[position]
        if char.isspace():
            position += 1
            continue
        if char != "<":
            end = position
            while end < length and text[end] != "<" and not text[end].isspace():
                end += 1
            raise TokenParseError(
                text, position, text[position:end], "unexpected text between tokens"
            )
        match = _TOKEN.match(text, position)
        if match is not None and match.group(1) == prefix:
            head, code = int(match.group(2)), int(match.group(3))
            expected = len(codes) % heads
            if head != expected:
                reason = (
                    f"head {head} out of range (this tokenizer has heads 0..{heads - 1})"
                    if head >= heads
                    else f"head {head} out of order: expected head {expected}"
                )
                raise TokenParseError(text, position, match.group(0), reason)
            if code >= codebook_size:
                raise TokenParseError(
                    text,
                    position,
                    match.group(0),
                    f"code {code} out of range (codebook has codes 0..{codebook_size - 1})",
                )
            if expected == 0:
                group_start = position
            codes.append(code)
            position = match.end()
            continue
        end, cut_by = _extent(text, position)
        candidate = text[position:end]
        if cut_by:
            raise TokenParseError(
                text, position, candidate, f"unclosed token: no '>' before {cut_by}"
            )
        if candidate in _MARKER_SET:
            if len(codes) % heads:
                raise TokenParseError(
                    text,
                    position,
                    candidate,
                    f"marker inside a vector: only {len(codes) % heads} of {heads} heads since "
                    f"offset {group_start}",
                )
            position = end
            continue
        if candidate.startswith("<|"):
            raise TokenParseError(
                text, position, candidate, f"unknown marker (known: {' '.join(MARKERS)})"
            )
        raise TokenParseError(
            text, position, candidate, _diagnose(candidate, prefix, heads, codebook_size)
        )
    if not codes:
        raise TokenParseError(
            text,
            0,
            text[:_EXCERPT],
            f"no <{prefix}_HEAD_CODE> tokens in the input ({'empty' if not text.strip() else 'only markers'})",
        )
    if len(codes) % heads:
        raise TokenParseError(
            text,
            group_start,
            text[group_start:].rstrip(),
            f"incomplete last vector: {len(codes) % heads} of {heads} heads",
        )
    return np.asarray(codes, dtype=np.int64).reshape(-1, heads)
