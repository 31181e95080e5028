"""One content at several paths: sidecars, plans and renders follow the path offered now.

Real footage: opencv-doc's ``Megamind.avi`` (11.3 s, cut into 4 shots by the default
settings), copied byte for byte into two folders, so the database holds one source with two
paths. The backbone is ``similarity`` without a model (``text_encoder=none``: word and
character overlap only), so a score moves only when the captions a run read change.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from autocut_core.materials.database import MaterialDB
from autocut_core.media import probe

SAMPLE = Path("/usr/share/doc/opencv-doc/examples/data/Megamind.avi")
CUES = [
    {"start": 0, "end": 3, "text": "white running shoes on a track"},
    {"start": 3, "end": 6, "text": "a runner laces up the shoes"},
    {"start": 6, "end": 12, "text": "the runner sprints at sunset"},
]
SCRIPT = "White running shoes.\nLace up and go.\nSprint into the sunset.\n"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``first/megamind.avi`` without sidecars, ``second/megamind.avi`` (the same bytes) with
    a captions sidecar; a product and a script."""
    assert SAMPLE.exists(), "bootstrap installs Debian's opencv-doc"
    monkeypatch.chdir(tmp_path)  # no stray autocut.toml
    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        shutil.copy(SAMPLE, tmp_path / name / "megamind.avi")
    (tmp_path / "second" / "megamind.captions.json").write_text(json.dumps(CUES))
    (tmp_path / "product.toml").write_text('name = "Swift Runner"\nbrand = "Stride"\n')
    (tmp_path / "script.txt").write_text(SCRIPT)
    return tmp_path


def _run(cli, world: Path, footage: Path, *extra: str) -> dict:
    code, out, err = cli(
        "run", "--product", str(world / "product.toml"), "--footage", str(footage),
        "--script", str(world / "script.txt"), "--db", str(world / "db"),
        "-o", str(world / "out" / "ad.mp4"), "--json", "--no-voice-over",
        "--backbone", "similarity", "--backbone-opt", "text_encoder=none", *extra,
    )  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def _slots(cli, world: Path, footage: Path) -> list[dict]:
    return _run(cli, world, footage, "--dry-run")["plan"]["slots"]


def _paths(cli_json, world: Path) -> dict[str, str]:
    (source,) = cli_json("materials", "sources", "--db", str(world / "db"), "--json")
    return {entry["path"]: entry["state"] for entry in source["paths"]}


def test_a_run_on_copies_reads_the_sidecar_beside_the_copies(cli, cli_json, world):
    without = _slots(cli, world, world / "first")  # only first/ is known: no sidecar anywhere
    # Measured: 0.0 for every slot (the name's one word, "megamind", overlaps no sentence).
    assert [slot["score"] for slot in without] == [0.0, 0.0, 0.0]

    with_captions = _slots(cli, world, world / "second")
    assert {Path(slot["source_path"]) for slot in with_captions} == {
        world / "second" / "megamind.avi"
    }
    # Measured: 0.750, 0.243, 0.816 (the sidecar's words are the script's); before paths
    # were kept per run the copy's sidecar was never read and these stayed 0.0.
    assert min(slot["score"] for slot in with_captions) > 0.2
    assert [slot["sentence"] for slot in with_captions] == SCRIPT.splitlines()
    assert _paths(cli_json, world) == {
        str(world / "first" / "megamind.avi"): "present",
        str(world / "second" / "megamind.avi"): "present",
    }
    clips = cli_json("materials", "clips", "--db", str(world / "db"), "--json")
    assert clips[0]["caption"] == "white running shoes on a track a runner laces up the shoes"
    assert clips[0]["sidecar"] == str(world / "second" / "megamind.captions.json")
    assert sorted(clips[0]["paths"]) == sorted(_paths(cli_json, world))


