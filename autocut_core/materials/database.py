"""The material database: what footage and music a user has, cut and embedded.

One folder holds ``materials.sqlite`` (SQLite in WAL mode: sources, frames, clips, tracks and
which vector row belongs to which id) and ``vectors/<encoder>/<level>.f32`` (append-only
float32 rows, see :mod:`autocut_core.materials.vectorstore`). The layout is documented in
docs/materials.md. Several encoders' vectors live side by side; each source records which
encoders have embedded it, so re-indexing does only what is missing.

Every change to one source is one SQLite transaction, committed after its vectors are on
disk: a process killed at any moment leaves the database as it was before that source.

A content is one source however many paths it was offered from: ``paths`` keeps every one
(with when it was first and last offered), because sidecars and the file a run renders from
live at a path, not in the content (:mod:`autocut_core.materials.locations`). The schema
carries a version; a database written by an older autocut is upgraded in place when opened
(:data:`_MIGRATIONS`), never refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autocut_core import ids
from autocut_core.errors import AutocutError, InputError
from autocut_core.materials.vectorstore import VectorFile
from autocut_core.types import Clip, Source, Track, Transcript

DB_FILE = "materials.sqlite"
LOCK_FILE = ".lock"
SCHEMA_VERSION = 4
LEVELS = ("frame", "clip", "track")

#: Captions a captioner wrote (`autocut caption`): one per clip, model and prompt (the cache key).
_CAPTIONS_TABLE = """CREATE TABLE IF NOT EXISTS captions (
    clip_id TEXT NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    text TEXT NOT NULL,
    written_at REAL NOT NULL,
    PRIMARY KEY (clip_id, model, prompt)
)"""

#: Transcripts a transcriber wrote (`autocut transcribe`): one per content and model. Keyed by
#: the file's content hash, not a source row: a video is transcribed without being indexed
#: (no frames decoded), and a renamed or moved file keeps its transcript.
_TRANSCRIPTS_TABLE = """CREATE TABLE IF NOT EXISTS transcripts (
    content_hash TEXT NOT NULL,
    model TEXT NOT NULL,
    path TEXT NOT NULL,
    language TEXT NOT NULL,
    transcript TEXT NOT NULL,
    written_at REAL NOT NULL,
    PRIMARY KEY (content_hash, model)
)"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    source_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    duration REAL NOT NULL,
    width INTEGER NOT NULL, height INTEGER NOT NULL, fps REAL NOT NULL,
    rotation INTEGER NOT NULL, variable_frame_rate INTEGER NOT NULL,
    has_audio INTEGER NOT NULL, audio_streams INTEGER NOT NULL,
    video_codec TEXT NOT NULL, size_bytes INTEGER NOT NULL,
    segmenter TEXT NOT NULL DEFAULT '',
    indexed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS paths (
    path TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    size_bytes INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    first_seen REAL NOT NULL DEFAULT 0,
    last_seen REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS frames (
    frame_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    second INTEGER NOT NULL,
    time REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clips (
    clip_id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    start REAL NOT NULL,
    "end" REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tracks (
    track_id TEXT PRIMARY KEY REFERENCES sources(source_id) ON DELETE CASCADE,
    title TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS vector_sets (
    name TEXT PRIMARY KEY,
    encoder TEXT NOT NULL,
    encoder_version TEXT NOT NULL,
    level TEXT NOT NULL,
    dim INTEGER NOT NULL,
    count INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS vectors (
    vector_set TEXT NOT NULL REFERENCES vector_sets(name),
    material_id TEXT NOT NULL,
    source_id TEXT NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    row INTEGER NOT NULL,
    PRIMARY KEY (vector_set, material_id)
);
CREATE TABLE IF NOT EXISTS encodings (
    source_id TEXT NOT NULL REFERENCES sources(source_id) ON DELETE CASCADE,
    encoder TEXT NOT NULL,
    encoder_version TEXT NOT NULL,
    PRIMARY KEY (source_id, encoder)
);
CREATE TABLE IF NOT EXISTS failures (path TEXT PRIMARY KEY, reason TEXT NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
    tokenizer TEXT NOT NULL,
    vector_set TEXT NOT NULL,
    material_id TEXT NOT NULL,
    codes BLOB NOT NULL,
    PRIMARY KEY (tokenizer, vector_set, material_id)
);
"""
_SCHEMA += (
    _CAPTIONS_TABLE
    + ";\n"
    + _TRANSCRIPTS_TABLE
    + """;
CREATE INDEX IF NOT EXISTS frames_by_source ON frames(source_id, second);
CREATE INDEX IF NOT EXISTS clips_by_source ON clips(source_id, start);
CREATE INDEX IF NOT EXISTS vectors_by_source ON vectors(source_id);
CREATE INDEX IF NOT EXISTS paths_by_source ON paths(source_id, last_seen);
CREATE INDEX IF NOT EXISTS captions_by_source ON captions(source_id, written_at);
"""
)


#: The statements that take a database from schema ``n`` to ``n + 1``, run in one transaction.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    # 2: when each path was first and last offered. Rows of version 1 take their source's
    # indexing time (the best there is); a source without any path row (none should exist)
    # gets its own path back, with an mtime no file has, so it is listed but never "present".
    1: (
        "ALTER TABLE paths ADD COLUMN first_seen REAL NOT NULL DEFAULT 0",
        "ALTER TABLE paths ADD COLUMN last_seen REAL NOT NULL DEFAULT 0",
        "UPDATE paths SET first_seen = COALESCE((SELECT s.indexed_at FROM sources AS s "
        "WHERE s.source_id = paths.source_id), 0)",
        "UPDATE paths SET last_seen = first_seen",
        "INSERT OR IGNORE INTO paths "
        "(path, source_id, size_bytes, mtime_ns, first_seen, last_seen) "
        "SELECT path, source_id, size_bytes, -1, indexed_at, indexed_at FROM sources AS s "
        "WHERE NOT EXISTS (SELECT 1 FROM paths AS p WHERE p.source_id = s.source_id)",
        "CREATE INDEX IF NOT EXISTS paths_by_source ON paths(source_id, last_seen)",
    ),
    # 3: captions written by a captioner (`autocut caption`), one per clip, model and prompt.
    2: (
        _CAPTIONS_TABLE,
        "CREATE INDEX IF NOT EXISTS captions_by_source ON captions(source_id, written_at)",
    ),
    # 4: transcripts written by a transcriber (`autocut transcribe`), one per content and model.
    3: (_TRANSCRIPTS_TABLE,),
}

# ``sources.path`` is the first path a content was indexed from. When that path now holds
# other content (version 1 left it so), the content's earliest remaining path takes its place.
_REPOINT_SOURCES = """
UPDATE sources SET path = (
    SELECT p.path FROM paths AS p WHERE p.source_id = sources.source_id
    ORDER BY p.first_seen, p.path LIMIT 1)
WHERE (:source_id IS NULL OR source_id = :source_id)
  AND EXISTS (SELECT 1 FROM paths AS p WHERE p.source_id = sources.source_id)
  AND NOT EXISTS (
    SELECT 1 FROM paths AS p WHERE p.source_id = sources.source_id AND p.path = sources.path)
"""


class DatabaseLockedError(AutocutError):
    exit_code = 2


@dataclass(frozen=True)
class Embedded:
    """One encoder's vectors for one video: a row per 1 fps frame and a row per clip."""

    encoder: str
    encoder_version: str
    frame_vectors: np.ndarray
    clip_vectors: np.ndarray


@dataclass(frozen=True)
class StoredCaption:
    """A caption in the database and who wrote it (``model`` is the captioner's cache key)."""

    text: str
    model: str
    prompt: str


_BYTES_PREFIX = "fsbytes:"


def to_db_path(path: str | os.PathLike[str]) -> str:
    """A file path as database text. SQLite text is UTF-8, but POSIX names are bytes: a name
    that is not UTF-8 is stored as ``fsbytes:<hex>`` so it still round-trips exactly."""
    text = os.fsdecode(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _BYTES_PREFIX + os.fsencode(path).hex()
    return text


def _text(text: str) -> str:
    """``text`` as SQLite can store it: a title taken from a file name that is not UTF-8 holds
    lone surrogates, shown as U+FFFD (a title is for reading; the path keeps the exact bytes)."""
    return os.fsencode(text).decode("utf-8", errors="replace")


def from_db_path(text: str) -> str:
    """The filesystem path (``str``, surrogate-escaped if need be) for :func:`to_db_path` text."""
    if text.startswith(_BYTES_PREFIX):
        return os.fsdecode(bytes.fromhex(text[len(_BYTES_PREFIX) :]))
    return text


@dataclass(frozen=True)
class PathStat:
    """A file as the database remembers it: absolute path (database text), size, mtime."""

    path: str
    size_bytes: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> PathStat:
        stat = os.stat(path)
        return cls(to_db_path(os.path.abspath(path)), stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class RecordedPath:
    """One path a content was offered from, as the database last saw it."""

    path: str  #: database text (:func:`to_db_path`)
    source_id: str
    size_bytes: int
    mtime_ns: int
    first_seen: float
    last_seen: float

    @property
    def fs_path(self) -> str:
        return from_db_path(self.path)

    def state(self) -> str:
        """``present`` while the file there is the one indexed (same size and mtime: the
        test :meth:`MaterialDB.known_path` makes), ``changed`` when another file took its
        place, ``missing`` when nothing is there any more."""
        try:
            stat = os.stat(self.fs_path)
        except OSError:
            return "missing"
        same = (stat.st_size, stat.st_mtime_ns) == (self.size_bytes, self.mtime_ns)
        return "present" if same else "changed"


_RECORDED_FIELDS = ("path", "source_id", "size_bytes", "mtime_ns", "first_seen", "last_seen")


class MaterialDB:
    """One material database folder. Use as a context manager; only one writer at a time."""

    def __init__(self, folder: Path, create: bool = True, write: bool = True):
        self.folder = Path(folder)
        path = self.folder / DB_FILE
        if not path.exists() and not create:
            raise InputError(
                f"{self.folder}: no material database here (run `autocut index` first)"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = self._acquire_lock() if write else None
        self.connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.connection.row_factory = sqlite3.Row
        self.connection.execute("PRAGMA foreign_keys = ON")
        self._files: dict[str, VectorFile] = {}
        if write:
            self.connection.execute("PRAGMA journal_mode = WAL")
            self.connection.execute("PRAGMA synchronous = FULL")
        self._prepare_schema(write)
        for row in self.connection.execute("SELECT name, dim, count FROM vector_sets"):
            vector_file = VectorFile(self._vector_path(row["name"]), row["dim"], row["count"])
            if write:
                vector_file.recover()
            self._files[row["name"]] = vector_file

    # -- lifecycle --------------------------------------------------------------------------

    def _acquire_lock(self) -> Any:
        handle = open(self.folder / LOCK_FILE, "a+")  # noqa: SIM115 - held for the DB's lifetime
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise DatabaseLockedError(
                f"{self.folder}: another process is writing this database (autocut index?)"
            ) from None
        return handle

    def _prepare_schema(self, write: bool) -> None:
        """Upgrade an older schema (readers too: every query below assumes the current one),
        refuse a newer one, and create the tables of a new database."""
        version = self._stored_version()
        if version is not None and version > SCHEMA_VERSION:
            raise InputError(
                f"{self.folder}: database schema {version} is newer than this autocut's "
                f"({SCHEMA_VERSION}); upgrade autocut, or index into a new folder"
            )
        if version is not None and version < SCHEMA_VERSION:
            self._migrate(version)
        if write:
            self.connection.executescript(_SCHEMA)
            self.connection.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def _stored_version(self) -> int | None:
        try:
            row = self.connection.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        except sqlite3.OperationalError:  # no meta table: a new database
            return None
        return None if row is None else int(row["value"])

    def _migrate(self, version: int) -> None:
        """Run the migrations from ``version`` up in one transaction. The version is read
        again inside it: another process may have upgraded the database in the meantime."""
        try:
            with self._transaction():
                current = self._stored_version() or version
                for step in range(current, SCHEMA_VERSION):
                    for statement in _MIGRATIONS[step]:
                        self.connection.execute(statement)
                if current < SCHEMA_VERSION:
                    self.connection.execute(_REPOINT_SOURCES, {"source_id": None})
                    self.connection.execute(
                        "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                        (str(SCHEMA_VERSION),),
                    )
        except sqlite3.OperationalError as error:
            raise InputError(
                f"{self.folder}: cannot upgrade the database from schema {version} to "
                f"{SCHEMA_VERSION} ({error}); open it once where it is writable "
                "(e.g. `autocut materials stats --db FOLDER`)"
            ) from None

    def close(self) -> None:
        self.connection.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> MaterialDB:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            for vector_file in self._files.values():
                vector_file.mark_committed(self._committed_count(vector_file))
            raise
        self.connection.execute("COMMIT")

    def _committed_count(self, vector_file: VectorFile) -> int:
        name = vector_file.path.parent.name + "." + vector_file.path.stem
        row = self.connection.execute(
            "SELECT count FROM vector_sets WHERE name = ?", (name,)
        ).fetchone()
        return int(row["count"]) if row else 0

    # -- vectors ----------------------------------------------------------------------------

    def _vector_path(self, name: str) -> Path:
        encoder, level = name.rsplit(".", 1)
        return self.folder / "vectors" / encoder / f"{level}.f32"

    def _vector_file(self, encoder: str, version: str, level: str, dim: int) -> VectorFile:
        name = f"{encoder}.{level}"
        row = self.connection.execute(
            "SELECT encoder_version, dim FROM vector_sets WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            self.connection.execute(
                "INSERT INTO vector_sets VALUES (?, ?, ?, ?, ?, 0)",
                (name, encoder, version, level, dim),
            )
            self._files[name] = VectorFile(self._vector_path(name), dim, 0)
            self._files[name].recover()
        elif row["dim"] != dim or row["encoder_version"] != version:
            raise InputError(
                f"{self.folder}: encoder '{encoder}' vectors here are version "
                f"{row['encoder_version']} with {row['dim']} dims, not version {version} with "
                f"{dim}; index into a new database or remove vectors/{encoder}"
            )
        return self._files[name]

    def _store_vectors(
        self, encoder: str, version: str, level: str, source_id: str,
        material_ids: Sequence[str], vectors: np.ndarray,
    ) -> None:  # fmt: skip
        if len(material_ids) == 0:
            return
        if len(material_ids) != len(vectors):
            raise ValueError(f"{len(material_ids)} ids but {len(vectors)} vectors")
        vector_file = self._vector_file(encoder, version, level, int(vectors.shape[1]))
        first = vector_file.append(vectors)
        self.connection.executemany(
            "INSERT INTO vectors VALUES (?, ?, ?, ?)",
            [
                (f"{encoder}.{level}", mid, source_id, first + i)
                for i, mid in enumerate(material_ids)
            ],
        )
        count = first + len(material_ids)
        self.connection.execute(
            "UPDATE vector_sets SET count = ? WHERE name = ?", (count, f"{encoder}.{level}")
        )
        vector_file.mark_committed(count)

    def vectors(
        self, encoder: str, level: str, source_ids: Sequence[str] | None = None
    ) -> tuple[list[str], np.ndarray]:
        """All ``(ids, vectors)`` of one encoder and level, optionally for some sources only.

        In material-id order, not in the order the rows were written: sources are committed
        as worker processes finish them, so row order differs from run to run, and a
        tokenizer trained or an index built on the same database must not.
        """
        name = f"{encoder}.{level}"
        vector_file = self._files.get(name)
        if vector_file is None:
            available = sorted(self._files)
            raise InputError(
                f"{self.folder}: no '{level}' vectors from encoder '{encoder}' "
                f"(available: {', '.join(available) or 'none'})"
            )
        query = "SELECT material_id, row FROM vectors WHERE vector_set = ?"
        params: list[Any] = [name]
        if source_ids is not None:
            query += f" AND source_id IN ({','.join('?' * len(source_ids))})"
            params.extend(source_ids)
        rows = self.connection.execute(query + " ORDER BY material_id", params).fetchall()
        return [row["material_id"] for row in rows], vector_file.rows([row["row"] for row in rows])

    def material_ids(self, encoder: str, level: str) -> list[str]:
        """Ids of one encoder and level in :meth:`vectors`' order (cheap: no vectors are read)."""
        rows = self.connection.execute(
            "SELECT material_id FROM vectors WHERE vector_set = ? ORDER BY material_id",
            (f"{encoder}.{level}",),
        ).fetchall()
        return [row["material_id"] for row in rows]

    def vector_sets(self) -> list[tuple[str, str, int]]:
        """``(encoder, level, dim)`` of every vector set in the database."""
        rows = self.connection.execute("SELECT encoder, level, dim FROM vector_sets ORDER BY name")
        return [(row["encoder"], row["level"], row["dim"]) for row in rows]

    def vector(self, encoder: str, level: str, material_id: str) -> np.ndarray:
        """One vector by id: an indexed lookup and a memory-mapped read."""
        row = self.connection.execute(
            "SELECT row FROM vectors WHERE vector_set = ? AND material_id = ?",
            (f"{encoder}.{level}", material_id),
        ).fetchone()
        if row is None:
            raise KeyError(f"no {level} vector for '{material_id}' from encoder '{encoder}'")
        return self._files[f"{encoder}.{level}"].rows([row["row"]])[0]

    # -- writing sources --------------------------------------------------------------------

    def known_path(self, stat: PathStat) -> str | None:
        """The source id of a file seen before with the same size and mtime (no re-hash)."""
        row = self.connection.execute(
            "SELECT source_id FROM paths WHERE path = ? AND size_bytes = ? AND mtime_ns = ?",
            (stat.path, stat.size_bytes, stat.mtime_ns),
        ).fetchone()
        return row["source_id"] if row else None

    def source_for_hash(self, content_hash: str) -> str | None:
        row = self.connection.execute(
            "SELECT source_id FROM sources WHERE content_hash = ?", (content_hash,)
        ).fetchone()
        return row["source_id"] if row else None

    def has_encoding(self, source_id: str, encoder: str) -> bool:
        return (
            self.connection.execute(
                "SELECT 1 FROM encodings WHERE source_id = ? AND encoder = ?", (source_id, encoder)
            ).fetchone()
            is not None
        )

    def remember_path(self, stat: PathStat, source_id: str) -> None:
        """Point a path at a source: a renamed or copied file costs nothing to re-index, and
        the new path is recorded beside the others (its sidecars count from now on)."""
        with self._transaction():
            self._upsert_path(stat, source_id)

    def touch_paths(self, stats: Sequence[PathStat]) -> None:
        """Note that these known, unchanged paths were offered again (one transaction for a
        whole run): the most recently offered path is the first one tried after a run's own."""
        if not stats:
            return
        now = time.time()
        with self._transaction():
            self.connection.executemany(
                "UPDATE paths SET last_seen = ? WHERE path = ? AND size_bytes = ? AND mtime_ns = ?",
                [(now, stat.path, stat.size_bytes, stat.mtime_ns) for stat in stats],
            )

    def _upsert_path(self, stat: PathStat, source_id: str) -> None:
        previous = self.connection.execute(
            "SELECT source_id FROM paths WHERE path = ?", (stat.path,)
        ).fetchone()
        now = time.time()
        # A path that held other content before starts a new record: first seen now.
        self.connection.execute(
            "INSERT INTO paths (path, source_id, size_bytes, mtime_ns, first_seen, last_seen) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
            "first_seen = CASE WHEN source_id = excluded.source_id THEN first_seen "
            "ELSE excluded.first_seen END, source_id = excluded.source_id, "
            "size_bytes = excluded.size_bytes, mtime_ns = excluded.mtime_ns, "
            "last_seen = excluded.last_seen",
            (stat.path, source_id, stat.size_bytes, stat.mtime_ns, now, now),
        )
        self.connection.execute("DELETE FROM failures WHERE path = ?", (stat.path,))
        if previous is not None and previous["source_id"] != source_id:
            self._path_left(previous["source_id"])

    def _path_left(self, source_id: str) -> None:
        """A path stopped holding this source: the source goes when no path is left (its
        file changed or was replaced), else its first path is one that still holds it."""
        if (
            self.connection.execute(
                "SELECT 1 FROM paths WHERE source_id = ?", (source_id,)
            ).fetchone()
            is None
        ):
            self.connection.execute("DELETE FROM sources WHERE source_id = ?", (source_id,))
        else:
            self.connection.execute(_REPOINT_SOURCES, {"source_id": source_id})

    def _insert_source(self, source: Source, segmenter: str) -> None:
        self.connection.execute(
            "INSERT INTO sources VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                source.source_id, to_db_path(source.path), source.content_hash, source.kind,
                source.duration,
                source.width, source.height, source.fps, source.rotation,
                int(source.variable_frame_rate), int(source.has_audio), source.audio_streams,
                source.video_codec, source.size_bytes, segmenter, time.time(),
            ),
        )  # fmt: skip

    def add_video(
        self,
        source: Source,
        stat: PathStat,
        seconds: Sequence[tuple[int, float]],
        clips: Sequence[tuple[float, float]],
        segmenter: str,
        embedded: Embedded,
    ) -> None:
        """Store a new video with its 1 fps frames, visual clips and one encoder's vectors."""
        with self._transaction():
            self._insert_source(source, segmenter)
            self.connection.executemany(
                "INSERT INTO frames VALUES (?, ?, ?, ?)",
                [(ids.frame_id(source.source_id, s), source.source_id, s, t) for s, t in seconds],
            )
            self.connection.executemany(
                "INSERT INTO clips VALUES (?, ?, ?, ?)",
                [(Clip(source.source_id, a, b).clip_id, source.source_id, a, b) for a, b in clips],
            )
            self._add_embedding(source.source_id, embedded)
            self._upsert_path(stat, source.source_id)

    def add_embedding(self, source_id: str, embedded: Embedded) -> None:
        """Store another encoder's vectors for a video that is already in the database."""
        with self._transaction():
            self._add_embedding(source_id, embedded)

    def _add_embedding(self, source_id: str, embedded: Embedded) -> None:
        frame_ids = [r["frame_id"] for r in self.connection.execute(
            "SELECT frame_id FROM frames WHERE source_id = ? ORDER BY second", (source_id,))]  # fmt: skip
        clip_ids = [r["clip_id"] for r in self.connection.execute(
            "SELECT clip_id FROM clips WHERE source_id = ? ORDER BY start", (source_id,))]  # fmt: skip
        name, version = embedded.encoder, embedded.encoder_version
        self._store_vectors(name, version, "frame", source_id, frame_ids, embedded.frame_vectors)
        self._store_vectors(name, version, "clip", source_id, clip_ids, embedded.clip_vectors)
        self.connection.execute(
            "INSERT INTO encodings VALUES (?, ?, ?)", (source_id, name, version)
        )

    def add_track(
        self,
        source: Source,
        stat: PathStat,
        title: str,
        encoder: str,
        version: str,
        vector: np.ndarray,
    ) -> None:
        """Store a music track (new, or already known under another encoder) and its vector."""
        with self._transaction():
            if self.source_for_hash(source.content_hash) is None:
                self._insert_source(source, "")
                self.connection.execute(
                    "INSERT INTO tracks VALUES (?, ?)", (source.source_id, _text(title))
                )
            self._store_vectors(encoder, version, "track", source.source_id, [source.source_id],
                                np.asarray(vector, dtype=np.float32).reshape(1, -1))  # fmt: skip
            self.connection.execute(
                "INSERT INTO encodings VALUES (?, ?, ?)", (source.source_id, encoder, version)
            )
            self._upsert_path(stat, source.source_id)

    def forget_path(self, path: str) -> None:
        """A path whose content changed: drop its old source if no other path still uses it."""
        with self._transaction():
            row = self.connection.execute(
                "SELECT source_id FROM paths WHERE path = ?", (path,)
            ).fetchone()
            if row is None:
                return
            self.connection.execute("DELETE FROM paths WHERE path = ?", (path,))
            self._path_left(row["source_id"])

    # -- discrete codes ---------------------------------------------------------------------

    def store_codes(
        self,
        tokenizer: str,
        encoder: str,
        level: str,
        material_ids: Sequence[str],
        codes: np.ndarray,
    ) -> None:
        """Save each material's tokenizer codes (int16 per head), replacing earlier ones."""
        matrix = np.asarray(codes)
        if matrix.ndim != 2 or len(matrix) != len(material_ids):
            raise ValueError(f"{len(material_ids)} ids but codes of shape {matrix.shape}")
        if matrix.size and (matrix.min() < 0 or matrix.max() > np.iinfo(np.int16).max):
            raise ValueError("codes must lie in 0..32767")
        rows = matrix.astype("<i2")
        with self._transaction():
            self.connection.executemany(
                "INSERT INTO codes VALUES (?, ?, ?, ?) ON CONFLICT(tokenizer, vector_set, material_id) "
                "DO UPDATE SET codes = excluded.codes",
                [
                    (tokenizer, f"{encoder}.{level}", mid, row.tobytes())
                    for mid, row in zip(material_ids, rows, strict=True)
                ],
            )

    def codes(self, tokenizer: str, encoder: str, level: str) -> tuple[list[str], np.ndarray]:
        """``(ids, codes [n, heads])`` stored by :meth:`store_codes`, in id order."""
        rows = self.connection.execute(
            "SELECT material_id, codes FROM codes WHERE tokenizer = ? AND vector_set = ? ORDER BY material_id",
            (tokenizer, f"{encoder}.{level}"),
        ).fetchall()
        if not rows:
            return [], np.zeros((0, 0), dtype=np.int64)
        matrix = np.stack([np.frombuffer(row["codes"], dtype="<i2") for row in rows]).astype(
            np.int64
        )
        return [row["material_id"] for row in rows], matrix

    # -- captions ---------------------------------------------------------------------------

    def store_caption(self, clip: Clip, model: str, prompt: str, text: str) -> None:
        """Save what ``model`` (a captioner's ``cache_key``), asked ``prompt``, says ``clip``
        shows, replacing an earlier answer to the same question."""
        with self._transaction():
            self.connection.execute(
                "INSERT INTO captions VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(clip_id, model, prompt) DO UPDATE SET text = excluded.text, "
                "written_at = excluded.written_at",
                (clip.clip_id, clip.source_id, model, prompt, text, time.time()),
            )

    def stored_caption(self, clip: Clip, model: str, prompt: str) -> str | None:
        """The caption ``model`` wrote for ``clip`` when asked ``prompt`` (None: not yet)."""
        row = self.connection.execute(
            "SELECT text FROM captions WHERE clip_id = ? AND model = ? AND prompt = ?",
            (clip.clip_id, model, prompt),
        ).fetchone()
        return None if row is None else str(row["text"])

    def captions(self, source_id: str | None = None) -> dict[str, StoredCaption]:
        """Clip id -> its most recently written caption (whichever model and prompt), for
        the backbones; one query."""
        query = "SELECT clip_id, model, prompt, text, written_at FROM captions"
        params: tuple[Any, ...] = ()
        if source_id is not None:
            query, params = query + " WHERE source_id = ?", (source_id,)
        latest: dict[str, StoredCaption] = {}
        for row in self.connection.execute(query + " ORDER BY written_at, model, prompt", params):
            latest[row["clip_id"]] = StoredCaption(
                text=row["text"], model=row["model"], prompt=row["prompt"]
            )
        return latest

    # -- transcripts ------------------------------------------------------------------------

    def store_transcript(self, content_hash: str, path: str, transcript: Transcript) -> None:
        """Save what ``transcript.model`` (a transcriber's ``cache_key``) heard in the file of
        ``content_hash``, replacing an earlier transcript by the same model."""
        from autocut_core.serde import dumps

        with self._transaction():
            self.connection.execute(
                "INSERT INTO transcripts VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(content_hash, model) DO UPDATE SET path = excluded.path, "
                "language = excluded.language, transcript = excluded.transcript, "
                "written_at = excluded.written_at",
                (content_hash, transcript.model, path, transcript.language, dumps(transcript),
                 time.time()),
            )  # fmt: skip

    def stored_transcript(self, content_hash: str, model: str) -> Transcript | None:
        """The transcript ``model`` wrote of the file of ``content_hash`` (None: not yet)."""
        from autocut_core.serde import loads

        row = self.connection.execute(
            "SELECT transcript FROM transcripts WHERE content_hash = ? AND model = ?",
            (content_hash, model),
        ).fetchone()
        if row is None:
            return None
        return loads(
            Transcript, row["transcript"], f"{self.folder} transcripts[{content_hash[:12]}]"
        )

    def record_failure(self, path: str, reason: str) -> None:
        with self._transaction():
            self.connection.execute(
                "INSERT INTO failures VALUES (?, ?, ?) ON CONFLICT(path) DO UPDATE SET "
                "reason = excluded.reason, at = excluded.at",
                (path, reason, time.time()),
            )

    # -- reading ----------------------------------------------------------------------------

    def sources(self, kind: str | None = None) -> list[Source]:
        query = "SELECT * FROM sources" + (" WHERE kind = ?" if kind else "") + " ORDER BY path"
        rows = self.connection.execute(query, (kind,) if kind else ()).fetchall()
        return [_source(row) for row in rows]

    def source(self, source_id: str) -> Source:
        row = self.connection.execute(
            "SELECT * FROM sources WHERE source_id = ?", (source_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no source '{source_id}' in {self.folder}")
        return _source(row)

    def clips(self, source_id: str | None = None) -> list[Clip]:
        query = 'SELECT source_id, start, "end" FROM clips'
        params: tuple[Any, ...] = ()
        if source_id is not None:
            query, params = query + " WHERE source_id = ?", (source_id,)
        rows = self.connection.execute(query + " ORDER BY source_id, start", params).fetchall()
        return [Clip(row["source_id"], row["start"], row["end"]) for row in rows]

    def clip(self, clip_id: str) -> Clip:
        row = self.connection.execute(
            'SELECT source_id, start, "end" FROM clips WHERE clip_id = ?', (clip_id,)
        ).fetchone()
        if row is None:
            raise KeyError(f"no clip '{clip_id}' in {self.folder}")
        return Clip(row["source_id"], row["start"], row["end"])

    def frames(self, source_id: str) -> list[tuple[str, int, float]]:
        rows = self.connection.execute(
            "SELECT frame_id, second, time FROM frames WHERE source_id = ? ORDER BY second",
            (source_id,),
        ).fetchall()
        return [(row["frame_id"], row["second"], row["time"]) for row in rows]

    def tracks(self) -> list[Track]:
        rows = self.connection.execute(
            "SELECT t.track_id, t.title, s.path, s.duration FROM tracks t "
            "JOIN sources s ON s.source_id = t.track_id ORDER BY s.path"
        ).fetchall()
        return [
            Track(row["track_id"], from_db_path(row["path"]), row["duration"], row["title"])
            for row in rows
        ]

    def paths_of(self, source_id: str) -> list[RecordedPath]:
        """Every path a source was offered from, the most recently offered first."""
        return self.recorded_paths(source_id).get(source_id, [])

    def recorded_paths(self, source_id: str | None = None) -> dict[str, list[RecordedPath]]:
        """Source id -> its recorded paths (most recently offered first), in one query."""
        query = "SELECT * FROM paths"
        params: tuple[Any, ...] = ()
        if source_id is not None:
            query, params = query + " WHERE source_id = ?", (source_id,)
        grouped: dict[str, list[RecordedPath]] = {}
        for row in self.connection.execute(query + " ORDER BY last_seen DESC, path", params):
            recorded = RecordedPath(**{key: row[key] for key in _RECORDED_FIELDS})
            grouped.setdefault(recorded.source_id, []).append(recorded)
        return grouped

    def failures(self) -> list[tuple[str, str]]:
        return [
            (r["path"], r["reason"])
            for r in self.connection.execute("SELECT path, reason FROM failures ORDER BY path")
        ]

    def stats(self) -> dict[str, Any]:
        """Counts, durations and disk size: what `autocut materials stats` prints."""
        count = self.connection.execute
        videos = count(
            "SELECT COUNT(*), COALESCE(SUM(duration), 0) FROM sources WHERE kind = 'video'"
        ).fetchone()
        tracks = count(
            "SELECT COUNT(*), COALESCE(SUM(duration), 0) FROM sources WHERE kind = 'audio'"
        ).fetchone()
        referenced = {
            row["vector_set"]: row["n"]
            for row in count("SELECT vector_set, COUNT(*) AS n FROM vectors GROUP BY vector_set")
        }
        vector_sets = [
            {
                "name": row["name"], "encoder": row["encoder"], "version": row["encoder_version"],
                "level": row["level"], "dim": row["dim"], "rows": row["count"],
                "unreferenced_rows": row["count"] - referenced.get(row["name"], 0),
            }
            for row in count("SELECT * FROM vector_sets ORDER BY name")
        ]  # fmt: skip
        disk = sum(path.stat().st_size for path in self.folder.rglob("*") if path.is_file())
        states = {"present": 0, "changed": 0, "missing": 0}
        several = 0
        for paths in self.recorded_paths().values():
            several += len(paths) > 1
            for recorded in paths:
                states[recorded.state()] += 1
        return {
            "folder": str(self.folder),
            "videos": videos[0], "video_seconds": round(videos[1], 3),
            "tracks": tracks[0], "track_seconds": round(tracks[1], 3),
            "frames": count("SELECT COUNT(*) FROM frames").fetchone()[0],
            "clips": count("SELECT COUNT(*) FROM clips").fetchone()[0],
            "paths": sum(states.values()),
            "paths_present": states["present"], "paths_changed": states["changed"],
            "paths_missing": states["missing"], "sources_with_several_paths": several,
            "failures": count("SELECT COUNT(*) FROM failures").fetchone()[0],
            "captioned_clips": count("SELECT COUNT(DISTINCT clip_id) FROM captions").fetchone()[0],
            "transcripts": count("SELECT COUNT(*) FROM transcripts").fetchone()[0],
            "vector_sets": vector_sets,
            "disk_bytes": disk,
        }  # fmt: skip

    def dump(self) -> dict[str, Any]:
        """Every row and vector, for comparing two databases (tests, debugging)."""
        tables: dict[str, list[Any]] = {}
        for table, key in (("sources", "source_id"), ("frames", "frame_id"), ("clips", "clip_id"),
                           ("tracks", "track_id"), ("encodings", "source_id, encoder")):  # fmt: skip
            rows = self.connection.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()
            tables[table] = [{k: row[k] for k in row.keys() if k != "indexed_at"} for row in rows]  # noqa: SIM118 (sqlite3.Row iterates values)
        for name in sorted(self._files):
            encoder, level = name.rsplit(".", 1)
            material_ids, vectors = self.vectors(encoder, level)
            order = np.argsort(material_ids)
            tables[f"vectors:{name}"] = [
                (material_ids[i], vectors[i].round(5).tolist()) for i in order
            ]
        return json.loads(json.dumps(tables))


def _source(row: sqlite3.Row) -> Source:
    return Source(
        source_id=row["source_id"], path=from_db_path(row["path"]), content_hash=row["content_hash"],
        duration=row["duration"], kind=row["kind"], width=row["width"], height=row["height"],
        fps=row["fps"], rotation=row["rotation"], variable_frame_rate=bool(row["variable_frame_rate"]),
        has_audio=bool(row["has_audio"]), audio_streams=row["audio_streams"],
        video_codec=row["video_codec"], size_bytes=row["size_bytes"],
    )  # fmt: skip
