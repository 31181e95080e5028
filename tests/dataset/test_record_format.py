"""One record schema: the builder writes SFT lines with the types the evaluation reads them with.

``data/sft_records_v1.jsonl`` was written by the builder before the schema had types (dict
literals), from the ads of ``golden_ads.py``: the typed writer must reproduce it byte for byte
and the reader must load it, so every corpus built before still evaluates. One thing changed
since on purpose: select prompts no longer show each candidate's own sentence (it gave the
answer away), so the old file's select prompts are the new ones plus those sentences, and
the reader refuses its select lines.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from autocut_core.dataset.build import _jsonl
from autocut_core.dataset.tasks import Pool, TaskOptions, sft_records
from autocut_core.editing.records import (
    RECORD_TYPES,
    MusicRecord,
    ScriptRecord,
    SelectRecord,
    SortRecord,
    dump_record,
)
from autocut_core.errors import InputError
from autocut_core.evaluation.records import read_samples
from autocut_core.evaluation.tasks import reference_of

from .golden_ads import golden_ads

GOLDEN = Path(__file__).parent / "data" / "sft_records_v1.jsonl"
OPTIONS = TaskOptions(seed=7, lang="auto", samples_per_ad=2, music_pool=3)


def _built() -> list:
    ads = golden_ads()
    pool = Pool(ads)
    return [record for ad in ads for record in sft_records(ad, pool, OPTIONS)]


def _without_select_sentences(line: str) -> str:
    """A version-1 line as the builder writes it now: no sentence in a select prompt."""
    data = json.loads(line)
    if data["task"] == "select":
        for turn in data["conversations"]:
            if turn["from"] == "human":
                turn["value"] = re.sub(r"<\|text_start\|>.*?<\|text_end\|>", "", turn["value"])
    return json.dumps(data, ensure_ascii=False)


def test_the_typed_writer_reproduces_version_1_byte_for_byte():
    written = _jsonl([dump_record(record) for record in _built()])
    old = GOLDEN.read_text(encoding="utf-8").splitlines()
    assert written.splitlines() == [_without_select_sentences(line) for line in old]
    assert sum(a != b for a, b in zip(written.splitlines(), old, strict=True)) == sum(
        '"task": "select"' in line for line in old
    )


def test_version_1_select_lines_that_show_the_answer_are_refused():
    with pytest.raises(
        InputError, match=r"sft_records_v1\.jsonl:1: the select prompt shows .* rebuild"
    ):
        read_samples(GOLDEN, tasks=["select"])


def test_records_are_typed_by_task():
    records = _built()
    assert {type(record) for record in records} == {
        SelectRecord,
        SortRecord,
        ScriptRecord,
        MusicRecord,
    }
    assert all(isinstance(record, RECORD_TYPES[record.task]) for record in records)
    # the ad without music (en2) has no music record
    assert not [r for r in records if isinstance(r, MusicRecord) and r.ad_id == "en2"]


def test_version_1_lines_load_as_the_records_that_wrote_them(tmp_path):
    rebuilt = tmp_path / "sft.jsonl"
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    rebuilt.write_text("".join(_without_select_sentences(line) + "\n" for line in lines))
    samples = read_samples(rebuilt)
    assert [sample.record for sample in samples] == _built()
    by_task = {sample.task: sample for sample in samples}
    assert reference_of(by_task["select"]) == {
        "indices": by_task["select"].record.meta.answer.indices,
        "pool": len(by_task["select"].candidates),
    }
    music = by_task["music"]
    assert reference_of(music)["pool"] == [track.track_id for track in music.music_pool]
    assert by_task["script"].script == ()  # the script is the script task's answer


def test_a_record_round_trips_through_its_json_line():
    for record in _built():
        line = json.dumps(dump_record(record), ensure_ascii=False)
        assert RECORD_TYPES[record.task].model_validate_json(line) == record


def test_unknown_fields_are_ignored_and_null_strings_read_as_empty(tmp_path):
    data = json.loads(_without_select_sentences(GOLDEN.read_text(encoding="utf-8").splitlines()[0]))
    data["added_by_a_newer_builder"] = 1
    data["meta"]["candidates"][0]["tokens"] = None
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    (sample,) = read_samples(path)
    assert sample.candidates[0].tokens == ""


def test_a_meta_of_another_task_is_refused(tmp_path):
    lines = GOLDEN.read_text(encoding="utf-8").splitlines()
    data = json.loads(lines[0])  # select
    assert data["task"] == "select"
    data["task"] = "script"  # the select meta has no lines: not a script record
    path = tmp_path / "test.jsonl"
    path.write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"test\.jsonl:1: invalid script sample"):
        read_samples(path)
