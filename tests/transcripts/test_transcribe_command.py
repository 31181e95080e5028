"""`autocut transcribe`: a transcript per file into the database (JSON + SRT files), cached
by content and model, sidecars on request, a bad file one line; older databases upgraded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from autocut_core.errors import TranscriptionError
from autocut_core.materials.database import SCHEMA_VERSION, MaterialDB
from autocut_core.materials.transcription import transcribe_files
from autocut_core.testing import FakeTranscriber
from autocut_core.types import Transcript, TranscriptSegment


def _transcribe(cli, inputs: Path, db: Path, *extra: str) -> dict:
    code, out, err = cli("transcribe", str(inputs), "--db", str(db), "--transcriber", "fake",
                         "--json", *extra)  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_a_video_is_transcribed_once_into_the_database(cli, autocut_fakes, spoken_video, tmp_path):
    db = tmp_path / "db"
    first = _transcribe(cli, spoken_video, db)
    (entry,) = first["files"]
    # espeak's two sentences are three bursts of sound to the fake: it pauses at the comma.
    assert (entry["language"], entry["segments"], entry["words"]) == ("en", 3, 6)
    assert entry["text"] == "sound 1. sound 2. sound 3." and not entry["cached"]
    json_file, srt_file = (Path(path) for path in entry["files"])
    assert json_file.parent == db / "transcripts" and srt_file.suffix == ".srt"
    stored = json.loads(json_file.read_text())
    assert stored["model"] == "fake:fake:v1" and len(stored["segments"][0]["words"]) == 2
    assert srt_file.read_text().startswith("1\n00:00:00,")
    again = _transcribe(cli, spoken_video, db)
    assert again["files"][0]["cached"] and again["files"][0]["text"] == entry["text"]
    with MaterialDB(db, write=False) as opened:
        assert opened.stats()["transcripts"] == 1


def test_sidecar_on_request_never_over_one_that_is_there(
    cli, autocut_fakes, spoken_video, tmp_path
):
    folder = tmp_path / "ads"
    folder.mkdir()
    (folder / "a.mp4").write_bytes(spoken_video.read_bytes())
    (folder / "b.mp4").write_bytes(spoken_video.read_bytes())
    (folder / "b.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nmine\n")
    data = _transcribe(cli, folder, tmp_path / "db", "--sidecar")
    assert data["sidecars"] == [str(folder / "a.srt")]
    assert data["kept_sidecars"] == [str(folder / "b.vtt")]
    assert (folder / "a.srt").read_text().count("-->") == 3
    assert (folder / "b.vtt").read_text().endswith("mine\n")
    # b is a byte copy of a: one transcript serves both contents' paths.
    assert [item["cached"] for item in data["files"]] == [False, True]


def test_a_file_without_sound_is_one_line_and_only_all_failing_is_an_error(
    cli, autocut_fakes, spoken_video, tmp_path
):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.mp4").write_bytes(spoken_video.read_bytes())
    (folder / "broken.mp4").write_bytes(b"not a video at all")
    data = _transcribe(cli, folder, tmp_path / "db")
    errors = {Path(item["path"]).name: item["error"] for item in data["files"]}
    assert errors["good.mp4"] is None and "broken.mp4" in errors
    assert errors["broken.mp4"]
    with pytest.raises(TranscriptionError, match=r"transcribed none of the 1 files"):
        transcribe_files([folder / "broken.mp4"], tmp_path / "db2", FakeTranscriber())


def test_a_schema_3_database_gains_the_transcripts_table(tmp_path):
    db = tmp_path / "db"
    with MaterialDB(db):
        pass
    connection = sqlite3.connect(db / "materials.sqlite", isolation_level=None)
    connection.execute("DROP TABLE transcripts")
    connection.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    connection.close()
    transcript = Transcript("en", (TranscriptSegment("Hi.", 0.0, 1.0),), 1.0, model="m:m:v1")
    with MaterialDB(db) as opened:
        opened.store_transcript("ab" * 32, "/x.mp4", transcript)
        assert opened.stored_transcript("ab" * 32, "m:m:v1") == transcript
        assert opened.stored_transcript("ab" * 32, "other:model:v1") is None
    connection = sqlite3.connect(db / "materials.sqlite")
    version = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    connection.close()
    assert version == (str(SCHEMA_VERSION),) and SCHEMA_VERSION == 4
