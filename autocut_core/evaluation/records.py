"""Reading the SFT test set: every line's ``meta`` becomes one :class:`EvalSample`.

The dataset builder writes ``meta`` so that a task can be re-run with ANOTHER backbone than
the one it trains (see ``docs/evaluation.md``): the product, the script, the candidate clips
in prompt order (local index = list position), the reference answer and, for music, the
pool of tracks offered. Lines are validated here once, with errors naming the file, the line
and the field, so the runner never meets a half-formed sample.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from autocut_core.editing.prompts import TASKS
from autocut_core.errors import InputError
from autocut_core.serde import describe_validation_error, from_data, parse_json
from autocut_core.types import Product


class _Loose(BaseModel):
    # Extra fields are kept for newer builders; the ones read here must be right.
    model_config = ConfigDict(extra="ignore", frozen=True)


class ClipRecord(_Loose):
    """A candidate clip as the prompt showed it."""

    clip_id: str
    source_id: str
    source_path: str = ""
    start: float = Field(ge=0)
    end: float
    text: str = ""
    tokens: str = ""

    _no_none = field_validator("source_path", "text", "tokens", mode="before")(
        lambda value: "" if value is None else value
    )

    @model_validator(mode="after")
    def _ordered(self) -> ClipRecord:
        if not self.end > self.start:
            raise ValueError(f"clip {self.clip_id}: end {self.end} is not after start {self.start}")
        return self


class TrackRecord(_Loose):
    """A music track of the pool (or the reference answer)."""

    track_id: str
    path: str = ""
    tokens: str = ""
    title: str | None = None

    _no_none = field_validator("path", "tokens", mode="before")(
        lambda value: "" if value is None else value
    )


class _Meta(_Loose):
    product: dict[str, Any]
    script: list[str] = []
    candidates: list[ClipRecord] = []
    answer: dict[str, Any]
    music_pool: list[TrackRecord] = []


class _Line(_Loose):
    task: str
    lang: str = "en"
    ad_id: str = ""
    meta: _Meta


@dataclass(frozen=True)
class EvalSample:
    """One test sample: everything needed to ask a backbone the task again and score it."""

    #: Stable across runs of the same file: task, ad, line and a hash of the line's text.
    sample_id: str
    line: int
    task: str
    lang: str
    ad_id: str
    product: Product
    script: tuple[str, ...]
    candidates: tuple[ClipRecord, ...]
    #: The reference answer, as ``meta["answer"]`` holds it.
    answer: dict[str, Any]
    music_pool: tuple[TrackRecord, ...] = ()


def read_samples(
    path: Path, tasks: Sequence[str] | None = None, limit: int | None = None
) -> list[EvalSample]:
    """The samples of ``tasks`` (default: all) in file order, at most ``limit`` per task."""
    wanted = tuple(tasks) if tasks else TASKS
    unknown = [task for task in wanted if task not in TASKS]
    if unknown:
        raise InputError(f"unknown task(s) {', '.join(unknown)}; tasks are {', '.join(TASKS)}")
    taken = dict.fromkeys(wanted, 0)
    samples = []
    for number, text in _lines(path):
        data = parse_json(text, f"{path}:{number}")
        task = data.get("task") if isinstance(data, dict) else None
        if task not in taken or (limit is not None and taken[task] >= limit):
            if task not in TASKS:
                raise InputError(f"{path}:{number}: 'task' must be one of {TASKS}, got {task!r}")
            continue
        samples.append(_sample(data, path, number, text))
        taken[task] += 1
    return samples


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise InputError(f"{path}: test set not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; give the SFT .jsonl file") from None
    with handle:
        try:
            for number, text in enumerate(handle, start=1):
                if text.strip():
                    yield number, text
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not UTF-8 text ({error.reason})") from None


def _sample(data: dict[str, Any], path: Path, number: int, text: str) -> EvalSample:
    where = f"{path}:{number}"
    try:
        line = _Line.model_validate(data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, where, "SFT sample")) from None
    meta = line.meta
    product = from_data(Product, meta.product, f"{where} meta.product")
    _check_task_fields(line.task, meta, where)
    digest = hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:10]
    return EvalSample(
        sample_id=f"{line.task}/{line.ad_id or '-'}/{number}/{digest}",
        line=number,
        task=line.task,
        lang=line.lang,
        ad_id=line.ad_id,
        product=product,
        script=tuple(meta.script),
        candidates=tuple(meta.candidates),
        answer=dict(meta.answer),
        music_pool=tuple(meta.music_pool),
    )


def _check_task_fields(task: str, meta: _Meta, where: str) -> None:
    """What each task needs beyond the common fields, checked against the spec."""
    answer, count = meta.answer, len(meta.candidates)

    def fail(reason: str) -> None:
        raise InputError(f"{where}: {task} sample: {reason}")

    if not count:
        fail("meta.candidates is empty")
    if task != "script" and not meta.script:
        fail("meta.script is empty")
    if task in ("select", "sort"):
        key = "indices" if task == "select" else "order"
        values = answer.get(key)
        if not isinstance(values, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in values
        ):
            fail(f"meta.answer.{key} must be a list of integers")
        assert isinstance(values, list)
        if len(set(values)) != len(values) or any(not 0 <= v < count for v in values):
            fail(f"meta.answer.{key} {values} repeats or leaves 0..{count - 1}")
        if task == "sort" and len(values) != count:
            fail(f"meta.answer.order has {len(values)} entries for {count} candidates")
    elif task == "script":
        lines = answer.get("lines")
        if not isinstance(lines, list) or not lines or not all(isinstance(s, str) for s in lines):
            fail("meta.answer.lines must be a non-empty list of strings")
    else:
        if not isinstance(answer.get("track_id"), str) or not answer["track_id"]:
            fail("meta.answer.track_id is missing")
        pool = [track.track_id for track in meta.music_pool]
        if answer["track_id"] not in pool:
            fail(f"the reference track {answer['track_id']!r} is not in meta.music_pool")
        if len(set(pool)) != len(pool):
            fail("meta.music_pool repeats a track_id")
