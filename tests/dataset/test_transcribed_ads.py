"""`autocut dataset build` without transcript sidecars: the transcriber times the sentences
(stored, so a re-run asks it nothing) and the summary says which ads were timed how."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from autocut_plugins.whisper_tiny import tiny_whisper_folder

from autocut_core.testing.synthetic_ads import make_synthetic_ads

from .conftest import autocut, read_jsonl
from .test_small_corpus import SMALL_WIDTHS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_synthetic_ads(
        tmp_path_factory.mktemp("asr") / "ads", n_ads=3, seed=3, bad=(), zh_share=0.0
    ).folder
    sidecars = sorted(p for p in folder.iterdir() if p.suffix in (".srt", ".vtt", ".json"))
    for sidecar in sidecars[1:]:  # the first ad keeps its transcript, two lose theirs
        sidecar.unlink()
    return folder


def _build(ads: Path, out: Path, *extra: str) -> dict:
    config = out.parent / "autocut.toml"
    config.write_text("[index]\ndense_fps = 2\n", encoding="utf-8")
    return json.loads(autocut(
        "dataset", "build", str(ads), "-o", str(out), "--config", str(config), "--jobs", "1",
        "--encoder", "histogram", "--audio-encoder", "logmel", *SMALL_WIDTHS,
        "--transcriber", "faster-whisper", "--transcriber-opt", f"model={tiny_whisper_folder()}",
        *extra, "--json",
    ))  # fmt: skip


def test_ads_without_sidecars_are_timed_by_the_transcriber(ads, tmp_path, torch_threads):
    # The faster-whisper plugin comes by its entry point, as a user's install has it.
    out = tmp_path / "data"
    summary = _build(ads, out)
    timing = summary["sentence_timing"]
    key = f"faster-whisper:{tiny_whisper_folder()}:v1"
    assert timing["transcriber"] == key and timing["note"] == ""
    with_sidecar, *without = sorted(p.stem for p in ads.glob("*.mp4"))
    assert timing["ads"]["sidecar"] == [with_sidecar]
    assert timing["ads"][f"transcriber {key} (word times)"] == without
    manifest = {ad["ad_id"]: ad for ad in read_jsonl(out / "ads.jsonl")}
    assert manifest[without[0]]["sentence_timing"] == f"transcriber {key} (word times)"
    assert manifest[without[0]]["transcript"] is None
    connection = sqlite3.connect(out / "db" / "materials.sqlite")
    stored = connection.execute("SELECT path, written_at FROM transcripts ORDER BY path").fetchall()
    connection.close()
    assert [Path(path).stem for path, _ in stored] == without
    # Again: the transcripts come from the database, the model is not asked.
    _build(ads, tmp_path / "again", "--db", str(out / "db"))
    connection = sqlite3.connect(out / "db" / "materials.sqlite")
    assert (
        connection.execute("SELECT path, written_at FROM transcripts ORDER BY path").fetchall()
        == stored
    )
    connection.close()


def test_without_a_transcriber_they_are_skipped_and_the_summary_says_why(
    ads, tmp_path, torch_threads
):
    summary = _build(ads, tmp_path / "data", "--no-transcribe")
    timing = summary["sentence_timing"]
    assert timing["transcriber"] is None
    assert timing["note"] == "transcription turned off (--no-transcribe)"
    skipped = {entry["ad_id"]: entry["reason"] for entry in summary["skipped"]}
    assert len(skipped) == 2 and all(
        r.startswith("no transcript: expected") for r in skipped.values()
    )
