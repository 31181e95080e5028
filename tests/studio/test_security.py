"""The studio's rules on who may call it, which files it hands out and what it takes in.

No run is needed: a project is created (not indexed) and attacked through the API.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autocut_core.settings import AutocutSettings
from autocut_core.studio import security
from autocut_core.studio.app import create_app
from autocut_core.studio.service import Studio
from autocut_core.testing.samples import Scene, make_scene_video, solid_color

PRODUCT = {"name": "Juice", "brand": "Orchard Fresh"}


@pytest.fixture
def media(tmp_path: Path) -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    make_scene_video(folder / "clip.mp4", [Scene(1.0, solid_color("red"))], size=(64, 48))
    return folder


@pytest.fixture
def studio(tmp_path: Path, media: Path) -> Studio:
    made = Studio(tmp_path / "projects", AutocutSettings(), [media], max_upload_bytes=64 << 10)
    yield made
    made.jobs.shutdown()


@pytest.fixture
def client(studio: Studio) -> TestClient:
    return TestClient(create_app(studio))


@pytest.fixture
def project(client: TestClient, media: Path) -> str:
    spec = {"name": "Safe", "product": PRODUCT, "footage": [str(media)]}
    answer = client.post("/api/projects?index=false", json=spec)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_files_outside_the_project_are_never_served(client, project, studio, tmp_path):
    folder = studio.workspace.get(project).folder
    (tmp_path / "secret.txt").write_text("the-secret-content")
    os.symlink(tmp_path, folder / "link-out")
    attempts = [
        "%2e%2e/%2e%2e/secret.txt",
        "..%2f..%2fsecret.txt",
        "link-out/secret.txt",
        "%2fetc%2fpasswd",
        "run/%00.json",
    ]
    for attempt in attempts:
        answer = client.get(f"/api/projects/{project}/files/{attempt}")
        assert answer.status_code in {403, 404}, (attempt, answer.status_code)
        assert "the-secret-content" not in answer.text and "root:" not in answer.text
    assert client.get(f"/api/projects/{project}/files/project.json").status_code == 200


def test_thumbnails_only_of_the_project_media(client, project, media, tmp_path):
    ok = client.get(f"/api/projects/{project}/thumb", params={"source": str(media / "clip.mp4"),
                                                              "at": 0.5})  # fmt: skip
    assert ok.status_code == 200 and ok.content[:2] == b"\xff\xd8"
    other = tmp_path / "elsewhere.mp4"
    make_scene_video(other, [Scene(1.0, solid_color("blue"))], size=(64, 48))
    for source in ("/etc/passwd", str(other), f"{media}/../elsewhere.mp4"):
        answer = client.get(f"/api/projects/{project}/thumb", params={"source": source, "at": 0})
        assert answer.status_code == 403, source
        assert "outside the project" in answer.json()["error"]


def test_projects_name_only_folders_under_the_media_roots(client, media, tmp_path, studio):
    outside = tmp_path / "private"
    outside.mkdir()
    refused = client.post("/api/projects", json={"name": "x", "product": PRODUCT,
                                                 "footage": [str(outside)]})  # fmt: skip
    assert refused.status_code == 403 and str(outside) in refused.json()["error"]
    sneaky = client.post("/api/projects", json={"name": "x", "product": PRODUCT,
                                                "music": [f"{media}/../private"]})  # fmt: skip
    assert sneaky.status_code == 403
    bare = TestClient(create_app(Studio(tmp_path / "other", AutocutSettings())))
    answer = bare.post("/api/projects", json={"name": "x", "product": PRODUCT,
                                              "footage": [str(media)]})  # fmt: skip
    assert answer.status_code == 403 and "--media" in answer.json()["error"]
    assert client.get("/api/projects/..%2f..%2fetc").status_code == 404
    no_name = client.post("/api/projects", json={"name": "x", "product": {}})
    assert no_name.status_code == 400 and "name" in no_name.json()["error"]


def test_another_host_needs_the_token(studio):
    assert security.token_for("127.0.0.1", None) is None
    assert security.token_for("::1", None) is None
    generated = security.token_for("0.0.0.0", None)
    assert generated and len(generated) >= 20
    assert security.token_for("0.0.0.0", "given") == "given"
    client = TestClient(create_app(studio, token="s3cret"))
    assert client.get("/api/projects").status_code == 401
    assert client.get("/").status_code == 401
    assert client.get("/api/projects", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/projects", headers={"X-Autocut-Token": "s3cret"}).status_code == 200
    opened = client.get("/?token=s3cret")  # the printed URL: sets the cookie for the page
    assert opened.status_code == 200 and "autocut_token" in opened.headers["set-cookie"]
    assert client.get("/api/projects").status_code == 200  # the cookie now


def test_uploads_are_size_limited_and_type_checked(client, project, studio, media):
    url = f"/api/projects/{project}/uploads"
    uploads = studio.workspace.get(project).uploads
    wrong = client.post(f"{url}/footage", files={"file": ("notes.exe", b"MZ...")})
    assert wrong.status_code == 415 and ".mp4" in wrong.json()["error"]
    fake = client.post(f"{url}/footage", files={"file": ("fake.mp4", b"not a video at all")})
    assert fake.status_code == 415 and "fake.mp4" in fake.json()["error"]
    big = client.post(f"{url}/music", files={"file": ("big.wav", b"\0" * (65 << 10))})
    assert big.status_code == 413 and "the limit of 0.0625 MiB" in big.json()["error"]
    assert sorted(p.name for p in uploads.rglob("*") if p.is_file()) == []  # nothing left
    real = (media / "clip.mp4").read_bytes()
    sent = client.post(f"{url}/footage", files={"file": ("../../../My clip.mp4", real)})
    assert sent.status_code == 201, sent.text
    assert sent.json()["name"] == "My clip.mp4" and (uploads / "footage" / "My clip.mp4").is_file()
    assert str((uploads / "footage").resolve()) in sent.json()["project"]["spec"]["footage"]
    script = b"First line.\nSecond line.\n"
    done = client.post(f"{url}/script", files={"file": ("script.txt", script)})
    assert done.json()["project"]["spec"]["script"] == ["First line.", "Second line."]
    latin = client.post(f"{url}/script", files={"file": ("s.txt", "caf\xe9".encode("latin-1"))})
    assert latin.status_code == 415 and "UTF-8" in latin.json()["error"]


def test_indexing_lists_each_file_that_failed(client, project, studio, media):
    (media / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 but nothing after")
    job = client.post(f"/api/projects/{project}/index").json()
    studio.jobs.shutdown()  # waits for the queued work
    done = client.get(f"/api/jobs/{job['id']}").json()
    assert done["state"] == "done", done["error"]
    assert done["result"]["new_videos"] == 1
    assert [Path(f["path"]).name for f in done["result"]["failed"]] == ["broken.mp4"]
    assert (
        client.get(f"/api/projects/{project}").json()["index"]["failed"] == done["result"]["failed"]
    )


def test_a_project_is_deleted_with_its_folder(client, project, studio):
    folder = studio.workspace.get(project).folder
    assert client.delete(f"/api/projects/{project}").status_code == 204
    assert not folder.exists() and client.get(f"/api/projects/{project}").status_code == 404
