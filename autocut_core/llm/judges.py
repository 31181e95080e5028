"""The paper's two LLM-judged metrics (§4.2, §7.3): Visual-Script Correlation and Script Quality.

- **VSC**: a vision model sees one frame and the script line spoken over it and answers 0
  (mismatch), 1 (partial relevance) or 2 (strong alignment). :meth:`Judge.vsc` returns that
  integer; the metric is its mean over an ad's lines.
- **SQ**: a model reads the product facts, the human reference script, the generated script
  and a pre-computed line-level length statistic, and answers a JSON object with three
  category scores: basic quality (/30), expression and communication (/40), length and rhythm
  (/30), their total (/100) and a short justification. :meth:`Judge.sq` returns an
  :class:`SQResult`.

The instructions are version-controlled text files (``judge_prompts/vsc_prompt.txt`` and
``sq_prompt.txt``) sent as the system turn; the variable inputs go in the user turn. Answers
are read strictly: a score out of range or a JSON object missing a category is an error (re-
asked once with the problem when ``reask``), and the only repairs are unambiguous ones (a code
fence, text around the one number or the one JSON object, a number written as a string), each
recorded in ``flags``. A total that is not the sum of the categories is replaced by the sum
and flagged, so a judge's arithmetic slip never changes the metric.

Requests go through :class:`autocut_core.llm.chat.ChatClient`, so the judges share its retries,
its response cache (a re-run costs nothing) and its usage/cost summary (:meth:`Judge.summary`).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from autocut_core.errors import AutocutError
from autocut_core.llm.chat import (
    REASK,
    ChatClient,
    ChatResponse,
    ChatSettings,
    Message,
    Usage,
    image_part,
    reask_messages,
)
from autocut_core.types import Product

#: Category -> maximum score, in the order of the rubric.
SQ_CATEGORIES: dict[str, int] = {"basic_quality": 30, "expression": 40, "length_rhythm": 30}
SQ_TOTAL = 100
VSC_SCORES = (0, 1, 2)

_FENCE = re.compile(r"```[\w+-]*[ \t]*\n?(.*?)```", re.DOTALL)
_INTEGER = re.compile(r"(?<![\w.\-])\d+(?!\w|\.\d)")


class JudgeError(AutocutError):
    """A judge's answer that cannot be read without guessing."""

    def __init__(self, metric: str, text: str, reason: str, expected: str):
        self.metric = metric
        self.text = text
        self.reason = reason
        self.expected = expected
        excerpt = text if len(text) <= 200 else text[:200] + "..."
        super().__init__(f"{metric} judge: {reason}; expected {expected}; got {excerpt!r}")


@dataclass(frozen=True)
class SQResult:
    """One script's quality scores (paper §4.2: the three categories sum to SQ)."""

    basic_quality: float
    expression: float
    length_rhythm: float
    total: float
    justification: str = ""
    #: The total the judge wrote, when it differed from the sum (then ``total`` is the sum).
    reported_total: float | None = None
    #: What was repaired or recomputed to read the answer, in words.
    flags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "basic_quality": self.basic_quality,
            "expression": self.expression,
            "length_rhythm": self.length_rhythm,
            "total": self.total,
            "justification": self.justification,
            "reported_total": self.reported_total,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class LengthStatistic:
    """Line lengths of the reference and the generated script, and how far apart they are.

    ``mean_abs_difference`` is the paper's clip-level WCD over the lines both scripts have.
    """

    reference: tuple[int, ...]
    generated: tuple[int, ...]
    unit: str = "words (a Chinese or Japanese character counts as one)"

    @property
    def differences(self) -> tuple[int, ...]:
        return tuple(g - r for r, g in zip(self.reference, self.generated, strict=False))

    @property
    def mean_abs_difference(self) -> float:
        pairs = self.differences
        return sum(abs(d) for d in pairs) / len(pairs) if pairs else float("nan")

    def describe(self) -> str:
        """The statistic as the SQ judge reads it."""
        lines = [f"Unit: {self.unit}."]
        for number in range(max(len(self.reference), len(self.generated))):
            reference = self.reference[number] if number < len(self.reference) else None
            generated = self.generated[number] if number < len(self.generated) else None
            if reference is not None and generated is not None:
                lines.append(
                    f"Line {number + 1}: reference {reference}, generated {generated}, "
                    f"difference {generated - reference:+d}"
                )
            else:
                lines.append(
                    f"Line {number + 1}: reference {_or_missing(reference)}, "
                    f"generated {_or_missing(generated)}"
                )
        lines.append(
            f"Lines: reference {len(self.reference)}, generated {len(self.generated)}"
            + (" (different counts)" if len(self.reference) != len(self.generated) else "")
        )
        mean = self.mean_abs_difference
        if not math.isnan(mean):
            lines.append(
                f"Mean absolute difference per line: {mean:.2f} over {len(self.differences)} lines."
            )
        return "\n".join(lines)