def test_the_offered_paths_sidecar_wins_and_recorded_paths_fill_in(cli, world):
    from autocut_core.inputs import load_product
    from autocut_core.pipelines.gather import gather, shot_candidates
    from autocut_core.pipelines.request import EditRequest
    from autocut_core.settings import load_settings

    (world / "first" / "megamind.txt").write_text("a red sneaker on a kitchen table\n")
    (world / "third").mkdir()
    shutil.copy(SAMPLE, world / "third" / "megamind.avi")  # a copy with no sidecar

    def captions(folder: str) -> tuple[set[str], list[str]]:
        request = EditRequest(product=load_product(world / "product.toml"),
                              footage=(world / folder,), output=world / "ad.mp4",
                              settings=load_settings(), db=world / "db")  # fmt: skip
        material = gather(request)
        try:
            candidates = shot_candidates(material)
        finally:
            material.db.close()
        return {c.source_path for c in candidates}, [c.caption for c in candidates]

    assert captions("first") == ({str(world / "first" / "megamind.avi")},
                                 ["a red sneaker on a kitchen table"] * 4)  # fmt: skip
    second = captions("second")
    assert second[0] == {str(world / "second" / "megamind.avi")}
    assert second[1][0] == "white running shoes on a track a runner laces up the shoes"
    # No sidecar beside third/: the most recently offered path that still holds the file
    # speaks (second/), while the plan still uses third/.
    assert captions("third") == ({str(world / "third" / "megamind.avi")}, second[1])
    captions("first")
    assert captions("third")[1] == ["a red sneaker on a kitchen table"] * 4


def test_a_deleted_first_folder_does_not_break_a_run_on_the_copy(cli, cli_json, world):
    code, _, err = cli("index", str(world / "first"), "--db", str(world / "db"))
    assert code == 0, err
    shutil.rmtree(world / "first")

    result = _run(cli, world, world / "second")
    video = Path(result["video"])
    assert {Path(slot["source_path"]) for slot in result["plan"]["slots"]} == {
        world / "second" / "megamind.avi"
    }
    facts = probe(video)
    assert facts.duration == pytest.approx(result["duration"], abs=0.1)
    assert _paths(cli_json, world) == {
        str(world / "first" / "megamind.avi"): "missing",
        str(world / "second" / "megamind.avi"): "present",
    }
    stats = cli_json("materials", "stats", "--db", str(world / "db"), "--json")
    assert (stats["paths"], stats["paths_present"], stats["paths_missing"]) == (2, 1, 1)
    assert stats["sources_with_several_paths"] == 1


def test_when_the_first_path_gets_new_content_the_copy_becomes_the_first(cli, world):
    import subprocess

    for folder in ("first", "second"):
        code, _, err = cli("index", str(world / folder), "--db", str(world / "db"))
        assert code == 0, err
    first = world / "first" / "megamind.avi"
    shorter = world / "short.avi"  # new content at the first path: Megamind's first 3 s
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(SAMPLE), "-t", "3", "-c", "copy",
                    str(shorter)], check=True)  # fmt: skip
    shutil.move(shorter, first)
    code, _, err = cli("index", str(world / "first"), "--db", str(world / "db"))
    assert code == 0, err
    with MaterialDB(world / "db", write=False) as db:
        by_duration = {round(source.duration): source for source in db.sources("video")}
        assert sorted(by_duration) == [3, 11]
        assert by_duration[11].path == str(world / "second" / "megamind.avi")
        assert by_duration[3].path == str(first)
        assert [row.fs_path for row in db.paths_of(by_duration[11].source_id)] == [
            str(world / "second" / "megamind.avi")
        ]


def test_search_results_name_a_path_that_still_holds_the_file(world):
    """`autocut search` shows where a clip can be found now: the copy, once the first
    folder is gone; ``missing`` when no recorded path holds the file any more."""
    from autocut_core.materials.indexing import IndexOptions, index
    from autocut_core.tokens.grounding import describe

    for name in ("first", "second"):
        index([world / name], [], world / "db", IndexOptions())
    shutil.rmtree(world / "first")
    with MaterialDB(world / "db", write=False) as db:
        (source,) = db.sources()
        clip = db.clips(source.source_id)[0]
        shown = describe(db, "clip", clip.clip_id)
        assert shown["source"] == str(world / "second" / "megamind.avi")
        assert "missing" not in shown
    shutil.rmtree(world / "second")
    with MaterialDB(world / "db", write=False) as db:
        shown = describe(db, "clip", clip.clip_id)
        assert shown["missing"] is True
        assert shown["source"] == str(world / "first" / "megamind.avi")  # the first recorded
