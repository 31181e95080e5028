"""Every slot's evidence in plan.json, true to the plan, and `autocut explain` over it.

The runner-ups are checked against the backbone itself: the same candidates offered to the
``similarity`` backbone again give the very scores the plan recorded, so the evidence is
the numbers the choice was made by, not a story told afterwards.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from autocut_plugins.similarity.backbone import SimilarityBackbone
from autocut_plugins.similarity.settings import SimilaritySettings

from autocut_core.errors import BackboneAnswerError, InputError
from autocut_core.inputs import load_product, load_script
from autocut_core.materials.database import MaterialDB
from autocut_core.pipelines.gather import Material, shot_candidates
from autocut_core.serde import load_json
from autocut_core.testing import FakeBackbone
from autocut_core.types import EditPlan, Product, Script, Selection

from .conftest import run_args

#: Scores are compared at the assignment's quantisation (autocut_core.editing.assignment).
SCORE_TOLERANCE = 1e-6


@pytest.fixture(scope="module")
def made(brief: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A dry run over the brief: the plan file and the run's JSON."""
    from autocut_core.cli import main

    folder = tmp_path_factory.mktemp("evidence")
    output = folder / "plan.json"
    with pytest.raises(SystemExit) as exit_:
        main([*run_args(brief, output, "--dry-run", "--json")])
    assert exit_.value.code in (0, None)
    return output, json.loads(output.read_text())


def test_every_slot_records_its_evidence(made, brief) -> None:
    path, data = made
    assert data["format_version"] == 2
    plan = load_json(EditPlan, path)
    played = {(s.source_path, s.clip_id) for s in plan.slots}
    points = {"keeps water cold 24 hours", "leak proof cap"}
    for slot in plan.slots:
        record = slot.evidence
        assert record is not None
        assert (record.clip_id, record.sentence) == (slot.clip_id, slot.sentence)
        assert record.score == slot.score and record.chosen_by == "backbone similarity"
        assert record.caption  # every shot of the brief has a caption
        assert "caption" in record.basis, record.basis  # what similarity says it used
        assert len(record.runner_ups) == 3
        scores = [r.score for r in record.runner_ups]
        assert scores == sorted(scores, reverse=True)
        assert max(scores) <= slot.score + SCORE_TOLERANCE  # an optimal assignment
        assert not played & {(r.source_path, r.clip_id) for r in record.runner_ups}
    facts = {slot.sentence: slot.evidence.fact for slot in plan.slots}
    assert facts["Ice cold water all day."].text in points  # "cold", "water": 2 of 4 words
    assert facts["Ice cold water all day."].match == pytest.approx(0.5)
    assert facts["No leak, even upside down."].text == "leak proof cap"
    assert facts["Meet the Aero bottle."].kind == "name"
    assert facts["Get yours today."] is None  # shares no word with any fact
    music = plan.music
    assert music is not None and music.evidence is not None
    assert music.evidence.track_id == music.track_id and music.evidence.offered == 2
    assert music.evidence.score is not None


def test_runner_ups_are_real_clips_scored_as_the_backbone_chose(made, brief) -> None:
    path, _ = made
    plan = load_json(EditPlan, path)
    with MaterialDB(brief / "db") as db:
        material = Material(db=db, videos=db.sources("video"), tracks=[])
        candidates = shot_candidates(material)
    backbone = SimilarityBackbone(SimilaritySettings(text_encoder="none"))
    product, script = load_product(brief / "product.toml"), load_script(brief / "script.txt")
    selection = backbone.select(product, script, candidates, len(script))
    chosen = zip(selection.indices, selection.pool_scores, strict=True)
    rows = {candidates[i].clip.clip_id: row for i, row in chosen}
    where = {(c.clip.clip_id, c.clip.start, c.clip.end): i for i, c in enumerate(candidates)}
    for slot in plan.slots:
        row = rows[slot.clip_id]
        for runner_up in slot.evidence.runner_ups:
            index = where[(runner_up.clip_id, runner_up.start, runner_up.end)]  # a real clip
            assert runner_up.caption == candidates[index].caption
            assert runner_up.score == pytest.approx(row[index], abs=SCORE_TOLERANCE)


