"""The ``sft`` layout: the SFT JSONL of `autocut dataset build`, its records grouped into ads.

An ad's records each hold part of it: ``select`` the pool (its clips and the distractors) and
the positives, ``sort`` its clips and their playing order, ``script`` its clips in order with
the script as the answer, ``music`` its clips in order. The caption ad takes the product and
script from any of them, the playing order from ``sort`` (else ``script`` or ``music``), and
the distractors from ``select``; clips are matched across records by ``clip_id``.

Captions are taken from ``caption`` where a record carries one. The builder's records carry
none (their clips are video tokens), and a clip's ``text`` is its transcript sentence, which
is never made a caption (it is the answer); such clips keep their footage and times, which a
backbone that looks at frames uses, and the import report counts them as uncaptioned.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from autocut_core.dataset.import_rows import Refusal, validated
from autocut_core.editing.caption_ads import CaptionAd
from autocut_core.editing.records import (
    RECORD_TYPES,
    ClipEntry,
    ScriptRecord,
    SelectRecord,
    SftRecord,
    SortRecord,
)
from autocut_core.serde import describe_validation_error

#: Which record gives an ad's playing order, best first (sort's answer is the order itself).
_ORDER_FROM = ("sort", "script", "music")


def read(source: Path) -> Iterator[CaptionAd | Refusal]:
    """The ads of the SFT file ``source``, in order of their first record."""
    ads: dict[str, dict[str, tuple[int, SftRecord]]] = {}
    try:
        handle = open(source, encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except IsADirectoryError:
        yield Refusal(str(source), "is a folder; the sft layout reads one .jsonl file")
        return
    with handle:
        try:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                found = _record(text, f"{source}:{number}")
                if isinstance(found, Refusal):
                    yield found
                elif not found.ad_id:
                    yield Refusal(f"{source}:{number}", "field 'ad_id': empty, so the record "
                                                        "belongs to no ad")  # fmt: skip
                elif found.task in ads.setdefault(found.ad_id, {}):
                    first = ads[found.ad_id][found.task][0]
                    yield Refusal(f"{source}:{number}", f"a second {found.task} record of ad "
                                  f"{found.ad_id!r} (line {first} is used)")  # fmt: skip
                else:
                    ads[found.ad_id][found.task] = (number, found)
        except UnicodeDecodeError as error:
            yield Refusal(str(source), f"not UTF-8 text ({error.reason})")
            return
    for ad_id, records in ads.items():
        yield _ad(source, ad_id, records)


def _record(text: str, where: str) -> SftRecord | Refusal:
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return Refusal(where, f"not valid JSON (column {error.colno}: {error.msg})")
    task = data.get("task") if isinstance(data, dict) else None
    if task not in RECORD_TYPES:
        return Refusal(where, f"field 'task': must be one of {', '.join(RECORD_TYPES)}, "
                              f"got {task!r}")  # fmt: skip
    try:
        return RECORD_TYPES[task].model_validate(data)
    except ValidationError as error:
        lines = describe_validation_error(error, where, f"{task} record").splitlines()[1:]
        return Refusal(where, " ".join(line.strip() for line in lines))


def _ad(source: Path, ad_id: str, records: dict[str, tuple[int, SftRecord]]) -> CaptionAd | Refusal:
    first = min(number for number, _ in records.values())
    where = f"{source}:{first}"
    own = _own_clips(records)
    if own is None:
        return Refusal(where, f"ad {ad_id!r}: no sort, script or music record, so its playing "
                              "order is unknown")  # fmt: skip
    record = next(record for _, record in records.values())
    script = _script(records)
    if script is None:
        return Refusal(where, f"ad {ad_id!r}: no record holds its script")
    ids = {entry.clip_id for entry in own}
    others: list[ClipEntry] = []
    if "select" in records:
        select = records["select"][1]
        assert isinstance(select, SelectRecord)
        positives = {select.meta.candidates[i].clip_id for i in select.meta.answer.indices}
        if positives != ids:
            return Refusal(f"{source}:{records['select'][0]}", f"ad {ad_id!r}: the select "
                           "record's positives are not the clips its other records order")  # fmt: skip
        others = [entry for entry in select.meta.candidates if entry.clip_id not in ids]
    data: dict[str, Any] = {
        "ad_id": ad_id,
        "lang": record.lang if record.lang in ("en", "zh") else None,
        "product": record.meta.product,
        "script": script,
        "clips": [_clip(entry) for entry in own + others],
        "gold": {"order": list(range(len(own)))},
    }
    return validated({key: value for key, value in data.items() if value is not None}, where)


def _own_clips(records: dict[str, tuple[int, SftRecord]]) -> list[ClipEntry] | None:
    for task in _ORDER_FROM:
        if task in records:
            record = records[task][1]
            candidates = list(record.meta.candidates)
            if isinstance(record, SortRecord):
                return [candidates[i] for i in record.meta.answer.order]
            return candidates  # script and music records list the clips in playing order
    return None


def _script(records: dict[str, tuple[int, SftRecord]]) -> list[str] | None:
    for _, record in records.values():
        if isinstance(record, ScriptRecord):
            return list(record.meta.answer.lines)
        return list(record.meta.script)
    return None


def _clip(entry: ClipEntry) -> dict[str, Any]:
    clip: dict[str, Any] = {"clip_id": entry.clip_id, "caption": entry.caption or ""}
    if entry.timed:
        clip["start"], clip["end"] = entry.span()
    if entry.source_path:
        clip["source"] = entry.source_path
    if entry.ad_id:
        clip["ad_id"] = entry.ad_id
    return clip
