"""`autocut index` on real (generated and recorded) media: cuts, resume, bad input, encoders."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from autocut_core.materials.database import MaterialDB, PathStat
from autocut_core.materials.indexing import ComponentSpec, IndexOptions, index, segment_video
from autocut_core.testing.samples import make_corrupt_files, make_scene_video, scenes_for

pytestmark = pytest.mark.slow

SHOTS = {
    "three_shots.mp4": [2.0, 3.0, 2.5],
    "four_shots.mp4": [1.5, 2.5, 2.0, 3.0],
    "one_shot.mp4": [4.0],
}


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("footage")
    for offset, (name, durations) in enumerate(SHOTS.items()):
        scenes = scenes_for([0] * offset + durations)[offset:]  # a different look per file
        make_scene_video(folder / name, scenes, size=(192, 108), audio=name != "one_shot.mp4")
    (folder / "notes.txt").write_text("not footage", encoding="utf-8")
    return folder


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCUT_")}
    return subprocess.run([sys.executable, "-m", "autocut_core.cli", *args], capture_output=True,
                          text=True, env=environment, check=False)  # fmt: skip


def _expected_cuts(durations):
    return list(np.cumsum(durations)[:-1])


def test_index_builds_the_database_with_known_cuts(footage, tmp_path):
    report = index([footage], [], tmp_path / "db", IndexOptions())
    assert (report.new_videos, report.failed) == (3, [])
    with MaterialDB(tmp_path / "db") as db:
        by_name = {Path(s.path).name: s for s in db.sources()}
        assert set(by_name) == set(SHOTS)
        for name, durations in SHOTS.items():
            source = by_name[name]
            clips = db.clips(source.source_id)
            starts = [clip.start for clip in clips[1:]]
            assert starts == pytest.approx(_expected_cuts(durations), abs=0.11), name
            assert clips[-1].end == pytest.approx(sum(durations), abs=0.1)
            frames = db.frames(source.source_id)
            assert [second for _, second, _ in frames] == list(range(int(np.ceil(sum(durations)))))
        assert by_name["one_shot.mp4"].has_audio is False
        assert by_name["three_shots.mp4"].has_audio is True
        ids, vectors = db.vectors("histogram", "clip")
        assert len(ids) == report.clips == 3 + 4 + 1
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)


def test_second_run_does_no_work_and_copies_cost_nothing(footage, tmp_path):
    index([footage], [], tmp_path / "db", IndexOptions())
    with MaterialDB(tmp_path / "db") as db:
        before = db.dump()
    again = index([footage], [], tmp_path / "db", IndexOptions())
    assert (again.unchanged, again.new_videos, again.decoded_frames) == (3, 0, 0)
    copy = tmp_path / "copy"
    copy.mkdir()
    shutil.copy(footage / "three_shots.mp4", copy / "renamed.mp4")
    copied = index([copy], [], tmp_path / "db", IndexOptions())
    assert (copied.unchanged, copied.decoded_frames) == (1, 0)
    with MaterialDB(tmp_path / "db") as db:
        assert db.dump() == before
        assert db.stats()["paths"] == 4


def test_a_changed_file_replaces_its_old_rows(footage, tmp_path):
    folder = tmp_path / "footage"
    shutil.copytree(footage, folder)
    index([folder], [], tmp_path / "db", IndexOptions())
    shutil.copy(folder / "one_shot.mp4", folder / "three_shots.mp4")  # new content, same path
    report = index([folder], [], tmp_path / "db", IndexOptions())
    assert report.unchanged == 3  # the new content is already known (as one_shot.mp4)
    with MaterialDB(tmp_path / "db") as db:
        assert len(db.sources()) == 2
        assert len(db.clips()) == 4 + 1


def test_parallel_and_serial_runs_agree(footage, tmp_path):
    index([footage], [], tmp_path / "serial", IndexOptions(jobs=1))
    index([footage], [], tmp_path / "parallel", IndexOptions(jobs=2))
    with MaterialDB(tmp_path / "serial") as serial, MaterialDB(tmp_path / "parallel") as parallel:
        assert serial.dump() == parallel.dump()


def test_a_second_encoder_adds_vectors_without_recutting(footage, tmp_path, autocut_fakes):
    index([footage], [], tmp_path / "db", IndexOptions())
    options = replace(IndexOptions(), encoder=ComponentSpec("fake"))
    report = index([footage], [], tmp_path / "db", options)
    assert (report.embedded, report.new_videos) == (3, 0)
    with MaterialDB(tmp_path / "db") as db:
        fake_ids, fake_vectors = db.vectors("fake", "clip")
        histogram_ids, _ = db.vectors("histogram", "clip")
        assert sorted(fake_ids) == sorted(histogram_ids)
        assert fake_vectors.shape[1] == 8


def test_bad_files_get_one_line_each_and_the_rest_is_indexed(tmp_path):
    broken = make_corrupt_files(tmp_path / "broken")
    result = _cli("index", str(tmp_path / "broken"), "--db", str(tmp_path / "db"), "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    reasons = {Path(item["path"]).name: item["reason"] for item in report["failed"]}
    assert "valid.mp4" not in reasons
    expected_failures = {"truncated_index.mp4", "random_bytes.mp4", "empty.mp4", "zero_duration.mp4",
                         "text.mp4", "loop_a.mp4", "loop_b.mp4"}  # fmt: skip
    assert expected_failures <= set(reasons), reasons
    assert reasons["empty.mp4"] == "empty file (0 bytes)"
    assert reasons["loop_a.mp4"] == "symlink loop"
    assert all("\n" not in reason and "Traceback" not in reason for reason in reasons.values())
    assert report["new_videos"] == 1  # valid.mp4
    assert report["unchanged"] == ("non_utf8_name" in broken)  # its copy under a non-UTF-8 name
    with MaterialDB(tmp_path / "db") as db:
        assert {Path(p).name for p, _ in db.failures()} >= expected_failures
        if "non_utf8_name" in broken:
            assert db.known_path(PathStat.of(broken["non_utf8_name"])) is not None
    text = _cli("index", str(tmp_path / "broken"), "--db", str(tmp_path / "db"))
    assert text.returncode == 1
    assert "FAILED" in text.stdout and "empty.mp4: empty file (0 bytes)" in text.stdout


def test_audio_only_and_missing_inputs_are_reported(tmp_path, footage):
    result = _cli("index", str(footage / "three_shots.mp4"), str(tmp_path / "missing.mp4"),
                  "--db", str(tmp_path / "db"), "--json")  # fmt: skip
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["new_videos"] == 1
    assert report["failed"] == [
        {"path": str(tmp_path / "missing.mp4"), "reason": "not found (or a broken symlink)"}
    ]


def _wait_for_first_source(db_file: Path, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if db_file.exists():
            try:
                with sqlite3.connect(db_file, timeout=1) as connection:
                    if connection.execute("SELECT COUNT(*) FROM sources").fetchone()[0] >= 1:
                        return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.02)
    raise AssertionError("the indexer never committed a source")


def test_sigkill_mid_run_then_rerun_equals_an_uninterrupted_run(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(6):
        make_scene_video(folder / f"video_{number}.mp4", scenes_for([1.0 + number * 0.5, 2.0, 1.5]),
                         size=(160, 90), audio=False)  # fmt: skip
    clean = _cli("index", str(folder), "--db", str(tmp_path / "clean"), "--jobs", "1")
    assert clean.returncode == 0, clean.stderr

    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCUT_")}
    command = [
        sys.executable,
        "-m",
        "autocut_core.cli",
        "index",
        str(folder),
        "--db",
        str(tmp_path / "killed"),
        "--jobs",
        "1",
    ]
    process = subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for_first_source(tmp_path / "killed" / "materials.sqlite", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with sqlite3.connect(tmp_path / "killed" / "materials.sqlite") as connection:
        partial = connection.execute("SELECT COUNT(*) FROM sources").fetchone()[0]
    assert 1 <= partial < 6, "kill the run mid-way, not before or after"

    resumed = _cli("index", str(folder), "--db", str(tmp_path / "killed"), "--jobs", "1", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["unchanged"] == partial
    with MaterialDB(tmp_path / "clean") as clean_db, MaterialDB(tmp_path / "killed") as killed_db:
        assert killed_db.dump() == clean_db.dump()
        assert killed_db.stats()["vector_sets"][0]["unreferenced_rows"] == 0


def test_real_recorded_footage(tmp_path):
    samples = Path("/usr/share/doc/opencv-doc/examples/data")
    videos = [samples / "tree.avi", samples / "vtest.avi"]
    assert all(video.exists() for video in videos), "bootstrap installs Debian's opencv-doc"
    report = index(videos, [], tmp_path / "db", IndexOptions(jobs=2))
    assert (report.new_videos, report.failed) == (2, [])
    with MaterialDB(tmp_path / "db") as db:
        stats = db.stats()
        assert stats["video_seconds"] == pytest.approx(29.6 + 79.5, abs=1.0)
        assert stats["frames"] >= 100


def test_segment_command_prints_and_exports(footage, tmp_path):
    result = segment_video(footage / "four_shots.mp4", IndexOptions())
    assert [start for start, _ in result.clips[1:]] == pytest.approx(
        _expected_cuts(SHOTS["four_shots.mp4"]), abs=0.11
    )
    printed = _cli("segment", str(footage / "four_shots.mp4"), "--csv", str(tmp_path / "cuts.csv"))
    assert printed.returncode == 0, printed.stderr
    assert "4 clip(s)" in printed.stdout
    rows = (tmp_path / "cuts.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("Scene Number,Start Timecode")
    assert len(rows) == 5


def test_segment_exports_an_otio_timeline(footage, tmp_path):
    import opentimelineio as otio

    exported = _cli(
        "segment", str(footage / "four_shots.mp4"), "--otio", str(tmp_path / "cuts.otio")
    )
    assert exported.returncode == 0, exported.stderr
    timeline = otio.adapters.read_from_file(str(tmp_path / "cuts.otio"))
    clips = list(timeline.find_clips())
    assert len(clips) == 4
    assert clips[1].source_range.start_time.to_seconds() == pytest.approx(1.5, abs=0.11)
    assert clips[0].media_reference.target_url.endswith("four_shots.mp4")
    assert sum(c.source_range.duration.to_seconds() for c in clips) == pytest.approx(9.0, abs=0.1)


def test_music_is_indexed_as_tracks_with_the_audio_encoder(footage, tmp_path):
    from autocut_core.testing.samples import make_music, real_sample_music

    music = tmp_path / "music"
    music.mkdir()
    for character in ("calm", "energetic", "dark"):
        make_music(music / f"{character}.ogg", 6.0, character)
    make_music(music / "calm_long.mp3", 8.0, "calm")
    (music / "cover.jpg").write_bytes(b"\xff\xd8 not music")  # ignored: not an audio extension
    real = real_sample_music()[:1]
    assert real, "bootstrap installs Debian's hyperrogue-music"
    result = _cli("index", str(footage / "one_shot.mp4"), "--music", str(music), "--music", str(real[0]),
                  "--db", str(tmp_path / "db"), "--json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["new_videos"], report["new_tracks"]) == (1, 5)
    with MaterialDB(tmp_path / "db") as db:
        tracks = {track.title: track for track in db.tracks()}
        assert set(tracks) == {"calm", "calm_long", "energetic", "dark", real[0].stem}
        assert tracks["calm"].duration == pytest.approx(6.0, abs=0.1)
        ids, vectors = db.vectors("logmel", "track")
        assert len(ids) == 5 and np.isfinite(vectors).all()
        by_id = dict(zip(ids, vectors, strict=True))
        calm, long, energetic, dark = (
            by_id[tracks[name].track_id] for name in ("calm", "calm_long", "energetic", "dark")
        )
        assert float(calm @ long) > 0.95  # the same character, another length and codec
        assert float(calm @ energetic) < 0.8 and float(calm @ dark) < 0.8
    again = _cli(
        "index",
        str(footage / "one_shot.mp4"),
        "--music",
        str(music),
        "--db",
        str(tmp_path / "db"),
        "--json",
    )
    assert json.loads(again.stdout)["unchanged"] == 5


def test_music_without_an_audio_stream_fails_alone(footage, tmp_path):
    music = tmp_path / "music"
    music.mkdir()
    shutil.copy(
        footage / "one_shot.mp4", music / "silent.m4a"
    )  # a video with no audio, named as music
    result = _cli(
        "index",
        str(footage / "three_shots.mp4"),
        "--music",
        str(music),
        "--db",
        str(tmp_path / "db"),
        "--json",
    )
    report = json.loads(result.stdout)
    assert result.returncode == 1
    assert report["new_videos"] == 1
    assert [Path(f["path"]).name for f in report["failed"]] == ["silent.m4a"]
    assert report["failed"][0]["reason"].startswith("no audio stream")


def test_hostile_names_with_new_content_are_indexed(tmp_path):
    """A video whose name is near the 255-byte limit (its sidecar names would not fit), and
    music whose name is not UTF-8 with content never seen before: both are stored and found
    again. (Before: the long name crashed the caption lookup with ENAMETOOLONG; the non-UTF-8
    track failed as an "internal error while storing" on a surrogate.)"""
    from autocut_core.materials.captions import caption_for
    from autocut_core.testing.samples import make_music

    folder = tmp_path / "footage"
    long_video = folder / ("L" * 250 + ".mp4")
    make_scene_video(long_video, scenes_for([1.0]), size=(64, 48))
    music = tmp_path / "music"
    try:
        track = Path(os.fsdecode(os.fsencode(music) + b"/caf\xe9.ogg"))
        music.mkdir()
        make_music(track, 2.0)
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses non-UTF-8 names")
    options = IndexOptions(audio_encoder=ComponentSpec("logmel"))
    report = index([folder], [music], tmp_path / "db", options)
    assert report.failed == [] and (report.new_videos, report.new_tracks) == (1, 1)
    assert caption_for(long_video) == "L" * 250  # the name's words, no sidecar
    with MaterialDB(tmp_path / "db") as db:
        (stored,) = db.tracks()
        assert stored.path == str(track) and stored.title == "caf\ufffd"
        assert {source.path for source in db.sources()} == {str(long_video), str(track)}


def test_a_failure_is_cleared_when_the_file_indexes_later_by_another_path(
    footage, tmp_path, monkeypatch
):
    """A file that failed when given by a relative path and was then fixed is no longer
    counted as failing once it indexes, given by its absolute path: both name one record."""
    shots = tmp_path / "shots"
    shots.mkdir()
    (shots / "clip.mp4").write_bytes(b"not a video")
    monkeypatch.chdir(tmp_path)
    first = index([Path("shots")], [], tmp_path / "db", IndexOptions())
    assert [Path(path).name for path, _ in first.failed] == ["clip.mp4"]
    with MaterialDB(tmp_path / "db") as db:
        assert [Path(path).name for path, _ in db.failures()] == ["clip.mp4"]
    shutil.copy(footage / "one_shot.mp4", shots / "clip.mp4")
    second = index([shots.resolve()], [], tmp_path / "db", IndexOptions())
    assert (second.new_videos, second.failed) == (1, [])
    with MaterialDB(tmp_path / "db") as db:
        assert db.failures() == []
