"""Reading a test set: every SFT line, or every task of a caption ad, becomes an :class:`EvalSample`.

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

A file of caption ads (:mod:`autocut_core.editing.caption_ads`, one ad per line) is read
directly: each ad becomes its select, sort and script records (:mod:`.caption_data`), with the
same sample ids (task, ad, line, hash of the line), so the two layouts run alike.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import ValidationError

from autocut_core.editing.caption_ads import CaptionAd
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
from autocut_core.evaluation.caption_data import caption_tasks, is_caption_line
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


@dataclass(frozen=True)
class TestSet:
    """The samples read from a test file, its layout, and what caption ads could not give."""

    samples: list[EvalSample[SftRecord]]
    #: ``sft`` (records of `autocut dataset build`) or ``captions`` (caption ads).
    layout: str
    #: (task, why) -> how many caption ads gave no sample of that task.
    not_built: Counter[tuple[str, str]] = field(default_factory=Counter)


def read_samples(
    path: Path, tasks: Sequence[str] | None = None, limit: int | None = None
) -> list[EvalSample[SftRecord]]:
    """The samples of ``tasks`` (default: all) in file order, at most ``limit`` per task."""
    return read_test_set(path, tasks, limit).samples


def read_test_set(
    path: Path, tasks: Sequence[str] | None = None, limit: int | None = None
) -> TestSet:
    """Read an SFT test set or a file of caption ads (told apart by their lines' fields).

    A caption ad (:mod:`autocut_core.editing.caption_ads`) gives up to three samples, one per
    task (:mod:`.caption_data`); the two layouts are not mixed in one file.
    """
    wanted = tuple(tasks) if tasks else TASKS
    unknown = [task for task in wanted if task not in TASKS]
    if unknown:
        raise InputError(f"unknown task(s) {', '.join(unknown)}; tasks are {', '.join(TASKS)}")
    taken = dict.fromkeys(wanted, 0)
    samples: list[EvalSample[SftRecord]] = []
    layout: str | None = None
    not_built: Counter[tuple[str, str]] = Counter()
    for number, text in _lines(path):
        where = f"{path}:{number}"
        data = parse_json(text, where)
        line_layout = "captions" if is_caption_line(data) else "sft"
        if layout is None:
            layout = line_layout
        elif layout != line_layout:
            raise InputError(
                f"{where}: a {_LAYOUT_NAMES[line_layout]} in a file of "
                f"{_LAYOUT_NAMES[layout]}s; keep the two layouts in separate files"
            )
        if line_layout == "captions":
            built = caption_tasks(_caption_ad(data, where))
            not_built.update((task, why) for task, why in built.missing.items() if task in taken)
            records = built.records
        else:
            task = data.get("task") if isinstance(data, dict) else None
            if task not in TASKS:
                raise InputError(f"{where}: 'task' must be one of {TASKS}, got {task!r}")
            full = task not in taken or (limit is not None and taken[task] >= limit)
            records = [] if full else [_record(data, where)]  # lines left out are not read
        for record in records:
            if record.task not in taken or (limit is not None and taken[record.task] >= limit):
                continue
            samples.append(_sample(record, number, text))
            taken[record.task] += 1
    return TestSet(samples, layout or "sft", not_built)


_LAYOUT_NAMES = {"sft": "SFT record (with 'task')", "captions": "caption ad (with 'clips')"}


def _caption_ad(data: Any, where: str) -> CaptionAd:
    try:
        return CaptionAd.model_validate(data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, where, "caption ad")) from None


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except FileNotFoundError:
        raise InputError(f"{path}: test set not found") from None
    except IsADirectoryError:
        raise InputError(
            f"{path}: is a folder; give the SFT or caption .jsonl file (`autocut dataset "
            "import` converts a folder of per-ad JSON files)"
        ) from None
    with handle:
        try:
            for number, text in enumerate(handle, start=1):
                if text.strip():
                    yield number, text
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: not UTF-8 text ({error.reason})") from None


def _record(data: dict[str, Any], where: str) -> SftRecord:
    try:
        record = RECORD_TYPES[data["task"]].model_validate(data)
    except ValidationError as error:
        raise InputError(
            describe_validation_error(error, where, f"{data['task']} sample")
        ) from None
    if isinstance(record, SelectRecord):
        _refuse_leaked_answer(record, where)
    return record


def _sample(record: SftRecord, number: int, text: str) -> EvalSample[SftRecord]:
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