def length_statistic(reference: Sequence[str], generated: Sequence[str]) -> LengthStatistic:
    """Per-line lengths counted as the script metrics count them (WCD's units)."""
    # The counter lives with the WCD evaluator so both metrics count the same way.
    from autocut_core.text import count_units

    return LengthStatistic(
        reference=tuple(count_units(line) for line in reference),
        generated=tuple(count_units(line) for line in generated),
    )


@cache
def judge_prompt(name: str) -> str:
    """The text of ``judge_prompts/<name>_prompt.txt`` (``vsc`` or ``sq``)."""
    resource = resources.files("autocut_core.llm").joinpath("judge_prompts", f"{name}_prompt.txt")
    return resource.read_text(encoding="utf-8").strip()


@dataclass
class Judge:
    """Asks a chat model for VSC and SQ scores (see the module docstring).

    ``Judge(ChatClient(ChatSettings(model="gpt-4o")))`` is the paper's setting; any
    OpenAI-compatible server works through ``base_url``. VSC needs a vision model.
    """

    client: ChatClient
    #: Ask once more, quoting the problem, when an answer cannot be read.
    reask: bool = True
    image_max_side: int = 512
    image_detail: str = "auto"
    #: The repairs made to read the last answer.
    last_flags: tuple[str, ...] = field(default=(), init=False)

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None = None, **judge: Any) -> Judge:
        """A judge from chat options (``base_url``, ``model``, ``cache_dir``, prices, ...)."""
        return cls(ChatClient(ChatSettings(**dict(options or {}))), **judge)

    @property
    def usage(self) -> Usage:
        return self.client.usage

    def summary(self) -> str:
        """Requests, cache hits, retries, tokens and cost so far, on one line."""
        return f"judge {self.client.label}: {self.client.usage.summary()}"

    # -- VSC ----------------------------------------------------------------------------------

    def vsc(self, frame: str | os.PathLike[str] | bytes, line: str) -> int:
        """0, 1 or 2: how well the frame (an image file, or JPEG bytes) shows the line."""
        from autocut_core.media.frame_grab import image_bytes

        if not line.strip():
            raise ValueError("VSC needs a non-empty script line")
        if isinstance(frame, bytes):
            data, mime = frame, "image/jpeg"
        else:
            data, mime = image_bytes(frame, self.image_max_side)
        content = [
            {"type": "text", "text": f"Script line: {' '.join(line.split())}\nFrame:"},
            image_part(data, mime, self.image_detail),
        ]
        messages = [_system("vsc"), {"role": "user", "content": content}]
        expected = "a single digit 0, 1 or 2"
        value, flags = self._ask(messages, read_vsc, expected)
        self.last_flags = flags
        return value

    def vsc_clip(self, video: str | os.PathLike[str], start: float, end: float, line: str) -> int:
        """VSC of a clip of ``video``, judged on its middle frame."""
        from autocut_core.media.frame_grab import frame_jpeg

        frame = frame_jpeg(Path(video), (start + end) / 2, self.image_max_side)
        return self.vsc(frame, line)

    # -- SQ -----------------------------------------------------------------------------------

    def sq(
        self,
        product: Product,
        reference: Sequence[str],
        generated: Sequence[str],
        statistic: LengthStatistic | None = None,
    ) -> SQResult:
        """Score ``generated`` against ``reference`` with the 100-point rubric."""
        from autocut_core.editing.prompts import product_facts, prompt_language

        if not generated or not any(line.strip() for line in generated):
            raise ValueError("SQ needs a generated script with at least one line")
        if not reference:
            raise ValueError("SQ needs the reference script")
        statistic = statistic or length_statistic(reference, generated)
        lang = prompt_language(list(reference))
        text = (
            f"Product facts:\n{product_facts(product, lang)}\n\n"
            f"Reference script ({len(reference)} lines):\n{_numbered(reference)}\n\n"
            f"Generated script ({len(generated)} lines):\n{_numbered(generated)}\n\n"
            f"Line-level length statistic:\n{statistic.describe()}\n\n"
            "Return the JSON object."
        )
        messages = [_system("sq"), {"role": "user", "content": text}]
        expected = (
            'a JSON object {"basic_quality": 0-30, "expression": 0-40, '
            '"length_rhythm": 0-30, "total": 0-100, "justification": "..."}'
        )
        result, flags = self._ask(messages, read_sq, expected)
        self.last_flags = flags
        return result

    # -- asking -------------------------------------------------------------------------------

    def _ask(
        self, messages: list[Message], read: Any, expected: str
    ) -> tuple[Any, tuple[str, ...]]:
        response: ChatResponse = self.client.complete(messages)
        try:
            return read(response.text)
        except JudgeError as first:
            if not self.reask:
                raise self._failure(first) from None
            instruction = REASK.format(reason=first.reason, expected=expected)
            again = reask_messages(messages, response.text, instruction)
            response = self.client.complete(again)
            try:
                return read(response.text)
            except JudgeError as second:
                raise self._failure(second, first) from None

    def _failure(self, error: JudgeError, first: JudgeError | None = None) -> JudgeError:
        if first is not None:
            error.args = (f"{error} (asked twice; first answer: {first.reason})",)
        error.args = (f"{self.client.label}: {error.args[0]}",)
        return error


