"""`autocut tokenizer train|encode` on a real database, and the token round trip to clips."""

from __future__ import annotations

import colorsys
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import IndexOptions, index
from autocut_core.plugins import get_registry
from autocut_core.testing.samples import Scene, make_scene_video
from autocut_core.tokens.grounding import ground_tokens, material_index
from autocut_core.tokens.strings import format_codes

pytestmark = pytest.mark.slow

# Small on purpose: a few hundred vectors cannot feed the paper's 2x512 MLP and 256 codes.
TRAIN_OPTIONS = [
    "--tokenizer-opt", "codebook_size=32", "--tokenizer-opt", "epochs=80",
    "--tokenizer-opt", "batch_size=32", "--tokenizer-opt", "lr=0.003",
    "--tokenizer-opt", "encoder_hidden=[256]", "--tokenizer-opt", "decoder_hidden=[256]",
    "--tokenizer-opt", "codebook_dim=64",
]  # fmt: skip


def _looks(count: int, rng: random.Random) -> list[str]:
    """``count`` visually distinct shots: a colour each, with a moving box of its own."""
    looks = []
    for i in range(count):
        hue, saturation = i / count, 0.5 + 0.25 * ((i * 7) % 3)
        value = 0.45 + 0.5 * ((i * 5) % 4) / 3
        red, green, blue = (int(255 * c) for c in colorsys.hsv_to_rgb(hue, saturation, value))
        box = ["white", "black", "yellow", "0x00ffff"][i % 4]
        looks.append(
            f"color=c=0x{red:02x}{green:02x}{blue:02x}:size={{size}}:rate={{rate}},"
            f"drawbox=x='mod(t*{30 + i},iw)':y='ih*{(i % 5) / 6:.2f}':w='iw/{4 + i % 4}'"
            f":h='ih/4':color={box}:t=fill"
        )
    rng.shuffle(looks)
    return looks


