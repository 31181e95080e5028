"""Missing weights (or keys) are reported once, up front, before any file is decoded.

Before, `autocut index --encoder clip` without a checkpoint decoded every file and then failed
each one with "internal error while analysing: MissingWeightsError ...", once per file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocut_core.components import require_ready
from autocut_core.errors import ComponentNotReadyError
from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import ComponentSpec, IndexOptions, index
from autocut_core.plugins import get_registry
from autocut_core.testing import samples


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ready-footage")
    samples.make_scene_video(folder / "a.mp4", samples.scenes_for([1.5, 1.5]), size=(96, 64))
    samples.make_scene_video(folder / "b.mp4", samples.scenes_for([0, 2.0])[1:], size=(96, 64))
    return folder


def test_index_refuses_missing_weights_before_decoding(footage, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache; the hub is offline
    options = IndexOptions(encoder=ComponentSpec.of("clip"))  # its default card, not pulled
    with pytest.raises(ComponentNotReadyError) as info:
        index([footage], [], tmp_path / "db", options)
    message = str(info.value)
    assert message.count("encoder 'clip'") == 1  # one line for the model, not one per file
    assert "clip-vit-b-32 is not in the cache (offline)" in message
    assert "autocut models pull clip-vit-b-32" in message
    assert "open_clip_model.safetensors" in message
    with MaterialDB(tmp_path / "db") as db:
        assert db.sources() == [] and db.failures() == []  # nothing decoded, nothing "failed"


def test_index_cli_exits_2_with_one_line_per_model(cli, in_tmp, footage, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(in_tmp / "hf"))  # an empty cache; the hub is offline
    code, out, err = cli("index", str(footage), "--encoder", "clip", "--db", str(in_tmp / "db"))
    assert code == 2, out + err
    assert err.count("encoder 'clip'") == 1
    assert "internal error" not in err and "a.mp4" not in err


def test_only_the_encoders_a_run_loads_are_checked(footage, tmp_path):
    """No music offered: an audio encoder without weights is never loaded, so not refused."""
    unusable_audio = ComponentSpec.of("panns", {"checkpoint": "/nowhere/Cnn14.pth"})
    report = index([footage], [], tmp_path / "db", IndexOptions(audio_encoder=unusable_audio))
    assert (report.new_videos, report.failed) == (2, [])


def test_run_refuses_a_backbone_without_its_key_before_indexing(cli, in_tmp, footage, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    (in_tmp / "product.toml").write_text('name = "Aero Bottle"\n', encoding="utf-8")
    (in_tmp / "script.txt").write_text("Meet the Aero bottle.\n", encoding="utf-8")
    code, out, err = cli(
        "run", "--product", str(in_tmp / "product.toml"), "--footage", str(footage),
        "--script", str(in_tmp / "script.txt"), "--backbone", "openai",
        "--db", str(in_tmp / "db"), "-o", str(in_tmp / "ad.mp4"), "--dry-run",
    )  # fmt: skip
    assert code == 2, out + err
    assert "backbone 'openai'" in err and "no API key" in err and "OPENAI_API_KEY" in err
    assert not (in_tmp / "db").exists()  # refused before the footage was indexed


def test_require_ready_passes_warnings_and_lists_every_failure():
    registry = get_registry()
    random_clip = registry.create("encoder", "clip", {"random_init": True})  # warn: not semantic
    require_ready([random_clip])
    missing = [
        registry.create("encoder", "clip"),
        registry.create("encoder", "resnet50", {"weights": "/nowhere/resnet50.pth"}),
    ]
    with pytest.raises(ComponentNotReadyError) as info:
        require_ready(missing)
    lines = str(info.value).splitlines()[1:]
    assert [line.split(":")[0].strip() for line in lines] == [
        "encoder 'clip'",
        "encoder 'resnet50'",
    ]
    assert "/nowhere/resnet50.pth" in lines[1]