# --- reading answers -----------------------------------------------------------------------


def read_vsc(text: str) -> tuple[int, tuple[str, ...]]:
    """A VSC answer: one of 0, 1, 2; with flags for what was repaired."""
    expected = "a single digit 0, 1 or 2"
    body, flags = _unfence(text)
    stripped = body.strip()
    numbers = list(_INTEGER.finditer(body))
    if not numbers:
        raise JudgeError("VSC", text, "no score found", expected)
    if len(numbers) > 1:
        found = ", ".join(m.group(0) for m in numbers[:6])
        raise JudgeError(
            "VSC", text, f"{len(numbers)} numbers found ({found}), one wanted", expected
        )
    value = int(numbers[0].group(0))
    if value not in VSC_SCORES:
        raise JudgeError("VSC", text, f"score {value} is out of range 0..2", expected)
    if stripped.rstrip(".") != numbers[0].group(0):
        flags.append("ignored the text around the score")
    return value, tuple(flags)


def read_sq(text: str) -> tuple[SQResult, tuple[str, ...]]:
    """An SQ answer: the JSON object of the rubric, strictly checked."""
    expected = "a JSON object with basic_quality, expression, length_rhythm, total, justification"
    body, flags = _unfence(text)
    data = _one_json_object(text, body, flags, expected)
    scores: dict[str, float] = {}
    for key, top in SQ_CATEGORIES.items():
        if key not in data:
            raise JudgeError("SQ", text, f"{key!r} is missing", expected)
        scores[key] = _score(text, key, data[key], top, flags, expected)
    total = sum(scores.values())
    reported: float | None = None
    if "total" not in data:
        flags.append("no total given; used the sum of the categories")
    else:
        written = _score(text, "total", data["total"], SQ_TOTAL, flags, expected)
        if abs(written - total) > 1e-6:
            reported = written
            flags.append(
                f"total {written:g} is not the sum of the categories; recomputed as {total:g}"
            )
    justification = data.get("justification", "")
    if not isinstance(justification, str):
        raise JudgeError("SQ", text, "'justification' is not a string", expected)
    if not justification.strip():
        flags.append("no justification given")
    unknown = sorted(set(data) - set(SQ_CATEGORIES) - {"total", "justification"})
    if unknown:
        flags.append(f"ignored unknown keys: {', '.join(unknown)}")
    result = SQResult(
        **scores,
        total=total,
        justification=justification.strip(),
        reported_total=reported,
        flags=tuple(flags),
    )
    return result, tuple(flags)


def _one_json_object(text: str, body: str, flags: list[str], expected: str) -> dict[str, Any]:
    stripped = body.strip()
    try:
        value = json.loads(stripped)
    except ValueError:
        value = None
    else:
        if not isinstance(value, dict):
            raise JudgeError(
                "SQ", text, f"the JSON is a {type(value).__name__}, not an object", expected
            )
        return value
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    position = 0
    while (start := body.find("{", position)) != -1:
        try:
            candidate, end = decoder.raw_decode(body, start)
        except ValueError:
            position = start + 1
            continue
        if isinstance(candidate, dict):
            found.append(candidate)
        position = end
    if not found:
        problem = "no JSON object found" if "{" not in body else "the JSON object is malformed"
        raise JudgeError("SQ", text, problem, expected)
    if len(found) > 1:
        raise JudgeError("SQ", text, f"{len(found)} JSON objects found, one wanted", expected)
    flags.append("ignored the text around the JSON object")
    return found[0]


def _score(text: str, key: str, value: Any, top: int, flags: list[str], expected: str) -> float:
    if isinstance(value, str) and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", value):
        flags.append(f"read {key} from the string {value!r}")
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise JudgeError("SQ", text, f"{key} is {value!r}, not a number", expected)
    if not 0 <= value <= top:
        raise JudgeError("SQ", text, f"{key} {value:g} is out of range 0..{top}", expected)
    return float(value)


def _unfence(text: str) -> tuple[str, list[str]]:
    fences = list(_FENCE.finditer(text))
    if len(fences) == 1:
        return fences[0].group(1), ["took the answer out of its code fence"]
    return text, []


def _system(name: str) -> Message:
    return {"role": "system", "content": judge_prompt(name)}


def _numbered(lines: Sequence[str]) -> str:
    return "\n".join(f"{i}. {' '.join(line.split())}" for i, line in enumerate(lines, start=1))


def _or_missing(value: int | None) -> str:
    return "(no line)" if value is None else str(value)