def test_a_version_1_plan_loads_and_a_newer_one_is_refused(
    made, tmp_path, cli, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # the table on one line per row
    _, data = made
    old = json.loads(json.dumps(data))
    old["format_version"] = 1
    for slot in old["slots"]:
        del slot["evidence"]
    del old["music"]["evidence"]
    (tmp_path / "old.json").write_text(json.dumps(old))
    plan = load_json(EditPlan, tmp_path / "old.json")
    assert plan.format_version == 1 and all(slot.evidence is None for slot in plan.slots)
    code, out, err = cli("explain", str(tmp_path / "old.json"), "--json")
    assert code == 0, err
    assert {s["evidence"] for s in json.loads(out)["slots"]} == {None}
    assert "no evidence recorded" in cli("explain", str(tmp_path / "old.json"))[1]

    (tmp_path / "new.json").write_text(json.dumps({**data, "format_version": 3}))
    with pytest.raises(
        InputError, match=r"(?s)new\.json.*plan format 3: this autocut reads formats 1 to 2"
    ):
        load_json(EditPlan, tmp_path / "new.json")


def test_explain_marks_a_hand_edited_slot_instead_of_explaining_it(
    made, tmp_path, cli, monkeypatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # the table on one line per row
    _, data = made
    edited = json.loads(json.dumps(data))
    edited["slots"][0]["sentence"] = "A line nobody scored."
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    code, out, err = cli("explain", str(tmp_path / "edited.json"), "--json")
    assert code == 0, err
    first, *rest = json.loads(out)["slots"]
    assert first["stale"] and first["evidence"] is None
    assert all(not s["stale"] and s["evidence"]["runner_ups"] for s in rest)
    code, out, _ = cli("explain", str(tmp_path / "edited.json"))
    assert "edited by hand since" in out and "selling point" in out


def test_explain_html_is_self_contained_and_escapes_hostile_text(brief, tmp_path, cli) -> None:
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    (tmp_path / "product.toml").write_text(
        f'name = {json.dumps(hostile)}\nselling_points = ["leak proof <b>cap</b>"]\n'
    )
    (tmp_path / "script.txt").write_text(
        'Meet the "Aero" <i>bottle</i>.\nIce cold water.\nNo leak <b>cap</b> & more.\nGo.\n'
    )
    args = run_args(brief, tmp_path / "plan.json", "--dry-run", "--json")
    args[args.index("--product") + 1] = str(tmp_path / "product.toml")
    args[args.index("--script") + 1] = str(tmp_path / "script.txt")
    code, _, err = cli(*args)
    assert code == 0, err
    code, _, err = cli("explain", str(tmp_path / "plan.json"), "--html", str(tmp_path / "x.html"))
    assert code == 0, err
    page = (tmp_path / "x.html").read_text()
    assert "<script" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    assert html_escaped(hostile) in page and "&lt;b&gt;cap&lt;/b&gt;" in page
    assert "<b>" not in page and "<i>" not in page
    plan = load_json(EditPlan, tmp_path / "plan.json")
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == len(plan.slots) + sum(len(s.evidence.runner_ups) for s in plan.slots)
    for url in images:  # every picture is in the page itself, and a real PNG
        assert url.startswith("data:image/png;base64,")
        assert base64.b64decode(url.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    assert not re.search(r"""(src|href)=["']?(https?:|/|file:)""", page)
    assert "default-src 'none'" in page


def html_escaped(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_the_backbone_template_refuses_pool_scores_that_disagree() -> None:
    class Liar(FakeBackbone):
        def _select(self, product, script, candidates, count):  # type: ignore[no-untyped-def]
            return Selection(indices=(0,), scores=(0.9,), pool_scores=((0.1, 0.5),))

    from autocut_core.types import Candidate, Clip

    pool = [Candidate(clip=Clip("src", i, i + 1.0)) for i in range(2)]
    with pytest.raises(BackboneAnswerError, match=r"pool score 0\.1 of index 0 but score 0\.9"):
        Liar().select(Product(name="p"), Script(sentences=("a",)), pool, 1)
