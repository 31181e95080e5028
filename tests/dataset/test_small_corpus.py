"""`autocut dataset build` from one ad up: small-data tokenizers with notes, filters that say
what they removed and why, and an error naming the filter that empties a corpus.

Three synthetic ads (9.0, 12.1 and 9.3 s; 3, 4 and 3 sentence clips, each ad with a clip
shorter than 3 s), indexed with the weight-free encoders. The tokenizers keep the paper's
codebook, batch and epochs unset, so the build must size them for the data itself; only
their widths are small, to keep the training to seconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autocut_core.errors import InputError
from autocut_core.testing.synthetic_ads import make_synthetic_ads

from .conftest import autocut

SMALL_WIDTHS = [
    f"--{flag}-opt={option}"
    for flag in ("tokenizer", "audio-tokenizer")
    for option in ("encoder_hidden=[32]", "decoder_hidden=[32]", "codebook_dim=16")
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_synthetic_ads(
        tmp_path_factory.mktemp("small") / "ads", n_ads=3, seed=3, bad=()
    ).folder


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "autocut.toml"
    path.write_text("[index]\ndense_fps = 2\n", encoding="utf-8")
    return path


def build(ads: Path, out: Path, config: Path, *extra: str) -> dict:
    output = autocut(
        "dataset", "build", str(ads), "-o", str(out), "--config", str(config), "--jobs", "1",
        "--encoder", "histogram", "--audio-encoder", "logmel", *extra, "--json",
    )  # fmt: skip
    return json.loads(output)


@pytest.fixture(scope="module")
def three(corpus, config, tmp_path_factory, torch_threads) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("three") / "data"
    return out, build(corpus, out, config, *SMALL_WIDTHS)


def test_one_ad_builds_both_corpora_and_says_what_it_left_out(three, corpus, config, tmp_path):
    ads = tmp_path / "ads"
    ads.mkdir()
    for path in corpus.glob("ad01.*"):
        shutil.copy(path, ads / path.name)
    # The three-ad build's database already holds ad01 (no indexing); the tokenizer trains on
    # ad01's vectors alone, all the build reads from it.
    summary = build(ads, tmp_path / "data", config, "--db", str(three[0] / "db"), *SMALL_WIDTHS)
    assert summary["ads"] == {"found": 1, "skipped": 0, "alignment": 1, "sft": 1}
    assert summary["records"]["align"] == {"train": 1, "val": 0}
    assert summary["records"]["sft"]["train"] == {"select": 1, "sort": 1, "script": 1, "music": 0}
    video = summary["tokenizers"]["video"]
    assert video["trained_here"] and video["codebook_size"] == 2 and video["heads"] == 8
    assert "audio" not in summary["tokenizers"]
    notes = summary["notes"]
    assert any(
        note.startswith("no music tokens and no music records: only 1 'logmel' vector(s)")
        for note in notes
    )
    assert any(
        note.startswith("rqvae: only ") and "codebook_size 256 -> 2" in note
        and "epochs 20 -> 100" in note
        for note in notes
    )  # fmt: skip
    assert (tmp_path / "data" / "tokenizers" / "video" / "tokenizer.json").is_file()


def test_three_ads_train_both_tokenizers_on_what_they_have(three):
    out, summary = three
    assert summary["ads"]["sft"] == 3
    audio = summary["tokenizers"]["audio"]
    assert audio["trained_here"] and audio["codebook_size"] == 2  # 2 training tracks
    assert summary["records"]["sft"]["train"]["music"] == 2
    assert any(note.startswith("rqvae-audio: only 2 training vectors") for note in summary["notes"])
    config = json.loads((out / "tokenizers" / "audio" / "tokenizer.json").read_text())
    assert config["preset"] == "reference" and config["report"]["collapsed_heads"] == []


def _reuse(out: Path) -> list[str]:
    """Options that reuse the three-ad build's database and tokenizers (no training)."""
    return [
        "--db", str(out / "db"),
        "--tokenizer-opt", f"checkpoint={out / 'tokenizers' / 'video'}",
        "--audio-tokenizer-opt", f"checkpoint={out / 'tokenizers' / 'audio'}",
    ]  # fmt: skip


def test_filters_report_what_they_removed_and_why(three, config, corpus, tmp_path):
    out, _ = three
    summary = build(corpus, tmp_path / "data", config, *_reuse(out), "--min-clips", "4")
    result = summary["filters"]["clip_count"]
    assert (result["removed"], result["ads"]) == (2, ["ad01", "ad03"])
    assert result["why"] == "too few sentence clips"
    assert result["examples"] == [
        {"ad_id": "ad01", "reason": "3 clip(s), at least 4 needed"},
        {"ad_id": "ad03", "reason": "3 clip(s), at least 4 needed"},
    ]
    assert summary["ads"]["sft"] == 1 and summary["ads"]["alignment"] == 3
    text = autocut(
        "dataset", "build", str(corpus), "-o", str(tmp_path / "data"), "--config", str(config),
        "--encoder", "histogram", "--audio-encoder", "logmel", *_reuse(out), "--min-clips", "4",
    )  # fmt: skip
    assert "  filter clip_count: removed 2 (too few sentence clips)\n" in text
    assert "    ad01: 3 clip(s), at least 4 needed\n" in text


def test_a_filter_that_empties_the_sft_corpus_is_an_error_naming_it(
    three, config, corpus, tmp_path
):
    out, _ = three
    # The audit's case: --min-clip 3 removed every ad from the SFT corpus without a word.
    with pytest.raises(InputError) as caught:
        build(corpus, tmp_path / "data", config, *_reuse(out), "--min-clip", "3")
    message = str(caught.value)
    assert (
        "the SFT corpus would be empty: of the 3 readable ad(s), filter 'clip_duration' " in message
    )
    assert "removed 3 (a sentence clip is too short or too long; e.g. ad01: clip 1" in message
    assert "(allowed 3-60 s)); loosen it with --min-clip, --max-clip" in message
    assert not (tmp_path / "data" / "summary.json").exists()
