"""The studio's JSON API through the ASGI test client, on the bundled example's footage.

One module-scoped studio indexes and runs the example once (similarity backbone, a few
seconds at test size); the tests then edit, undo, render and attack it through the API the
page uses.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autocut_core import serde
from autocut_core.settings import AutocutSettings
from autocut_core.studio.app import create_app
from autocut_core.studio.service import Studio
from autocut_core.types import EditPlan

from .conftest import example_spec, wait_for


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory, media_root: Path) -> Studio:
    made = Studio(tmp_path_factory.mktemp("workspace"), AutocutSettings(jobs=1), [media_root])
    yield made
    made.jobs.shutdown()


@pytest.fixture(scope="module")
def client(studio: Studio) -> TestClient:
    return TestClient(create_app(studio))


def finished(client: TestClient, job: dict) -> dict:
    """The job once it has finished; it must have succeeded."""
    done = wait_for(lambda: (state := client.get(f"/api/jobs/{job['id']}").json())["state"]
                    in {"done", "failed"} and state)  # fmt: skip
    assert done["state"] == "done", done["error"]
    return done


@pytest.fixture(scope="module")
def project(client: TestClient, media_root: Path) -> str:
    """A project made, indexed and run: its id."""
    created = client.post("/api/projects", json=example_spec(media_root))
    assert created.status_code == 201, created.text
    info = created.json()
    index_job = next(job for job in info["jobs"] if job["kind"] == "index")
    report = finished(client, index_job)["result"]
    assert report["new_videos"] == 3 and report["new_tracks"] == 2 and report["failed"] == []
    finished(client, client.post(f"/api/projects/{info['id']}/run").json())
    return info["id"]


def board(client: TestClient, project: str) -> dict:
    return client.get(f"/api/projects/{project}/storyboard").json()


def edit(client: TestClient, project: str, change: dict, status: int = 200) -> dict:
    answer = client.post(f"/api/projects/{project}/edits", json=change)
    assert answer.status_code == status, answer.text
    return answer.json()


def test_the_storyboard_shows_each_slot_with_its_ranked_alternatives(client, project):
    data = board(client, project)
    assert [card["sentence"] for card in data["slots"]] == example_spec(Path())["script"]
    for card in data["slots"]:
        assert card["score"] is not None and card["evidence"]
        alternatives = card["alternatives"]
        assert len(alternatives) == 4
        assert [alt["rank"] for alt in alternatives] == [1, 2, 3, 4]
        scores = [alt["score"] for alt in alternatives]
        assert scores == sorted(scores, reverse=True)  # the backbone's own ranking
        assert len({alt["clip_id"] for alt in alternatives}) == 4
    # the example's captions lead the backbone: the apple line shows the apple
    apple = data["slots"][1]
    assert "apple" in apple["evidence"]
    assert {option["title"] for option in data["music"]["options"]} == {"calm", "energetic"}
    assert data["music"]["current"] == data["music"]["options"][0]["track_id"]
    assert data["size"] == [144, 256]
    thumb = client.get(apple["thumb"])
    assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"


def test_edits_are_versions_with_undo_redo_and_history(client, project):
    start = board(client, project)
    head = start["version"]["number"]
    card = start["slots"][0]
    pick = next(i for i, alt in enumerate(card["alternatives"]) if not alt["current"]
                and all(alt["clip_id"] != other["clip_id"] for other in start["slots"]))  # fmt: skip
    chosen = card["alternatives"][pick]
    swapped = edit(client, project, {"op": "swap", "slot": 0, "alternative": pick})
    first = swapped["slots"][0]
    assert first["clip_id"] == chosen["clip_id"] and first["evidence"] == chosen["caption"]
    assert first["score"] == pytest.approx(chosen["score"]) and not first["edited"]
    reworded = edit(client, project, {"op": "sentence", "slot": 2, "text": "  Oranges   at dawn. "})
    assert reworded["slots"][2]["sentence"] == "Oranges at dawn."
    assert reworded["slots"][2]["edited"] and reworded["slots"][2]["revoice"]
    assert reworded["slots"][2]["score_label"] == "edited"
    moved = edit(client, project, {"op": "move", "slot": 4, "to": 0})
    assert moved["slots"][0]["clip_id"] == start["slots"][4]["clip_id"]
    assert moved["slots"][0]["key"] == "s5"  # the card keeps its alternatives
    other = next(o for o in start["music"]["options"] if o["track_id"] != start["music"]["current"])
    music = edit(client, project, {"op": "music", "track_id": other["track_id"]})
    assert music["music"]["current"] == other["track_id"]
    look = edit(client, project, {"op": "look", "render": {**start["render"], "aspect": "1:1",
                                                           "subtitle_position": "top"}})  # fmt: skip
    assert look["size"] == [256, 256] and look["render"]["subtitle_position"] == "top"
    history = look["history"]
    assert history["head"] == head + 5 and history["can_undo"] and not history["can_redo"]
    assert [v["parent"] for v in history["versions"][-5:]] == list(range(head, head + 5))

    undone = client.post(f"/api/projects/{project}/undo").json()
    assert undone["size"] == [144, 256] and undone["history"]["can_redo"]
    redone = client.post(f"/api/projects/{project}/redo").json()
    assert redone["size"] == [256, 256]
    back = client.post(f"/api/projects/{project}/versions/{head}/checkout").json()
    assert [c["clip_id"] for c in back["slots"]] == [c["clip_id"] for c in start["slots"]]
    # an edit after going back branches from there; the later versions stay in the history
    branched = edit(client, project, {"op": "move", "slot": 0, "to": 1})
    assert branched["version"]["parent"] == head
    assert len(branched["history"]["versions"]) == len(history["versions"]) + 1
    client.post(f"/api/projects/{project}/versions/{head}/checkout")


def test_an_edit_that_would_show_footage_twice_is_refused(client, project):
    data = board(client, project)
    second = data["slots"][1]["clip_id"]
    taken = next((i for i, alt in enumerate(data["slots"][0]["alternatives"])
                  if alt["clip_id"] == second), None)  # fmt: skip
    if taken is None:  # the apple clip ranks for the first line too (measured: rank 2)
        pytest.fail("the first slot's alternatives should include the second slot's clip")
    refused = edit(client, project, {"op": "swap", "slot": 0, "alternative": taken}, 409)
    assert "the same footage twice" in refused["error"]
    assert board(client, project)["version"] == data["version"]  # nothing saved


def test_bad_edits_name_the_problem(client, project):
    assert "no slot 99" in edit(client, project, {"op": "sentence", "slot": 98, "text": "x"},
                                400)["error"]  # fmt: skip
    assert "alternatives, not 10" in edit(client, project,
                                          {"op": "swap", "slot": 0, "alternative": 9}, 400)["error"]  # fmt: skip
    assert "not in this run's music" in edit(client, project,
                                             {"op": "music", "track_id": "nope"}, 400)["error"]  # fmt: skip
    assert client.post(f"/api/projects/{project}/edits", json={"op": "explode"}).status_code == 422


def streams(video: Path) -> dict:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(video)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(probe.stdout)


def test_renders_queue_and_write_every_deliverable(client, project, studio):
    head = board(client, project)["version"]["number"]
    jobs = [client.post(f"/api/projects/{project}/render").json() for _ in range(2)]
    results = [finished(client, job)["result"] for job in jobs]
    assert results[0]["version"] == head
    events = [event for _, event in studio.jobs.log(project).since(0) if event["kind"] == "job"]
    order = [(e["job"], e["state"]) for e in events if e["job"] in {j["id"] for j in jobs}]
    first, second = (job["id"] for job in jobs)
    assert order.index((first, "done")) < order.index((second, "running"))  # never interleaved
    record = results[0]
    assert set(record["files"]) >= {"video", "srt", "plan", "otio", "edl", "fcpxml"}
    folder = studio.workspace.get(project).folder
    facts = streams(folder / record["files"]["video"])
    kinds = {s["codec_type"]: s for s in facts["streams"]}
    assert kinds["video"]["width"] == 144 and kinds["video"]["height"] == 256
    assert "audio" in kinds
    plan = serde.load_json(EditPlan, folder / record["files"]["plan"])
    assert float(facts["format"]["duration"]) == pytest.approx(plan.duration, abs=0.25)
    download = client.get(f"/api/projects/{project}/files/{record['files']['srt']}?download=true")
    assert download.status_code == 200 and "-->" in download.text
    assert "attachment" in download.headers["content-disposition"]
    assert (
        client.get(f"/api/projects/{project}/renders").json()[0]["urls"]["video"].endswith("ad.mp4")
    )


def test_a_restarted_studio_has_every_saved_version(client, project, studio, media_root):
    before = board(client, project)
    versions = studio.workspace.get(project).versions
    (versions / ".v0999.json.junk.part").write_text("{half a file")  # a write cut short
    again = TestClient(create_app(Studio(studio.workspace.root, AutocutSettings(), [media_root])))
    after = again.get(f"/api/projects/{project}/storyboard").json()
    assert after["version"] == before["version"] and after["slots"] == before["slots"]
    (versions / "head.json").write_text("{not json")  # head lost mid-write: newest wins
    newest = max(v["number"] for v in before["history"]["versions"])
    assert again.get(f"/api/projects/{project}/storyboard").json()["version"]["number"] == newest
    (versions / ".v0999.json.junk.part").unlink()
    client.post(f"/api/projects/{project}/versions/{before['version']['number']}/checkout")


def test_the_openapi_description_lists_what_the_page_calls(client):
    paths = client.get("/openapi.json").json()["paths"]
    for route in ("/api/projects", "/api/projects/{project_id}/run",
                  "/api/projects/{project_id}/edits", "/api/projects/{project_id}/render",
                  "/api/projects/{project_id}/undo", "/api/projects/{project_id}/events"):  # fmt: skip
        assert route in paths, route
    assert client.get("/").headers["content-type"].startswith("text/html")
    assert "AutoCut Studio" in client.get("/").text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/..%2fapp.py").status_code == 404
