"""Strict readers for a general model's answers, with only unambiguous repairs.

A general chat model often wraps a right answer in a way the trained format does not allow:
a ```` ```json ```` fence, a sentence before the list, blank lines between script lines,
``1.`` numbers in front of them. Each reader undoes exactly those wrappings when there is only
one way to read the result, records what it undid in ``Reading.repairs``, and raises
:class:`AnswerError` for everything else: two candidate lists, an index out of range, too few
lines. The error says what was expected, what came and where, so it can be shown to a user or
sent back to the model once (the backbone's ``reask`` option).

Index lists are read as a bracketed list (``[8, 6, 4]``, also inside a JSON object such as
``{"order": [8, 6, 4]}``) or, as the paper's prompts ask, as the bare answer ``8,6,4,5,1,2,3,7``
(nothing but indices and commas), in the numbering the prompt showed (``base`` 0 or 1), and
returned 0-based. An index out of range or given twice makes the answer malformed: it is an
error (the evaluation counts it as such), never guessed at. One more repair is safe for ``sort``: a list that is a complete permutation in the
*other* numbering (``[3, 1, 2]`` when 0..2 were shown) can only mean that numbering.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from autocut_core.editing.prompts import AnswerParseError, parse_answer
from autocut_core.errors import AutocutError
from autocut_core.llm.chat import TokenLogprob

_FENCE = re.compile(r"```[\w+-]*[ \t]*\n?(.*?)```", re.DOTALL)
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_INTEGER_LIST = re.compile(r"\s*\d+(?:\s*,\s*\d+)*\s*,?\s*")
#: A whole answer that is only indices and commas (ASCII or full-width), as the paper's
#: prompts ask: ``8,6,4,5,1,2,3,7``; a final full stop is allowed.
_BARE_LIST = re.compile(r"\s*(\d+(?:\s*[,，]\s*\d+)*)\s*[.。]?\s*")
_INTEGER = re.compile(r"(?<![\w.\-])\d+(?!\w|\.\d)")
_LINE_NUMBER = re.compile(r"(\d+)\s*(?:[.)、:：]|\s-)\s*")
_BULLET = re.compile(r"[-*•]\s+")


class AnswerError(AutocutError):
    """An answer that cannot be read without guessing."""

    def __init__(self, task: str, text: str, reason: str, expected: str, offset: int | None = None):
        self.task = task
        self.text = text
        self.reason = reason
        self.expected = expected
        self.offset = offset
        where = f" at character {offset}" if offset is not None else ""
        excerpt = text if len(text) <= 160 else text[:160] + "..."
        super().__init__(f"{task} answer: {reason}{where}; expected {expected}; got {excerpt!r}")


ValueT = TypeVar("ValueT", list[int], list[str], int)


@dataclass(frozen=True)
class Reading(Generic[ValueT]):
    """A read answer: 0-based indices, script lines, or one 0-based track index (generic in
    which, so each task's caller gets its value typed)."""

    value: ValueT
    #: What was undone to read it, in words (empty for an answer in the exact format).
    repairs: tuple[str, ...] = ()
    #: Where each index stood in the raw answer (for per-index probabilities).
    spans: tuple[tuple[int, int], ...] = ()


def read_indices(
    task: str, text: str, *, size: int, base: int, expected: str, count: int | None = None
) -> Reading[list[int]]:
    """A ``select`` (``count`` distinct indices) or ``sort`` (a permutation) answer."""
    body, start, repairs = _unfence(text)
    groups = list(_BRACKETS.finditer(body))
    bare = _BARE_LIST.fullmatch(body)
    if bare and not groups:  # the paper's own spelling: 8,6,4,5,1,2,3,7
        inner, inner_start = bare.group(1).replace("，", ","), start + bare.start(1)
    else:
        if not groups:
            raise AnswerError(task, text, "no list [...] found", expected)
        numeric = [g for g in groups if _INTEGER_LIST.fullmatch(g.group(1))]
        if len(numeric) > 1:
            lists = ", ".join(g.group(0) for g in numeric)
            raise AnswerError(
                task, text, f"{len(numeric)} lists found ({lists}), one wanted", expected
            )
        chosen = numeric[0] if numeric else groups[0]
        if len(groups) > 1 and not numeric:
            raise AnswerError(
                task, text, f"{len(groups)} lists found, none only of indices", expected
            )
        outside = (body[: chosen.start()] + body[chosen.end() :]).strip()
        if outside and numeric:
            repairs.append(f"ignored the text around the list ({_short(outside)!r})")
        inner, inner_start = chosen.group(1), start + chosen.start(1)
    values, spans = _items(task, text, inner, inner_start, expected)
    top = base + size - 1
    if (
        task == "sort"
        and _permutation(values, 1 - base, size)
        and not _permutation(values, base, size)
    ):
        base, top = 1 - base, size - base
        repairs.append(f"read as numbered from {base} (a permutation of {base}..{top})")
    seen: set[int] = set()
    for value, (offset, _) in zip(values, spans, strict=True):
        if not base <= value <= top:
            raise AnswerError(
                task, text, f"index {value} is out of range {base}..{top}", expected, offset
            )
        if value in seen:
            raise AnswerError(task, text, f"index {value} appears twice", expected, offset)
        seen.add(value)
    if task == "select" and count is not None and len(values) != count:
        raise AnswerError(task, text, f"{len(values)} indices given, {count} wanted", expected)
    if task == "sort" and len(values) != size:
        raise AnswerError(task, text, f"{len(values)} of the {size} clips ordered", expected)
    zero_based = [value - base for value in values]
    if task == "select":
        ranked = sorted(zip(zero_based, spans, strict=True))
        zero_based, spans = [v for v, _ in ranked], [s for _, s in ranked]
    return Reading(zero_based, tuple(repairs), tuple(spans))


def read_lines(text: str, *, lines: int, expected: str) -> Reading[list[str]]:
    """A ``script`` answer: exactly ``lines`` non-empty lines."""
    body, _, repairs = _unfence(text)
    rows = body.replace("\r\n", "\n").strip().split("\n")
    if any(not row.strip() for row in rows) and len([r for r in rows if r.strip()]) == lines:
        rows = [row for row in rows if row.strip()]
        repairs.append("dropped blank lines between the lines")
    numbers = [_LINE_NUMBER.match(row.strip()) for row in rows]
    if all(numbers) and [int(m.group(1)) for m in numbers if m] in (
        list(range(1, len(rows) + 1)),
        list(range(len(rows))),
    ):
        rows = [row.strip()[m.end() :] for row, m in zip(rows, numbers, strict=True) if m]
        repairs.append("removed the line numbers")
    elif len(rows) > 1 and all(_BULLET.match(row.strip()) for row in rows):
        rows = [_BULLET.sub("", row.strip(), count=1) for row in rows]
        repairs.append("removed the list bullets")
    try:
        value = parse_answer("script", "\n".join(rows), lines=lines)
    except AnswerParseError as error:
        raise AnswerError("script", text, error.reason, expected) from None
    return Reading(value, tuple(repairs))


def read_track(text: str, *, size: int, base: int, expected: str) -> Reading[int]:
    """A ``music`` answer: one track number, returned 0-based."""
    body, start, repairs = _unfence(text)
    stripped = body.strip()
    single = re.fullmatch(r"\[\s*(\d+)\s*\]", stripped)
    if single:
        repairs.append("read the one-element list")
    numbers = list(_INTEGER.finditer(body))
    if not numbers:
        raise AnswerError("music", text, "no track number found", expected)
    if len(numbers) > 1:
        found = ", ".join(m.group(0) for m in numbers[:6])
        raise AnswerError(
            "music", text, f"{len(numbers)} numbers found ({found}), one wanted", expected
        )
    number = numbers[0]
    if not single and stripped != number.group(0):
        repairs.append(f"ignored the text around the number ({_short(stripped)!r})")
    value = int(number.group(0))
    offset = start + number.start()
    if not base <= value < base + size:
        raise AnswerError(
            "music",
            text,
            f"track {value} is out of range {base}..{base + size - 1}",
            expected,
            offset,
        )
    return Reading(value - base, tuple(repairs), ((offset, start + number.end()),))


def span_probabilities(
    text: str, logprobs: Sequence[TokenLogprob], spans: Sequence[tuple[int, int]]
) -> tuple[float, ...]:
    """The probability the model gave each span (product over the tokens it overlaps).

    Empty when the server sent no log-probabilities or its tokens do not spell ``text``
    (then positions cannot be matched and no score is better than a wrong one).
    """
    if not logprobs or not spans or "".join(t.token for t in logprobs) != text:
        return ()
    bounds = []
    position = 0
    for token in logprobs:
        bounds.append((position, position + len(token.token), token.logprob))
        position += len(token.token)
    result = []
    for begin, end in spans:
        total = sum(lp for lo, hi, lp in bounds if lo < end and hi > begin)
        result.append(math.exp(total))
    return tuple(result)


def _unfence(text: str) -> tuple[str, int, list[str]]:
    """The inside of the one code fence, with its offset; the text itself when not one fence."""
    fences = list(_FENCE.finditer(text))
    if len(fences) == 1:
        return fences[0].group(1), fences[0].start(1), ["took the answer out of its code fence"]
    return text, 0, []


def _items(
    task: str, text: str, inner: str, start: int, expected: str
) -> tuple[list[int], list[tuple[int, int]]]:
    if not inner.strip():
        raise AnswerError(task, text, "the list is empty", expected, start)
    values, spans = [], []
    position = 0
    pieces = inner.split(",")
    if len(pieces) > 1 and not pieces[-1].strip():
        pieces = pieces[:-1]  # a trailing comma, as in [1, 2,]
    for piece in pieces:
        offset = start + position + (len(piece) - len(piece.lstrip()))
        position += len(piece) + 1
        item = piece.strip()
        if not item.isdigit() or not item.isascii():
            what = "an empty item" if not item else f"{item!r} is not an index"
            raise AnswerError(task, text, what, expected, offset)
        values.append(int(item))
        spans.append((offset, offset + len(item)))
    return values, spans


def _permutation(values: list[int], first: int, size: int) -> bool:
    return sorted(values) == list(range(first, first + size))


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."
