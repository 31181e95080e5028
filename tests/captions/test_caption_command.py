"""`autocut caption`: one caption per clip into the database, cached, sidecars on request,
a failed clip one line; and what `autocut run`'s candidates read back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocut_core import hookimpl
from autocut_core.errors import CaptionError
from autocut_core.materials.database import MaterialDB
from autocut_core.testing import FakeCaptioner
from autocut_core.testing.samples import Scene, make_scene_video, solid_color

#: Three flat-colour shots of 2 s: the fake captioner names each one's colour.
COLOURS = ("red", "green", "blue")


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("footage")
    scenes = [Scene(2.0, solid_color(colour)) for colour in COLOURS]
    make_scene_video(folder / "colours.mp4", scenes, size=(160, 120), audio=False)
    return folder


def _caption(cli, footage: Path, db: Path, *extra: str) -> dict:
    code, out, err = cli("caption", str(footage), "--db", str(db), "--captioner", "fake",
                         "--encoder", "histogram", "--json", *extra)  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_every_clip_gets_its_caption_once(cli, autocut_fakes, footage, tmp_path):
    db = tmp_path / "db"
    first = _caption(cli, footage, db)
    assert [clip["caption"].split()[2] for clip in first["clips"]] == list(COLOURS)
    assert (first["written"], first["cached"]) == (3, 0)
    assert first["model"] == "fake:fake:v1"
    again = _caption(cli, footage, db)
    assert (again["written"], again["cached"]) == (0, 3)
    assert [c["caption"] for c in again["clips"]] == [c["caption"] for c in first["clips"]]
    with MaterialDB(db, write=False) as opened:
        stored = opened.captions()
    assert sorted(c.text for c in stored.values()) == sorted(c["caption"] for c in first["clips"])
    # Another prompt is another question: captioned again, next to the first answers.
    other = _caption(cli, footage, db, "--captioner-opt", "prompt=Name the colour.")
    assert (other["written"], other["cached"]) == (3, 0)


def test_sidecar_on_request_and_never_over_one_that_is_there(cli, autocut_fakes, footage, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "colours.mp4").write_bytes((footage / "colours.mp4").read_bytes())
    data = _caption(cli, copy, tmp_path / "db", "--sidecar")
    sidecar = copy / "colours.captions.json"
    assert data["sidecars"] == [str(sidecar)]
    cues = json.loads(sidecar.read_text())
    assert [(cue["start"], cue["end"]) for cue in cues] == [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0)]
    assert [cue["text"] for cue in cues] == [clip["caption"] for clip in data["clips"]]
    sidecar.write_text('[{"start": 0, "end": 6, "text": "my own words"}]')
    again = _caption(cli, copy, tmp_path / "db", "--sidecar")
    assert again["sidecars"] == [] and again["kept_sidecars"] == [str(sidecar)]
    assert "my own words" in sidecar.read_text()


class _FailsOnGreen(FakeCaptioner):
    name = "fails-on-green"

    def _describe(self, frames):
        caption = super()._describe(frames)
        if "green" in caption:
            raise CaptionError("the server gave up on this clip (HTTP 503 after 5 tries)")
        return caption


class _FailPlugin:
    @staticmethod
    @hookimpl
    def register_captioners(register):
        register(_FailsOnGreen)


def test_a_failed_clip_is_one_line_and_the_run_goes_on(cli, autocut_plugin, footage, tmp_path):
    autocut_plugin(_FailPlugin, name="fails")
    args = ("caption", str(footage), "--db", str(tmp_path / "db"), "--captioner", "fails-on-green")
    code, out, err = cli(*args)
    assert code == 0, err
    assert "2 written, 0 already stored, 1 failed" in out
    failed = [line for line in err.splitlines() if "HTTP 503" in line]
    assert len(failed) == 1 and "colours.mp4" in failed[0]


class _AlwaysFails(FakeCaptioner):
    name = "always-fails"

    def _describe(self, frames):
        return "   "


class _AlwaysPlugin:
    @staticmethod
    @hookimpl
    def register_captioners(register):
        register(_AlwaysFails)


def test_a_run_where_every_clip_failed_is_an_error(cli, autocut_plugin, footage, tmp_path):
    autocut_plugin(_AlwaysPlugin, name="always")
    code, _, err = cli("caption", str(footage), "--db", str(tmp_path / "db"),
                       "--captioner", "always-fails")  # fmt: skip
    assert code == 1
    assert "described none of the 3 clips" in err and "empty caption" in err


def test_candidates_read_stored_captions_after_sidecars(cli, autocut_fakes, footage, tmp_path):
    """The run's evidence order: a person's sidecar, then the captioner's, then the name."""
    from autocut_core.pipelines import gather
    from autocut_core.pipelines.request import EditRequest
    from autocut_core.settings import load_settings
    from autocut_core.types import Product

    db = tmp_path / "db"
    _caption(cli, footage, db)
    settings = load_settings(encoder="histogram")
    request = EditRequest(product=Product(name="x"), footage=(footage,), output=tmp_path / "a.mp4",
                          settings=settings, db=db)  # fmt: skip
    material = gather.gather(request)
    try:
        candidates = gather.shot_candidates(material)
    finally:
        material.db.close()
    assert [c.caption.split()[2] for c in candidates] == list(COLOURS)
    assert {c.caption_source for c in candidates} == {"captioner:fake:fake:v1"}
