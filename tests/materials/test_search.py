"""`autocut search`: by example, by sentence, by generated tokens; cached search indexes."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import ComponentSpec, IndexOptions, index
from autocut_core.testing import FakeTokenizer
from autocut_core.testing.samples import make_scene_video, scenes_for
from autocut_core.tokens.grounding import clip_for_frame, index_path, material_index
from autocut_core.tokens.strings import format_codes

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """Two videos that share their second shot's look, and one that shares nothing."""
    folder = tmp_path_factory.mktemp("search")
    make_scene_video(folder / "a.mp4", scenes_for([2.0, 3.0]), size=(160, 90), audio=False)
    make_scene_video(folder / "b.mp4", scenes_for([0, 3.0, 2.0])[1:], size=(160, 90), audio=False)
    make_scene_video(
        folder / "c.mp4", scenes_for([0, 0, 0, 0, 2.0, 2.0])[4:], size=(160, 90), audio=False
    )
    index([folder], [], folder / "db", IndexOptions())
    return folder


def _clip_of(db_folder: Path, name: str, number: int) -> str:
    with MaterialDB(db_folder, write=False) as db:
        source = next(s for s in db.sources() if s.path.endswith(name))
        return db.clips(source.source_id)[number].clip_id


def test_like_finds_the_same_shot_in_another_file(library, cli_json):
    query = _clip_of(library / "db", "a.mp4", 1)
    twin = _clip_of(library / "db", "b.mp4", 0)
    results = cli_json("search", "--db", str(library / "db"), "--like", query, "-k", "3", "--json")
    assert [row["rank"] for row in results] == [1, 2, 3]
    assert query not in [row["id"] for row in results]  # the query itself is not a result
    assert results[0]["id"] == twin
    assert results[0]["source"].endswith("b.mp4") and results[0]["score"] > 0.9
    assert results[0]["start"] == 0.0 and results[0]["end"] == pytest.approx(3.0, abs=0.1)


def test_search_index_is_cached_and_rebuilt_when_materials_change(library, tmp_path):
    with MaterialDB(library / "db") as db:
        first = material_index(db, "histogram", "clip")
        path = index_path(db, "histogram", "clip", "exact", {})
        stamp = path.stat().st_mtime_ns
        again = material_index(db, "histogram", "clip")
        assert path.stat().st_mtime_ns == stamp and again.ids == first.ids
    extra = tmp_path / "extra"
    extra.mkdir()
    make_scene_video(extra / "d.mp4", scenes_for([0, 0, 0, 2.0])[3:], size=(160, 90), audio=False)
    index([extra], [], library / "db", IndexOptions())
    with MaterialDB(library / "db") as db:
        rebuilt = material_index(db, "histogram", "clip")
        assert rebuilt.size == first.size + 1


def test_text_search_needs_a_text_tower(library, cli):
    code, _, err = cli("search", "--db", str(library / "db"), "--text", "a red shoe")
    assert code == 2
    assert "'histogram' has none" in err


def test_an_encoder_asked_for_by_name_is_never_swapped_for_another(library, cli, monkeypatch):
    """The database holds histogram vectors only: --encoder clip (or AUTOCUT_ENCODER) must say
    so, not search the histogram vectors and then blame histogram."""
    db = str(library / "db")
    code, _, err = cli("search", "--db", db, "--encoder", "clip", "--text", "a red shoe")
    assert code == 2
    assert "no 'clip' vectors from encoder 'clip' (indexed: histogram)" in err  # level, encoder
    assert f"autocut index FOOTAGE... --db {db} --encoder clip" in err
    monkeypatch.setenv("AUTOCUT_ENCODER", "clip")
    code, _, err = cli("search", "--db", db, "--like", "x")
    assert code == 2 and "encoder 'clip' (indexed: histogram)" in err


