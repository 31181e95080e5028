"""The material database without media: storing, reading, several encoders, safety."""

from __future__ import annotations

import os

import numpy as np
import pytest

from autocut_core.errors import InputError
from autocut_core.materials.database import (
    DatabaseLockedError,
    Embedded,
    MaterialDB,
    PathStat,
    from_db_path,
    to_db_path,
)
from autocut_core.types import Source


def _source(tag: str) -> Source:
    digest = (tag * 64)[:64]
    return Source(source_id=digest[:12], path=f"/f/{tag}.mp4", content_hash=digest, duration=3.5,
                  width=320, height=240, fps=25.0)  # fmt: skip


def _add(db, tag, encoder="histogram", dim=4):
    source = _source(tag)
    seconds = [(0, 0.0), (1, 1.0), (2, 2.0), (3, 3.0)]
    clips = [(0.0, 1.6), (1.6, 3.5)]
    rng = np.random.default_rng([ord(letter) for letter in tag])
    embedded = Embedded(encoder, "1", rng.standard_normal((4, dim)).astype(np.float32),
                        rng.standard_normal((2, dim)).astype(np.float32))  # fmt: skip
    db.add_video(source, PathStat(source.path, 100, 1), seconds, clips, "{}", embedded)
    return source, embedded


def test_store_and_read_back(tmp_path):
    with MaterialDB(tmp_path / "db") as db:
        source, embedded = _add(db, "a")
        assert db.source(source.source_id) == source
        assert [c.clip_id for c in db.clips(source.source_id)] == [
            f"{source.source_id}0000002",
            f"{source.source_id}0001002",
        ]
        assert [f[0] for f in db.frames(source.source_id)] == [
            f"{source.source_id}000{i}" for i in range(4)
        ]
        _ids, vectors = db.vectors("histogram", "clip")
        assert np.allclose(vectors, embedded.clip_vectors)
        assert np.allclose(
            db.vector("histogram", "frame", f"{source.source_id}0002"), embedded.frame_vectors[2]
        )
        assert db.known_path(PathStat(source.path, 100, 1)) == source.source_id
        assert db.known_path(PathStat(source.path, 100, 2)) is None  # touched: re-check


def test_reads_do_not_depend_on_the_order_sources_were_committed_in(tmp_path):
    """Worker processes commit sources as they finish; what the database reads back (and so
    every tokenizer trained and index built on it) must not change with that order."""
    reads = []
    for name, tags in (("forward", "abc"), ("backward", "cba")):
        with MaterialDB(tmp_path / name) as db:
            for tag in tags:
                _add(db, tag)
            ids, vectors = db.vectors("histogram", "frame")
            assert ids == sorted(ids) == db.material_ids("histogram", "frame")
            reads.append((ids, vectors))
    assert reads[0][0] == reads[1][0]
    assert np.array_equal(reads[0][1], reads[1][1])


def test_several_encoders_side_by_side(tmp_path):
    with MaterialDB(tmp_path / "db") as db:
        source, _ = _add(db, "a")
        other = Embedded("fake", "1", np.ones((4, 8), np.float32), np.ones((2, 8), np.float32))
        db.add_embedding(source.source_id, other)
        assert db.has_encoding(source.source_id, "fake")
        assert db.vectors("fake", "frame")[1].shape == (4, 8)
        assert db.vectors("histogram", "frame")[1].shape == (4, 4)
        with pytest.raises(InputError, match="no 'track' vectors from encoder 'fake'"):
            db.vectors("fake", "track")


def test_changed_encoder_version_is_refused(tmp_path):
    with MaterialDB(tmp_path / "db") as db:
        _add(db, "a")
        source = _source("b")
        changed = Embedded(
            "histogram", "2", np.ones((1, 4), np.float32), np.ones((1, 4), np.float32)
        )
        with pytest.raises(InputError, match="version 1 with 4 dims, not version 2 with 4"):
            db.add_video(
                source, PathStat(source.path, 1, 1), [(0, 0.0)], [(0.0, 1.0)], "{}", changed
            )
        assert [s.source_id for s in db.sources()] == [_source("a").source_id]  # rolled back


def test_a_failed_write_leaves_no_trace_and_the_next_one_works(tmp_path):
    with MaterialDB(tmp_path / "db") as db:
        _add(db, "a")
        source = _source("b")
        broken = Embedded(
            "histogram", "1", np.ones((3, 4), np.float32), np.ones((1, 4), np.float32)
        )
        with pytest.raises(ValueError, match="1 ids but 3 vectors"):
            db.add_video(
                source, PathStat(source.path, 1, 1), [(0, 0.0)], [(0.0, 1.0)], "{}", broken
            )
        assert len(db.sources()) == 1
        _add(db, "c")
        assert len(db.vectors("histogram", "frame")[0]) == 8
    with MaterialDB(tmp_path / "db") as db:
        assert db.stats()["vector_sets"][1]["unreferenced_rows"] == 0


def test_forgetting_a_path_removes_its_rows(tmp_path):
    with MaterialDB(tmp_path / "db") as db:
        source, _ = _add(db, "a")
        db.forget_path(source.path)
        assert db.sources() == [] and db.clips() == []
        assert db.vectors("histogram", "clip")[0] == []
        assert db.stats()["vector_sets"][0]["unreferenced_rows"] == 2


def test_only_one_writer(tmp_path):
    with (
        MaterialDB(tmp_path / "db"),
        pytest.raises(DatabaseLockedError, match="another process is writing"),
    ):
        MaterialDB(tmp_path / "db")
    with MaterialDB(tmp_path / "db") as db:  # released on close
        assert db.sources() == []


def test_reading_a_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="no material database here"):
        MaterialDB(tmp_path / "nothing", create=False, write=False)


def test_non_utf8_paths_round_trip():
    name = os.fsdecode(b"/footage/caf\xe9.mp4")
    stored = to_db_path(name)
    assert stored.encode("utf-8")
    assert from_db_path(stored) == name
    assert to_db_path("/footage/café.mp4") == "/footage/café.mp4"
