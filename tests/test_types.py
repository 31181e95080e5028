"""Ids, dataclasses and their JSON round trip, with errors that name the field."""

from __future__ import annotations

import json

import pytest

from autocut_core import ids
from autocut_core.errors import InputError
from autocut_core.serde import dumps, load_json, loads, save_json
from autocut_core.types import Clip, EditPlan, MusicCue, Product, RenderSettings, Slot


def test_ids_follow_the_paper_layout():
    assert ids.frame_id("a1b2c3d4e5f6", 7) == "a1b2c3d4e5f60007"
    assert ids.clip_id("a1b2c3d4e5f6", 12, 5) == "a1b2c3d4e5f60012005"
    assert ids.parse_frame_id("a1b2c3d4e5f60007") == ("a1b2c3d4e5f6", 7)
    assert ids.parse_clip_id("a1b2c3d4e5f60012005") == ("a1b2c3d4e5f6", 12, 5)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ids.frame_id("src", 10000),
        lambda: ids.clip_id("src", 1, 1000),
        lambda: ids.clip_id("bad id", 1, 1),
        lambda: ids.parse_clip_id("src12"),
        lambda: ids.parse_frame_id("abcd"),
    ],
)
def test_ids_reject_what_cannot_round_trip(call):
    with pytest.raises(ValueError):
        call()


def test_clip_id_rounds_exact_times_but_keeps_them():
    clip = Clip(source_id="abc", start=3.4, end=7.9)
    assert clip.clip_id == "abc0003005"
    assert clip.duration == pytest.approx(4.5)
    with pytest.raises(ValueError, match="start < end"):
        Clip(source_id="abc", start=5, end=5)


def test_content_hash_identifies_bytes(tmp_path):
    first, second = tmp_path / "a.bin", tmp_path / "b.bin"
    first.write_bytes(b"same")
    second.write_bytes(b"same")
    assert ids.content_hash(first) == ids.content_hash(second)
    assert len(ids.source_id_for_hash(ids.content_hash(first))) == 12


def _plan() -> EditPlan:
    return EditPlan(
        slots=(
            Slot("abc0000003", "/footage/a b.mp4", 0.0, 2.5, sentence='Say "hi", {\\b1} 100%'),
            Slot("abc0003002", "/footage/a b.mp4", 3.0, 5.0, sentence="轻薄透气。", score=0.8),
        ),
        music=MusicCue(track_id="t1", path="/music/t.ogg", offset=1.5),
        render=RenderSettings(width=1080, height=1080, transition="crossfade"),
        product=Product(name="Runner", selling_points=("light", "dry")),
        pipeline="script-driven",
    )


def test_edit_plan_json_round_trip_is_exact(tmp_path):
    plan = _plan()
    assert loads(EditPlan, dumps(plan)) == plan
    path = tmp_path / "plan.json"
    save_json(plan, path)
    assert load_json(EditPlan, path) == plan
    assert json.loads(path.read_text(encoding="utf-8"))["slots"][1]["sentence"] == "轻薄透气。"


def test_malformed_plan_names_file_and_fields(tmp_path):
    data = json.loads(dumps(_plan()))
    data["slots"][0]["source_in"] = "soon"
    del data["slots"][1]["clip_id"]
    data["render"]["fit"] = "stretch"
    data["colour"] = "red"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_json(EditPlan, path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid EditPlan")
    assert "field 'slots.0.source_in': input should be a valid number" in message
    assert "field 'slots.1.clip_id': required field is missing" in message
    assert "field 'render.fit'" in message and "'stretch'" in message
    assert "field 'colour': unknown field" in message


def test_slot_times_are_checked_on_load():
    data = json.loads(dumps(_plan()))
    data["slots"][0]["source_out"] = -1
    with pytest.raises(InputError, match="source_in < source_out"):
        loads(EditPlan, json.dumps(data), "plan.json")


def test_invalid_json_reports_line_and_column():
    with pytest.raises(InputError, match=r"plan.json: not valid JSON \(line 2, column 1"):
        loads(EditPlan, '{"slots": [\n', "plan.json")
