"""Issue 5 end to end: ads generated here -> `autocut dataset build` -> both training stages.

The corpora the builder writes are exactly what `autocut train align|sft` read; the SFT
stage's loss on the held-out ad's select, sort and music answers must fall clearly below
where it started.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import autocut, read_jsonl

pytestmark = pytest.mark.slow


def _grid(folder: Path) -> str:
    from autocut_plugins.lm.vocab import codes_from_tokenizer_folder

    spec = codes_from_tokenizer_folder(folder)
    return f"{spec.heads}x{spec.codebook_size}"


def _texts(data: Path) -> list[str]:
    texts = [record["text"] for record in read_jsonl(data / "align" / "train.jsonl")]
    for record in read_jsonl(data / "sft" / "train.jsonl"):
        texts += [record.get("system", "")] + [turn["value"] for turn in record["conversations"]]
    return texts


def _held_out_structured(data: Path, folder: Path) -> Path:
    """The validation ad's records but its script: the answers that training ads can teach.

    The script answer is new sentences in the held-out ad's language (Chinese on every seed
    measured, with one Chinese ad among the seven trained on), which a model this small does
    not learn: in the runs inspected its loss went from 7.1 to 6.7..9.8 nats by seed and recipe,
    and at two thirds to three quarters of the validation answer tokens it decided the old
    test's outcome (see the comment on the threshold).
    """
    train_ads = {record["ad_id"] for record in read_jsonl(data / "sft" / "train.jsonl")}
    records = [r for r in read_jsonl(data / "sft" / "val.jsonl") if r["task"] != "script"]
    assert records and not {r["ad_id"] for r in records} & train_ads
    path = folder / "val_structured.jsonl"
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_both_stages_train_on_the_built_corpora(built, tmp_path, monkeypatch):
    from autocut_plugins.lm.tiny import make_tiny_base

    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    data = built.folder
    base = make_tiny_base(tmp_path / "base", _texts(data))
    grids = [
        "--video-codes", _grid(data / "tokenizers" / "video"),
        "--audio-codes", _grid(data / "tokenizers" / "audio"),
    ]  # fmt: skip
    align_args = [
        "train", "align", "--data", str(data / "align" / "train.jsonl"), "--base", str(base),
        "-o", str(tmp_path / "align"), "--epochs", "2", "--lr", "3e-3", "--batch-size", "2",
        "--cutoff", "1024", "--no-bf16", *grids, "--json",
    ]  # fmt: skip
    align = json.loads(autocut(*align_args))
    assert align["status"] == "finished" and align["last_loss"] < align["first_loss"]
    sft_args = [
        "train", "sft", "--data", str(data / "sft" / "train.jsonl"),
        "--val", str(_held_out_structured(data, tmp_path)), "--from", str(tmp_path / "align"),
        "-o", str(tmp_path / "sft"), "--full", "--epochs", "10", "--lr", "3e-3",
        "--warmup-ratio", "0.2", "--batch-size", "2", "--cutoff", "2048", "--no-bf16", *grids,
        "--json",
    ]  # fmt: skip
    sft = json.loads(autocut(*sft_args))
    assert sft["status"] == "finished"
    print(f"held-out SFT loss {sft['first_val_loss']:.3f} -> {sft['last_val_loss']:.3f}")
    # 7 training ads teach the held-out ad's select/sort/music answers (indices, permutations,
    # the audio-token layout and codes): their loss falls smoothly from ~7 to 1.2-1.8 nats.
    # The drop, measured over 20 seeds (seed s of the ads = 3 + s, of the tiny base = s,
    # training seed 42 + s; s = 0..9, 11..20, as s = 10's build stops on an audio codebook
    # collapse; ~11 s of SFT a run): min 5.23, median 5.42, max 5.78; threshold 4.0 (this
    # seed 5.32). The old recipe (lr 5e-3, 10 % warm-up, the script answer in the validation
    # set) on the same seeds: min -0.81, median 1.07, max 2.16; 9 of 20 under its threshold
    # of 1.0, 4 ending above where they started.
    assert sft["last_val_loss"] < sft["first_val_loss"] - 4.0
