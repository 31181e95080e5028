"""`autocut render` on a hand-edited plan: the edited slots' scores are dropped, not shown stale.

A plan AutoCut writes seals each scored slot (``scored_for``); a slot whose clip, in/out or
sentence was changed since no longer matches, so the summary, plan.json, the OTIO metadata
and the contact sheet say "edited" instead of a score the backbone never gave.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import opentimelineio as otio
import pytest

from autocut_core.editing.scores import fingerprint, mark_edited, seal
from autocut_core.output.contact_sheet import write_contact_sheet
from autocut_core.serde import load_json
from autocut_core.testing import samples
from autocut_core.types import EditPlan, Slot


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("edited-inputs")
    footage = root / "footage"
    footage.mkdir()
    shots = {
        "bottle.mp4": (2.0, ["a steel bottle on a desk", "ice cubes in the bottle"]),
        "trail.mp4": (2.5, ["a hiker on a trail", "the bottle upside down, no leak"]),
    }
    for name, (length, texts) in shots.items():
        samples.make_scene_video(footage / name, samples.scenes_for([length, length]))
        cues = [{"start": length * i, "end": length * (i + 1), "text": text}
                for i, text in enumerate(texts)]  # fmt: skip
        (footage / name).with_suffix(".captions.json").write_text(json.dumps(cues))
    (root / "product.toml").write_text('name = "Aero Bottle"\n')
    (root / "script.txt").write_text("A steel bottle.\nIce cubes in it.\nNo leak.\n")
    (root / "autocut.toml").write_text(
        '[render]\nwidth = 180\nheight = 320\nfps = 15\ncrf = 30\npreset = "ultrafast"\n'
        '[backbones.similarity]\ntext_encoder = "none"\n'
    )
    return root


def test_edited_slots_lose_their_scores_everywhere(cli, inputs: Path, tmp_path: Path) -> None:
    config = str(inputs / "autocut.toml")
    code, out, err = cli(
        "run", "--config", config, "--product", str(inputs / "product.toml"),
        "--footage", str(inputs / "footage"), "--script", str(inputs / "script.txt"),
        "--db", str(tmp_path / "db"), "--no-voice-over", "--dry-run", "--json",
        "-o", str(tmp_path / "plan.json"),
    )  # fmt: skip
    assert code == 0, err
    made = json.loads(out)["plan"]
    assert all(slot["score"] > 0 and slot["scored_for"] for slot in made["slots"])

    edited = json.loads((tmp_path / "plan.json").read_text())
    edited["slots"][0]["sentence"] = "A sentence the backbone never saw."
    other = next(
        str(path) for path in (inputs / "footage").glob("*.mp4")
        if str(path) != edited["slots"][1]["source_path"]
    )  # fmt: skip
    edited["slots"][1].update(source_path=other, source_in=0.2, source_out=1.8)  # swapped clip
    (tmp_path / "plan.json").write_text(json.dumps(edited))

    code, out, err = cli("render", "--config", config, str(tmp_path / "plan.json"),
                         "-o", str(tmp_path / "v2.mp4"))  # fmt: skip
    assert code == 0, err
    cells = [line.split("│") for line in out.splitlines() if line.startswith("│")]
    rows = [row[-2].strip() for row in cells if row[1].strip().isdigit()]  # each slot's score
    assert rows == ["edited", "edited", f"{made['slots'][2]['score']:.3f}"]
    assert "note: slot 1 was edited: its score no longer applies" in out
    assert "note: slot 2 was edited" in out

    plan = load_json(EditPlan, tmp_path / "v2.plan.json")
    assert [(s.edited, s.score is None) for s in plan.slots] == [
        (True, True), (True, True), (False, False),
    ]  # fmt: skip
    assert plan.slots[2].score == made["slots"][2]["score"]
    assert plan.slots[2].scored_for == fingerprint(plan.slots[2])  # re-sealed after the refit
    assert mark_edited(plan)[1] == []  # rendering it again changes nothing more

    timeline = otio.adapters.read_from_file(str(tmp_path / "v2.otio"))
    facts = [clip.metadata["autocut"] for clip in timeline.video_tracks()[0].find_clips()]
    assert [(f["edited"], f["score"]) for f in facts][:2] == [(True, None), (True, None)]
    assert facts[-1]["edited"] is False
    assert facts[-1]["score"] == pytest.approx(plan.slots[2].score, rel=1e-12)  # OTIO JSON float

    sheet = write_contact_sheet(plan, tmp_path / "sheet.png")
    headers = [tile.caption[0] for tile in sheet.tiles]
    assert headers[0].endswith("  edited") and headers[1].endswith("  edited")
    assert headers[2].endswith(f"  score {plan.slots[2].score:.2f}")


def _slot(**changes) -> Slot:
    base = Slot(clip_id="abc0001002", source_path="/f/a.mp4", source_in=1.0, source_out=3.0,
                sentence="One.", score=0.5)  # fmt: skip
    return replace(base, **changes)


@pytest.mark.parametrize(
    "edit",
    [
        {"sentence": "Another."},
        {"source_path": "/f/b.mp4"},
        {"source_in": 1.5},
        {"source_out": 2.5},
        {"clip_id": "abc0004002"},
    ],
)
def test_any_hand_edit_breaks_the_seal(edit: dict) -> None:
    plan = seal(EditPlan(slots=(_slot(), _slot(sentence="Two."))))
    hand_edited = replace(plan, slots=(replace(plan.slots[0], **edit), plan.slots[1]))
    marked, changed = mark_edited(hand_edited)
    assert changed == [0]
    assert (marked.slots[0].score, marked.slots[0].edited) == (None, True)
    assert marked.slots[1] == plan.slots[1]


def test_unsealed_and_voice_only_changes_keep_their_scores() -> None:
    unsealed = EditPlan(slots=(_slot(),))  # written by hand or by an older AutoCut
    assert mark_edited(unsealed) == (unsealed, [])
    sealed = seal(unsealed)
    voiced = replace(sealed, slots=(replace(sealed.slots[0], voice_duration=1.2, hold=0.4),))
    assert mark_edited(voiced)[1] == []  # the voice and hold are not what was scored
