"""A database written by an older autocut opens, upgrades in place and keeps every row.

``tests/data/materials-v1/`` was written by the schema-1 code (commit 40255f5) from
opencv-doc's ``Megamind.avi``: indexed as ``first/megamind.avi``, its byte copy indexed as
``second/megamind-copy.avi``, then ``first/megamind.avi`` overwritten with ``tree.avi`` and
indexed again, which left the Megamind source's ``sources.path`` naming a file that holds
other content (the state schema 1 could reach). The folder prefix was then renamed to
``/nonexistent/autocut-v1-fixture`` so no machine has those files.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from autocut_core.errors import InputError
from autocut_core.materials.database import SCHEMA_VERSION, MaterialDB
from autocut_core.materials.indexing import IndexOptions, index

FIXTURE = Path(__file__).parent.parent / "data" / "materials-v1"
OLD = "/nonexistent/autocut-v1-fixture"
MEGAMIND = "0057387cb7e7"
TREE = "4666099d0f70"
SAMPLE = Path("/usr/share/doc/opencv-doc/examples/data/Megamind.avi")
KEPT = ("frames", "clips", "vectors", "vector_sets", "encodings")


@pytest.fixture
def old_db(tmp_path: Path) -> Path:
    folder = tmp_path / "db"
    shutil.copytree(FIXTURE, folder)
    return folder


def _rows(folder: Path, table: str) -> list[tuple]:
    connection = sqlite3.connect(folder / "materials.sqlite")
    try:
        return connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
    finally:
        connection.close()


def test_the_fixture_is_schema_1():
    assert _rows(FIXTURE, "meta") == [("schema_version", "1")]
    assert len(_rows(FIXTURE, "paths")[0]) == 4  # path, source_id, size_bytes, mtime_ns


def test_an_old_database_is_upgraded_when_read(old_db):
    before = {table: _rows(old_db, table) for table in KEPT}
    indexed_at = dict((row[0], row[-1]) for row in _rows(old_db, "sources"))
    with MaterialDB(old_db, create=False, write=False) as db:  # a reader upgrades it too
        paths = db.recorded_paths()
        sources = {source.source_id: source for source in db.sources()}
        stats = db.stats()
    assert _rows(old_db, "meta") == [("schema_version", str(SCHEMA_VERSION))]
    assert {table: _rows(old_db, table) for table in KEPT} == before
    assert {sid: [row.fs_path for row in rows] for sid, rows in paths.items()} == {
        MEGAMIND: [f"{OLD}/second/megamind-copy.avi"],
        TREE: [f"{OLD}/first/megamind.avi"],
    }
    for source_id, rows in paths.items():  # the best time schema 1 kept: its indexing
        assert [(row.first_seen, row.last_seen) for row in rows] == [
            (indexed_at[source_id], indexed_at[source_id])
        ]
    # Schema 1 left Megamind's first path naming tree.avi's bytes; it now names its copy.
    assert sources[MEGAMIND].path == f"{OLD}/second/megamind-copy.avi"
    assert sources[TREE].path == f"{OLD}/first/megamind.avi"
    assert (stats["paths"], stats["paths_missing"]) == (2, 2)


def test_an_upgraded_database_takes_a_new_copy_without_decoding(old_db, tmp_path):
    assert SAMPLE.exists(), "bootstrap installs Debian's opencv-doc"
    footage = tmp_path / "now"
    footage.mkdir()
    shutil.copy(SAMPLE, footage / "megamind.avi")  # the bytes the fixture was indexed from
    report = index([footage], [], old_db, IndexOptions())
    assert (report.unchanged, report.new_videos, report.decoded_frames, report.failed) == (
        1, 0, 0, [],
    )  # fmt: skip
    with MaterialDB(old_db) as db:
        recorded = db.paths_of(MEGAMIND)
        assert [row.fs_path for row in recorded] == [
            str(footage / "megamind.avi"), f"{OLD}/second/megamind-copy.avi",
        ]  # fmt: skip
        assert [row.state() for row in recorded] == ["present", "missing"]
        assert len(db.clips(MEGAMIND)) == 4


def test_a_database_from_a_newer_autocut_is_refused_by_name(old_db):
    connection = sqlite3.connect(old_db / "materials.sqlite", isolation_level=None)
    connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    connection.close()
    with pytest.raises(InputError, match=r"db: database schema 99 is newer than this autocut"):
        MaterialDB(old_db, write=False)