def _run_cli(*args: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCUT_")}
    result = subprocess.run([sys.executable, "-m", "autocut_core.cli", *args], capture_output=True,
                            text=True, env=environment, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path, dict]:
    """12 videos of 4 distinct shots (48 looks), indexed with `histogram`, and a tokenizer
    trained on all their frame and clip vectors."""
    root = tmp_path_factory.mktemp("tokens")
    rng = random.Random(5)
    looks = _looks(48, rng)
    for number in range(12):
        shots = [Scene(round(rng.uniform(1.5, 3.5), 1), looks[4 * number + j]) for j in range(4)]
        make_scene_video(
            root / "footage" / f"v{number:02d}.mp4", shots, size=(160, 90), audio=False
        )
    index([root / "footage"], [], root / "db", IndexOptions())
    report = _run_cli("tokenizer", "train", "--db", str(root / "db"), "-o", str(root / "tok"),
                      "--held-out", "0", *TRAIN_OPTIONS, "--json")  # fmt: skip
    return root / "db", root / "tok", report


def test_training_writes_the_tokenizer_and_reports_code_use(trained):
    _, folder, report = trained
    assert (folder / "tokenizer.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    assert report["level"] == "frame+clip" and report["split"] == "nothing held out"
    assert len(report["utilisation"]) == 8 and min(report["utilisation"]) > 1 / 32
    assert report["collapsed_heads"] == []


def test_tokens_round_trip_to_the_original_clip(trained):
    db_folder, folder, _ = trained
    tokenizer = get_registry().create("tokenizer", "rqvae", {"checkpoint": str(folder)})
    with MaterialDB(db_folder) as db:
        clip_ids, vectors = db.vectors("histogram", "clip")
        codes = tokenizer.encode_batch(vectors)
        text = "".join(f"<|clip_start|>{format_codes(row, 'v')}<|clip_end|>" for row in codes)
        hits = ground_tokens(text, tokenizer, material_index(db, "histogram", "clip"), k=1)
    top1 = float(
        np.mean([found[0].id == clip_id for found, clip_id in zip(hits, clip_ids, strict=True)])
    )
    print(f"token round trip: top-1 = {top1:.3f} over {len(clip_ids)} clips")
    # Measured over 20 training seeds (seed=0..19, this data): top-1 min 0.854, median 0.917,
    # max 0.979 (chance 0.021); seed 0, which this test trains with, gives 0.9375. The
    # threshold sits below the 20-seed minimum: it fails when the round trip breaks, not when
    # floating-point sums come out in another order on another machine.
    assert top1 >= 0.80


def test_a_held_out_split_is_by_source_and_reports_recall(trained, tmp_path):
    db_folder, _, _ = trained
    report = _run_cli("tokenizer", "train", "--db", str(db_folder), "-o", str(tmp_path / "tok"),
                      "--held-out", "0.2", "-k", "5", *TRAIN_OPTIONS, "--tokenizer-opt", "epochs=20",
                      "--json")  # fmt: skip
    assert report["split"] == "3 of 12 sources held out"
    assert 0.0 <= report["recall@1"] <= report["recall@5"] <= 1.0
    assert 0.0 < report["held_out_cosine"] <= 1.0


def test_encode_stores_codes_for_frames_and_clips(trained, cli_json):
    db_folder, folder, _ = trained
    stored = cli_json(
        "tokenizer",
        "encode",
        "--db",
        str(db_folder),
        "--tokenizer-opt",
        f"checkpoint={folder}",
        "--json",
    )
    assert stored["tokenizer"] == folder.name and set(stored["stored"]) == {"frame", "clip"}
    tokenizer = get_registry().create("tokenizer", "rqvae", {"checkpoint": str(folder)})
    with MaterialDB(db_folder) as db:
        ids, codes = db.codes(folder.name, "histogram", "clip")
        clip_ids, vectors = db.vectors("histogram", "clip")
    order = np.argsort(clip_ids)
    assert ids == sorted(clip_ids)
    assert np.array_equal(codes, tokenizer.encode_batch(vectors[order]))


def test_a_tokenizer_refuses_another_encoders_vectors(trained, cli, autocut_fakes, tmp_path):
    db_folder, folder, _ = trained
    tokenizer = get_registry().create("tokenizer", "rqvae", {"checkpoint": str(folder)})
    with pytest.raises(Exception, match="trained on 'histogram' 128-D vectors, not 'fake' 8-D"):
        tokenizer.check_encoder("fake", 8)
    code, _, err = cli("search", "--db", str(db_folder), "--tokens", "<v_0_1>", "--tokenizer-opt",
                       f"checkpoint={folder}")  # fmt: skip
    assert code == 2 and "incomplete" in err.lower()


def test_training_with_too_little_data_is_a_clear_error(tmp_path, cli):
    code, _, err = cli(
        "tokenizer", "train", "--db", str(tmp_path / "none"), "-o", str(tmp_path / "tok")
    )
    assert code == 2 and "no material database here" in err


def test_a_small_database_gets_a_codebook_it_can_fill_with_a_note(trained, tmp_path):
    """As in `dataset build`: unset options shrink to what a few hundred vectors can fill
    (256 codes per head would collapse here); options the user set are kept."""
    db_folder, _, _ = trained
    report = _run_cli("tokenizer", "train", "--db", str(db_folder), "-o", str(tmp_path / "tok"),
                      "--held-out", "0", "--tokenizer-opt", "encoder_hidden=[256]",
                      "--tokenizer-opt", "decoder_hidden=[256]", "--tokenizer-opt",
                      "codebook_dim=64", "--json")  # fmt: skip
    (note,) = report["notes"]
    assert "codebook_size 256 -> " in note and "encoder_hidden" not in note
    config = json.loads((tmp_path / "tok" / "tokenizer.json").read_text())
    assert config["codebook_size"] < 256 and report["collapsed_heads"] == []
