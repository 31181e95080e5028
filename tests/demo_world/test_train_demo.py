"""The demo model's recipe at toy scale: world -> build -> align -> sft -> artefact -> eval.

The same script and steps as `nox -s train-demo`, with ten small ads and a tiny random
Qwen3 instead of SmolLM2, so that it runs in about a minute; then a second run that finds
every step done.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

RECIPE = Path(__file__).resolve().parents[2] / "examples" / "demo" / "train_demo.py"


def _recipe_module():
    spec = importlib.util.spec_from_file_location("train_demo", RECIPE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["train_demo"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory: pytest.TempPathFactory):
    train_demo = _recipe_module()
    root = tmp_path_factory.mktemp("train-demo")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    lines: list[str] = []
    recipe = train_demo.Recipe(
        root / "work", root / "model", train_demo.SCALES["toy"], lines.append
    )
    times = train_demo.run(recipe)
    return train_demo, recipe, times, lines


def test_every_step_runs_and_is_timed(toy_run):
    train_demo, recipe, times, _ = toy_run
    assert list(times) == list(train_demo.STEPS)
    assert all(entry["seconds"] is not None for entry in times.values())
    world = json.loads((recipe.ads / "world.json").read_text(encoding="utf-8"))
    assert world["ads"] == train_demo.SCALES["toy"].ads
    summary = json.loads((recipe.data / "summary.json").read_text(encoding="utf-8"))
    assert summary["encoder"] == "efficientnet"
    assert summary["options"]["max_frames_per_clip"] == 1
    assert summary["ads"]["sft"] == world["ads"] and summary["records"]["sft"]["val"]["sort"] >= 1


def test_the_model_folder_holds_a_small_loadable_artefact(toy_run):
    train_demo, recipe, _, _ = toy_run
    model = recipe.model
    info = json.loads((model / "model.json").read_text(encoding="utf-8"))
    assert 0 < info["sizes"]["weights_bytes"] < train_demo.MAX_ARTEFACT_BYTES
    artefact = json.loads((model / "lm" / "artefact.json").read_text(encoding="utf-8"))
    assert artefact["stage"] == "sft" and artefact["mode"] == "lora"
    assert (model / "lm" / "new_rows.safetensors").is_file()
    for kind in ("video", "audio"):
        assert (model / "tokenizers" / kind / "tokenizer.safetensors").is_file()
        assert not list((model / "tokenizers" / kind).glob("resume*"))
    assert info["training"]["sft"]["steps"] >= 1
    assert 'backbone = "lm"' in (model / "autocut.toml").read_text(encoding="utf-8")


def test_the_table_compares_every_system(toy_run):
    train_demo, recipe, _, _ = toy_run
    table = (recipe.model / "eval.md").read_text(encoding="utf-8")
    header, _, *rows = table.split("\n\n")[1].splitlines()
    assert "CSA" in header and "Hit@1" in header
    assert [row.split("|")[1].strip() for row in rows] == list(train_demo.SYSTEMS)
    summaries = {
        name: json.loads((recipe.evals / name / "summary.json").read_text(encoding="utf-8"))
        for name in train_demo.SYSTEMS
    }
    assert "script" not in summaries["random"]["metrics"]  # random cannot write a script
    for name in ("lm", "lm-likelihood"):  # the trained model answers every task
        metrics = summaries[name]["metrics"]
        assert set(metrics) == {"select", "sort", "script", "music"}
        # constrained decoding or assignment: even a random tiny model's answers are valid
        assert all(metrics[task]["valid"] == 1.0 for task in ("select", "sort", "music"))
    report = (recipe.work / "report.md").read_text(encoding="utf-8")
    assert "| total |" in report and "Artefact:" in report


def test_a_second_run_finds_every_step_done(toy_run):
    train_demo, recipe, _, _ = toy_run
    lines: list[str] = []
    again = train_demo.Recipe(recipe.work, recipe.model, recipe.scale, lines.append)
    train_demo.run(again)
    assert not any(line.startswith("$ autocut") for line in lines)
    assert sum("already done" in line for line in lines) == len(train_demo.STEPS)