def test_exactly_one_query_kind(library, cli):
    code, _, err = cli("search", "--db", str(library / "db"), "--text", "x", "--like", "y")
    assert code == 2 and "exactly one of --text, --like or --tokens" in err
    code, _, err = cli("search", "--db", str(library / "db"), "--like", "nope0000001")
    assert code == 2 and "no clip 'nope0000001'" in err
    code, _, err = cli("search", "--db", str(library / "db"), "--like", "x", "--level", "scene")
    assert code == 2 and "--level must be one of frame, clip, track" in err


def test_text_search_with_the_clip_text_tower(library, cli_json, tmp_path):
    clip_options = {"random_init": True}
    index(
        [library], [], tmp_path / "db", IndexOptions(encoder=ComponentSpec.of("clip", clip_options))
    )
    results = cli_json("search", "--db", str(tmp_path / "db"), "--encoder", "clip", "--encoder-opt",
                       "random_init=true", "--text", "a yellow square on blue", "-k", "2", "--json")  # fmt: skip
    assert len(results) == 2 and all(-1.0 <= row["score"] <= 1.0 for row in results)


def test_generated_tokens_are_grounded_to_clips(library, cli_json, cli, autocut_fakes, tmp_path):
    index([library], [], tmp_path / "db", IndexOptions(encoder=ComponentSpec("fake")))
    with MaterialDB(tmp_path / "db", write=False) as db:
        _clip_ids, vectors = db.vectors("fake", "clip")
    codes = FakeTokenizer().encode_batch(vectors[:2])
    tokens = (
        "<|frame_start|>"
        + format_codes(codes[0], "v")
        + "<|frame_end|>"
        + format_codes(codes[1], "v")
    )
    args = [
        "search",
        "--db",
        str(tmp_path / "db"),
        "--encoder",
        "fake",
        "--tokenizer",
        "fake",
        "-k",
        "1",
    ]
    results = cli_json(*args, "--tokens", tokens, "--json")
    assert [row["query"] for row in results] == [0, 1]
    decoded = FakeTokenizer().decode_batch(codes)
    for row, vector in zip(
        results, decoded, strict=True
    ):  # the nearest clip to each decoded vector
        assert row["score"] == pytest.approx(float(max(vectors @ vector)), abs=1e-4)
    code, _, err = cli(*args, "--tokens", "<v_0_1><v_1_9>")
    assert code == 2 and "<v_1_9>" in err


def test_by_frame_clip_stops_at_the_end_of_its_source(library):
    with MaterialDB(library / "db", write=False) as db:
        source = next(s for s in db.sources() if s.path.endswith("a.mp4"))
        frame_id = db.frames(source.source_id)[3][0]
        clip = clip_for_frame(db, frame_id, length=4.0)
    assert (clip.start, clip.end) == (3.0, pytest.approx(5.0, abs=0.05))


def test_materials_clips_lists_every_clip_with_its_id_times_and_caption(library, cli_json, cli):
    rows = cli_json("materials", "clips", "--db", str(library / "db"), "--json")
    with MaterialDB(library / "db", write=False) as db:
        stored = [
            clip.clip_id for source in db.sources("video") for clip in db.clips(source.source_id)
        ]
    assert [row["id"] for row in rows] == stored  # (another test may have added a file)
    assert {"a.mp4", "b.mp4", "c.mp4"} <= {Path(row["source"]).name for row in rows}
    first = next(row for row in rows if row["source"].endswith("a.mp4"))
    assert first["start"] == 0.0 and first["end"] == pytest.approx(2.0, abs=0.1)
    assert first["caption"] == "a"  # no sidecar: the file name's words
    only_b = cli_json("materials", "clips", "--db", str(library / "db"), "--source", "b.mp4",
                      "--json")  # fmt: skip
    assert {Path(row["source"]).name for row in only_b} == {"b.mp4"}
    code, out, _ = cli("materials", "clips", "--db", str(library / "db"))
    assert code == 0 and f"{len(rows)} clip(s)" in out and rows[0]["id"] in out
