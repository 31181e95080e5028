"""The SFT training record: one pydantic type per task, written and read by the same types.

`autocut dataset build` writes one :data:`SftRecord` per line of ``sft/{split}.jsonl``
(ShareGPT ``conversations`` and ``system`` for the trainer, plus ``task``, ``lang``, ``ad_id``
and the ``meta`` object); `autocut eval` reads the same lines back with the same types to ask
another backbone the task again. Keeping writer and reader on one schema means a field
renamed here is renamed for both, and a file written by an older build still validates.

The on-disk layout is version 1 of this format (docs/datasets.md), and :func:`dump_record`
writes it byte for byte as the builder's dict literals did: fields in the order declared here,
the optional ``title`` of a track left out when unset. Reading is lenient where the builder
once was: unknown fields are ignored (newer builders may add some) and ``null`` strings read
as empty, while every field that is read must be right; each task's meta checks its answer
against its candidates (indices in range, the reference track in the pool).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autocut_core.types import Product


def _empty_if_none(value: Any) -> Any:
    return "" if value is None else value


class _Record(BaseModel):
    # Extra fields are kept out for newer builders; the ones read here must be right.
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ClipEntry(_Record):
    """A candidate clip as the prompt showed it (its list position is its prompt index)."""

    clip_id: str
    source_id: str
    source_path: str = ""
    #: Seconds in the source; None only for caption data that does not know them
    #: (:mod:`autocut_core.editing.caption_ads`), never written by the builder.
    start: float | None = Field(ge=0)
    end: float | None
    text: str = ""
    tokens: str = ""
    #: The ad the clip comes from (a select record's negatives come from other ads).
    ad_id: str = ""
    #: What the clip shows, from caption data (a captioner's words, never its transcript
    #: sentence); unset in the records `autocut dataset build` writes.
    caption: str | None = None

    _no_none = field_validator("source_path", "text", "tokens", mode="before")(_empty_if_none)

    @model_validator(mode="after")
    def _ordered(self) -> ClipEntry:
        if (self.start is None) != (self.end is None):
            raise ValueError(f"clip {self.clip_id}: give both start and end, or neither")
        if self.start is not None and self.end is not None and not self.end > self.start:
            raise ValueError(f"clip {self.clip_id}: end {self.end} is not after start {self.start}")
        return self

    @property
    def timed(self) -> bool:
        """Whether the clip's span in its source is known."""
        return self.start is not None

    def span(self) -> tuple[float, float]:
        """(start, end) of a timed clip; a ValueError for caption data without times."""
        if self.start is None or self.end is None:
            raise ValueError(f"clip {self.clip_id or '(no id)'} has no start and end times")
        return self.start, self.end


class TrackEntry(_Record):
    """A music track of the pool, or the reference answer of a music record."""

    track_id: str
    path: str = ""
    tokens: str = ""
    #: Shown instead of the file name when set (hand-written test sets); never written unset.
    title: str | None = None

    _no_none = field_validator("path", "tokens", mode="before")(_empty_if_none)


class Turn(_Record):
    """One ShareGPT turn: ``{"from": "human" | "gpt", "value": ...}``."""

    from_: str = Field(alias="from")
    value: str


class SelectAnswer(_Record):
    indices: list[int]


class SortAnswer(_Record):
    order: list[int]


class ScriptAnswer(_Record):
    lines: list[str] = Field(min_length=1)


def _check_indices(values: list[int], count: int, key: str) -> None:
    if len(set(values)) != len(values) or any(not 0 <= v < count for v in values):
        raise ValueError(f"meta.answer.{key} {values} repeats or leaves 0..{count - 1}")


class SelectMeta(_Record):
    """``select``: the ad's clips and as many negatives, shuffled; the positives' indices."""

    product: Product
    script: list[str] = Field(min_length=1)
    candidates: list[ClipEntry] = Field(min_length=1)
    answer: SelectAnswer

    @model_validator(mode="after")
    def _answer_fits(self) -> SelectMeta:
        _check_indices(self.answer.indices, len(self.candidates), "indices")
        return self

    @property
    def answer_value(self) -> list[int]:
        return self.answer.indices


class SortMeta(_Record):
    """``sort``: the ad's clips shuffled; ``order[i]`` = the shown index playing i-th."""

    product: Product
    script: list[str] = Field(min_length=1)
    candidates: list[ClipEntry] = Field(min_length=1)
    answer: SortAnswer

    @model_validator(mode="after")
    def _answer_fits(self) -> SortMeta:
        order, count = self.answer.order, len(self.candidates)
        _check_indices(order, count, "order")
        if len(order) != count:
            raise ValueError(f"meta.answer.order has {len(order)} entries for {count} candidates")
        return self

    @property
    def answer_value(self) -> list[int]:
        return self.answer.order


class ScriptMeta(_Record):
    """``script``: the ad's clips in order; the answer is its script, one line per clip."""

    product: Product
    candidates: list[ClipEntry] = Field(min_length=1)
    answer: ScriptAnswer

    @property
    def answer_value(self) -> list[str]:
        return self.answer.lines


class MusicMeta(_Record):
    """``music``: the ad's clips and script; the answer is its track, one of ``music_pool``."""

    product: Product
    script: list[str] = Field(min_length=1)
    candidates: list[ClipEntry] = Field(min_length=1)
    answer: TrackEntry
    music_pool: list[TrackEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _answer_in_pool(self) -> MusicMeta:
        pool = [track.track_id for track in self.music_pool]
        if len(set(pool)) != len(pool):
            raise ValueError("meta.music_pool repeats a track_id")
        if self.answer.track_id not in pool:
            raise ValueError(
                f"the reference track {self.answer.track_id!r} is not in meta.music_pool"
            )
        return self

    @property
    def answer_value(self) -> str:
        return self.answer.tokens


class _SftRecord(_Record):
    conversations: list[Turn] = []
    system: str = ""


class SelectRecord(_SftRecord):
    task: Literal["select"] = "select"
    lang: str = "en"
    ad_id: str = ""
    meta: SelectMeta


class SortRecord(_SftRecord):
    task: Literal["sort"] = "sort"
    lang: str = "en"
    ad_id: str = ""
    meta: SortMeta


class ScriptRecord(_SftRecord):
    task: Literal["script"] = "script"
    lang: str = "en"
    ad_id: str = ""
    meta: ScriptMeta


class MusicRecord(_SftRecord):
    task: Literal["music"] = "music"
    lang: str = "en"
    ad_id: str = ""
    meta: MusicMeta


SftRecord = SelectRecord | SortRecord | ScriptRecord | MusicRecord
SftMeta = SelectMeta | SortMeta | ScriptMeta | MusicMeta

#: task name -> its record type: how a line is read (by its ``task``) and how a task's
#: record is built. The order is the tasks' order everywhere (``editing.prompts.TASKS``).
RECORD_TYPES: dict[str, type[SftRecord]] = {
    "select": SelectRecord,
    "sort": SortRecord,
    "script": ScriptRecord,
    "music": MusicRecord,
}


def dump_record(record: SftRecord) -> dict[str, Any]:
    """The record as its JSONL line holds it (version 1 of the format, see the docstring)."""
    return record.model_dump(mode="json", by_alias=True, exclude_none=True)
