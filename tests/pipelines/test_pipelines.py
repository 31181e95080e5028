"""The two pipelines up to the plan (`autocut run --dry-run`): real indexing, real voice lines.

Rendering is tested in tests/render and end to end in test_run_render.py; here the questions
are which clips, which order, which sentence, which music, and what happens with bad input.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocut_core.components import Backbone
from autocut_core.testing import FakeBackbone, samples
from autocut_core.types import Ordering, Selection


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pipeline-inputs")
    footage = root / "footage"
    music = root / "music"
    footage.mkdir()
    music.mkdir()
    samples.make_scene_video(footage / "a-shots.mp4", samples.scenes_for([2, 3, 2, 3]))
    samples.make_scene_video(footage / "b-more.mp4", samples.scenes_for([3, 3]))
    samples.make_music(music / "calm.wav", 12, "calm")
    samples.make_music(music / "energetic.wav", 12, "energetic")
    (root / "product.toml").write_text(
        'name = "Aero Bottle"\nbrand = "Hydra"\nselling_points = ["cold 24 hours", "leak proof"]\n'
    )
    (root / "script.txt").write_text(
        "Meet the Aero bottle.\nIt keeps drinks cold all day.\nNo leaks, ever.\n"
    )
    return root


def _run(cli, inputs: Path, tmp_path: Path, *extra: str) -> tuple[int, dict | None, str]:
    code, out, err = cli(
        "run", "--product", str(inputs / "product.toml"), "--footage", str(inputs / "footage"),
        "--db", str(inputs / "db"), "-o", str(tmp_path / "ad.mp4"), "--dry-run", "--json",
        *extra,
    )  # fmt: skip
    return code, (json.loads(out) if code == 0 else None), err


def _slots(result: dict) -> list[dict]:
    return result["plan"]["slots"]


def test_script_driven_plans_one_voiced_clip_per_sentence(cli, inputs, tmp_path):
    code, result, err = _run(
        cli, inputs, tmp_path, "--script", str(inputs / "script.txt"),
        "--music", str(inputs / "music"), "--backbone", "random",
    )  # fmt: skip
    assert code == 0, err
    slots = _slots(result)
    assert [s["sentence"] for s in slots] == [
        "Meet the Aero bottle.", "It keeps drinks cold all day.", "No leaks, ever.",
    ]  # fmt: skip
    assert len({s["clip_id"] for s in slots}) == 3
    for slot in slots:
        assert Path(slot["voice_path"]).is_file()
        footage = slot["source_out"] - slot["source_in"] + slot["hold"]
        assert footage >= slot["voice_duration"]  # the voice is never cut
    assert Path(result["plan"]["music"]["path"]).parent == inputs / "music"
    assert result["plan"]["pipeline"] == "script-driven"
    assert result["video"] is None and not (tmp_path / "ad.mp4").exists()
    assert result["duration"] == pytest.approx(sum(_durations(slots)), abs=1e-3)


def _durations(slots: list[dict]) -> list[float]:
    return [s["source_out"] - s["source_in"] + s["hold"] for s in slots]


def test_pinned_music_file_is_used_without_asking_the_backbone(cli, inputs, tmp_path):
    track = inputs / "music" / "calm.wav"
    code, result, err = _run(
        cli, inputs, tmp_path, "--script", str(inputs / "script.txt"), "--music", str(track),
        "--backbone", "random",
    )  # fmt: skip
    assert code == 0, err
    assert result["plan"]["music"]["path"] == str(track.resolve())


def test_keep_order_follows_the_footage(cli, inputs, tmp_path):
    code, result, err = _run(
        cli, inputs, tmp_path, "--script", str(inputs / "script.txt"), "--keep-order",
        "--backbone", "random", "--backbone-opt", "seed=3", "--no-voice-over",
    )  # fmt: skip
    assert code == 0, err
    positions = [(Path(s["source_path"]).name, s["source_in"]) for s in _slots(result)]
    assert positions == sorted(positions)
    assert all(s["voice_path"] is None for s in _slots(result))


def test_without_voice_slots_last_long_enough_to_read(cli, inputs, tmp_path):
    code, result, err = _run(
        cli, inputs, tmp_path, "--script", str(inputs / "script.txt"), "--no-voice-over",
        "--backbone", "random", "--trim", "by-clip",
    )  # fmt: skip
    assert code == 0, err
    assert all(d >= 1.5 for d in _durations(_slots(result)))


def test_footage_driven_needs_a_backbone_that_writes(cli, inputs, tmp_path):
    code, _, err = _run(
        cli, inputs, tmp_path, "--pipeline", "footage-driven", "--backbone", "random"
    )
    assert code != 0
    assert "backbone 'random' cannot write_script" in err


def test_footage_driven_one_clip_per_file_with_a_pinned_script(cli, inputs, tmp_path):
    script = tmp_path / "two.txt"
    script.write_text("First the bottle.\nThen the splash.\n")
    code, result, err = _run(
        cli, inputs, tmp_path, "--pipeline", "footage-driven", "--script", str(script),
        "--backbone", "random", "--no-voice-over",
    )  # fmt: skip
    assert code == 0, err
    slots = _slots(result)
    assert sorted(Path(s["source_path"]).name for s in slots) == ["a-shots.mp4", "b-more.mp4"]
    assert [s["sentence"] for s in slots] == ["First the bottle.", "Then the splash."]


def test_footage_driven_writes_the_script(cli, inputs, tmp_path, autocut_fakes):
    code, result, err = _run(
        cli, inputs, tmp_path, "--pipeline", "footage-driven", "--backbone", "fake",
        "--no-voice-over", "--music", str(inputs / "music"),
    )  # fmt: skip
    assert code == 0, err
    assert len(_slots(result)) == 2 and all(s["sentence"] for s in _slots(result))


def test_more_sentences_than_clips_is_a_clear_error(cli, inputs, tmp_path):
    script = tmp_path / "long.txt"
    script.write_text("\n".join(f"Sentence number {i}." for i in range(12)))
    code, _, err = _run(cli, inputs, tmp_path, "--script", str(script), "--backbone", "random")
    assert code != 0
    assert "12 sentences but the footage has only" in err


def test_a_broken_file_is_a_note_and_the_rest_is_used(cli, inputs, tmp_path):
    footage = tmp_path / "footage"
    footage.mkdir()
    (footage / "good.mp4").symlink_to(inputs / "footage" / "a-shots.mp4")
    (footage / "broken.mp4").write_bytes(b"not a video at all")
    code, out, err = cli(
        "run", "--product", str(inputs / "product.toml"), "--footage", str(footage),
        "--script", str(inputs / "script.txt"), "--db", str(tmp_path / "db"),
        "-o", str(tmp_path / "ad.mp4"), "--dry-run", "--json", "--backbone", "random",
        "--no-voice-over",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert any("broken.mp4" in note for note in result["notes"])
    assert len(_slots(result)) == 3


def test_no_usable_footage_is_an_error_naming_it(cli, inputs, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00" * 100)
    code, _, err = cli(
        "run", "--product", str(inputs / "product.toml"), "--footage", str(broken),
        "--script", str(inputs / "script.txt"), "--db", str(tmp_path / "db"), "--dry-run",
        "--backbone", "random",
    )  # fmt: skip
    assert code != 0
    assert "no usable footage" in err and "broken.mp4" in err


def test_script_driven_without_a_script_says_so(cli, inputs, tmp_path):
    code, _, err = _run(cli, inputs, tmp_path, "--backbone", "random")
    assert code != 0
    assert "needs a script" in err


def test_a_music_path_that_does_not_exist_is_an_error_not_a_silent_ad(cli, inputs, tmp_path):
    typo = tmp_path / "musik"
    code, _, err = _run(cli, inputs, tmp_path, "--script", str(inputs / "script.txt"),
                        "--music", str(inputs / "music"), "--music", str(typo),
                        "--backbone", "random")  # fmt: skip
    assert code == 2
    assert f"--music: no such file or folder: {typo}" in err


def test_a_dry_run_writes_the_plan_for_autocut_render(cli, inputs, tmp_path):
    from autocut_core import serde
    from autocut_core.types import EditPlan

    code, result, err = _run(cli, inputs, tmp_path, "--script", str(inputs / "script.txt"),
                             "--backbone", "random")  # fmt: skip
    assert code == 0, err
    beside = tmp_path / "ad.plan.json"  # -o ad.mp4: where a full run puts its plan
    assert result["side_outputs"] == {"plan": str(beside)}
    assert serde.to_data(serde.load_json(EditPlan, beside)) == result["plan"]
    assert not (tmp_path / "ad.mp4").exists()
    code, out, err = cli(
        "run", "--product", str(inputs / "product.toml"), "--footage", str(inputs / "footage"),
        "--db", str(inputs / "db"), "--script", str(inputs / "script.txt"), "--backbone",
        "random", "--dry-run", "-o", str(tmp_path / "draft.json"),
    )  # fmt: skip
    assert code == 0, err
    assert serde.load_json(EditPlan, tmp_path / "draft.json").slots
    assert f"plan: {tmp_path / 'draft.json'}" in out


class DuplicatingBackbone(FakeBackbone):
    name = "duplicating"

    def _select(self, product, script, candidates, count):
        return Selection(indices=(0,) * count)


class NonPermutingBackbone(FakeBackbone):
    name = "non-permuting"

    def _sort(self, product, script, candidates):
        return Ordering(order=tuple(0 for _ in candidates))


class _Plugin:
    from autocut_core import hookimpl

    @staticmethod
    @hookimpl
    def register_backbones(register):
        register(DuplicatingBackbone)
        register(NonPermutingBackbone)


@pytest.mark.parametrize(
    ("backbone", "message"),
    [("duplicating", "repeated indices"), ("non-permuting", "not a permutation")],
)
def test_invalid_backbone_answers_are_refused(
    cli, inputs, tmp_path, autocut_plugin, backbone, message
):
    autocut_plugin(_Plugin, name="bad-backbones")
    code, _, err = _run(
        cli, inputs, tmp_path, "--script", str(inputs / "script.txt"), "--backbone", backbone,
        "--no-voice-over",
    )  # fmt: skip
    assert code != 0
    assert f"backbone '{backbone}'" in err and message in err


def test_backbone_classes_declare_token_needs():
    assert Backbone.needs_tokens is False


@pytest.mark.slow
def test_render_re_voices_an_edited_plan(cli, inputs, tmp_path):
    """`autocut render`: a sentence edited and a voice file lost are spoken again, refitted."""
    code, result, err = _run(
        cli, inputs, tmp_path, "--script", str(inputs / "script.txt"), "--backbone", "random",
        "--music", str(inputs / "music" / "calm.wav"),
    )  # fmt: skip
    assert code == 0, err
    plan = result["plan"]
    plan["render"].update(width=180, height=320, fps=15)
    Path(plan["slots"][0]["voice_path"]).unlink()
    plan["slots"][1]["sentence"] = "A much longer second sentence, spoken again after the edit."
    edited = tmp_path / "edited.plan.json"
    edited.write_text(json.dumps(plan))
    code, out, err = cli("render", str(edited), "-o", str(tmp_path / "v2.mp4"), "--json")
    assert code == 0, err
    rendered = json.loads(out)
    assert Path(rendered["video"]).stat().st_size > 0
    slots = rendered["plan"]["slots"]
    assert all(Path(slot["voice_path"]).is_file() for slot in slots)
    assert slots[1]["voice_text"] == slots[1]["sentence"]  # the edited sentence was re-spoken
    assert slots[1]["voice_duration"] > plan["slots"][1]["voice_duration"] + 1.0
    # the plan was refitted to the voice lines it now has
    for slot in slots:
        assert slot["source_out"] - slot["source_in"] + slot["hold"] >= slot["voice_duration"]
    assert set(rendered["side_outputs"]) >= {"srt", "plan", "otio", "contact_sheet"}


def test_render_names_a_missing_plan(cli, tmp_path):
    code, _, err = cli("render", str(tmp_path / "nope.plan.json"))
    assert code != 0 and "nope.plan.json" in err


def test_outputs_that_cannot_be_written_are_refused_before_any_work(cli, inputs, tmp_path):
    """A name whose side files would pass 255 bytes (``<stem>.contact.png``) failed after the
    render, with the MP4 written and the rest not; a folder at -o failed after the render."""
    base = ("run", "--product", str(inputs / "product.toml"), "--script",
            str(inputs / "script.txt"), "--footage", str(tmp_path / "never-indexed"))  # fmt: skip
    long_name = tmp_path / ("o" * 245 + ".mp4")  # the MP4 fits; "<stem>.contact.png" is 257
    code, _, err = cli(*base, "-o", str(long_name))
    assert code == 2 and "the output's name is too long" in err and "257 bytes" in err
    (tmp_path / "folder.mp4").mkdir()
    code, _, err = cli(*base, "-o", str(tmp_path / "folder.mp4"))
    assert code == 2 and "folder.mp4: the output is a directory" in err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["folder.mp4"]  # nothing made


def test_render_names_the_slot_whose_footage_is_gone(cli, inputs, tmp_path):
    """A hand-edited plan pointing at a file that no longer exists: the error says which slot."""
    from autocut_core import serde
    from autocut_core.types import EditPlan, Slot

    real, gone = str(inputs / "footage" / "a-shots.mp4"), str(tmp_path / "moved away.mp4")
    plan = EditPlan(slots=(Slot("c1", real, 0.0, 1.0, "One."), Slot("c2", gone, 0.0, 1.0, "Two.")))
    path = tmp_path / "edited.plan.json"
    path.write_text(serde.dumps(plan), encoding="utf-8")
    code, _, err = cli("render", str(path), "-o", str(tmp_path / "v2.mp4"))
    assert code == 2
    assert err.strip() == f"Error: {gone}: footage of slot 2 (c2): file not found"
