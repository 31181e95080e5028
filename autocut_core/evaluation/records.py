"""Reading the SFT test set: every line becomes one :class:`EvalSample`.

The dataset builder writes ``meta`` so that a task can be re-run with ANOTHER backbone than
the one it trains (see ``docs/evaluation.md``): the product, the script, the candidate clips
in prompt order (local index = list position), the reference answer and, for music, the
pool of tracks offered. Lines are read with the record types the builder writes them with
(:mod:`autocut_core.editing.records`), validated once, with errors naming the file, the line
and the field, so the runner never meets a half-formed sample.

A ``select`` line whose prompt shows a positive clip's own sentence is refused: the builder
before prompts showed tokens only wrote such lines, and on them any text matcher scores
CSA 1.0 (the answer is in the question), so a table built from them measures nothing.

:func:`test_set_profile` is the prompt/answer profile the test set was built in (the
corpus's ``summary.json`` records it), so that a backbone that can ask in either profile
asks as the data was written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from autocut_core.editing.profiles import corpus_profile
from autocut_core.editing.prompts import TASKS, leaked_sentences
from autocut_core.editing.records import (
    RECORD_TYPES,
    ClipEntry,
    MusicMeta,
    ScriptMeta,
    SelectRecord,
    SftRecord,
    TrackEntry,
)
from autocut_core.errors import InputError
from autocut_core.serde import describe_validation_error, parse_json
from autocut_core.types import Product

RecordT_co = TypeVar("RecordT_co", bound=SftRecord, covariant=True)


@dataclass(frozen=True)
class EvalSample(Generic[RecordT_co]):
    """One test sample: its record, where it stood, and an id stable across runs."""

    #: Stable across runs of the same file: task, ad, line and a hash of the line's text.
    sample_id: str
    line: int
    record: RecordT_co

    @property
    def task(self) -> str:
        return self.record.task

    @property
    def lang(self) -> str:
        return self.record.lang

    @property
    def ad_id(self) -> str:
        return self.record.ad_id

    @property
    def product(self) -> Product:
        return self.record.meta.product

    @property
    def script(self) -> tuple[str, ...]:
        """The ad's sentences (none for ``script``, whose answer they are)."""
        meta = self.record.meta
        return () if isinstance(meta, ScriptMeta) else tuple(meta.script)

    @property
    def candidates(self) -> tuple[ClipEntry, ...]:
        return tuple(self.record.meta.candidates)

    @property
    def music_pool(self) -> tuple[TrackEntry, ...]:
        meta = self.record.meta
        return tuple(meta.music_pool) if isinstance(meta, MusicMeta) else ()


def read_samples(
    path: Path, tasks: Sequence[str] | None = None, limit: int | None = None
) -> list[EvalSample[SftRecord]]:
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


def _sample(data: dict[str, Any], path: Path, number: int, text: str) -> EvalSample[SftRecord]:
    where = f"{path}:{number}"
    try:
        record = RECORD_TYPES[data["task"]].model_validate(data)
    except ValidationError as error:
        raise InputError(
            describe_validation_error(error, where, f"{data['task']} sample")
        ) from None
    if isinstance(record, SelectRecord):
        _refuse_leaked_answer(record, where)
    digest = hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:10]
    return EvalSample(
        sample_id=f"{record.task}/{record.ad_id or '-'}/{number}/{digest}",
        line=number,
        record=record,
    )


def _refuse_leaked_answer(record: SelectRecord, where: str) -> None:
    """A select prompt that carries a positive's sentence asks a question it answers."""
    positives = [record.meta.candidates[i].text for i in record.meta.answer.indices]
    human = " ".join(turn.value for turn in record.conversations if turn.from_ == "human")
    leaked = leaked_sentences(human, [text for text in positives if text.strip()])
    if leaked:
        raise InputError(
            f"{where}: the select prompt shows {len(leaked)} of the selected clips' own "
            f"sentences (e.g. {leaked[0]!r}), so the answer is in the question; this test set "
            "was built before prompts showed video tokens only - rebuild it with "
            "`autocut dataset build`"
        )


def test_set_profile(path: Path) -> str:
    """The profile the test set ``path`` was built in (``autocut`` for a hand-written one)."""
    return corpus_profile(Path(path))
