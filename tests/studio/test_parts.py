"""The studio's parts on their own: plan versions, the event stream, looks, start-up cost."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from autocut_core.studio.edits import render_settings
from autocut_core.studio.errors import Conflict
from autocut_core.studio.events import EventLog, EventReporter, sse_stream
from autocut_core.studio.project import RenderChoices
from autocut_core.studio.versions import PlanHistory
from autocut_core.types import EditPlan, RenderSettings, Slot


def _plan(sentence: str) -> EditPlan:
    return EditPlan(slots=(Slot("c1", "/x.mp4", 0.0, 1.0, sentence=sentence),))


def test_versions_undo_redo_and_branch(tmp_path: Path):
    history = PlanHistory(tmp_path / "versions")
    with pytest.raises(Exception, match="no plan yet"):
        history.current()
    for text in ("one", "two", "three"):
        history.save(_plan(text), ("s1",), text)
    assert history.current().plan.slots[0].sentence == "three"
    assert history.undo().plan.slots[0].sentence == "two"
    assert history.undo().number == 1
    with pytest.raises(Conflict, match="nothing to undo"):
        history.undo()
    assert history.redo().number == 2
    branch = history.save(_plan("two-b"), ("s1",), "two-b")
    assert (branch.number, branch.parent) == (4, 2)
    with pytest.raises(Conflict, match="nothing to redo"):
        history.redo()
    assert history.undo().number == 2
    assert history.redo().number == 4  # the newest child of version 2
    summary = history.history()
    assert summary["head"] == 4 and [v["parent"] for v in summary["versions"]] == [None, 1, 2, 2]
    again = PlanHistory(tmp_path / "versions")  # a new process reads the same state
    assert again.current().plan == _plan("two-b")
    with pytest.raises(Exception, match="slot keys"):
        history.save(_plan("x"), ("s1", "s2"), "bad")


def test_the_event_stream_resumes_from_any_event():
    log = EventLog()
    reporter = EventReporter(log, "render-1")
    with reporter.stage("render", total=4.0) as stage:
        stage.update(4.0, 4.0)
    polls = iter([False, False, True])

    async def disconnected() -> bool:
        return next(polls)

    async def collect(cursor: int) -> list[str]:
        return [chunk async for chunk in sse_stream(log, cursor, disconnected, poll_s=0)]

    chunks = asyncio.run(collect(0))
    assert [chunk.split("\n")[0] for chunk in chunks] == ["id: 0", "id: 1", "id: 2"]
    assert '"state": "start"' in chunks[0] and '"done": 4.0' in chunks[1]
    assert "event: stage" in chunks[2] and '"state": "end"' in chunks[2]
    polls = iter([False, True])
    assert [c.split("\n")[0] for c in asyncio.run(collect(2))] == ["id: 2"]


def test_looks_keep_the_long_side_and_even_sizes():
    base = RenderSettings()
    tall = render_settings(base, RenderChoices(aspect="9:16", long_side=1920))
    assert (tall.width, tall.height) == (1080, 1920)
    wide = render_settings(base, RenderChoices(aspect="16:9", long_side=250))
    assert (wide.width, wide.height) == (250, 140)
    square = render_settings(base, RenderChoices(aspect="1:1", subtitles=False,
                                                 subtitle_position="top"))  # fmt: skip
    assert (square.width, square.height) == (1920, 1920) and not square.subtitles
    assert square.subtitle_style.position == "top"


def test_the_command_line_does_not_load_the_web_stack():
    code = (
        "import sys; from autocut_core.cli import build_app; build_app();"
        "web = ('fastapi', 'starlette', 'uvicorn', 'selenium', 'autocut_core.studio.app');"
        "print([m for m in web if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)  # fmt: skip
    assert result.stdout.strip() == "[]"


def test_studio_is_a_command(cli):
    code, out, _ = cli("studio", "--help")
    assert code == 0 and "--media" in out and "--token" in out
    code, _, err = cli("studio", "--media", "/no/such/folder")
    assert code == 2 and "no such folder" in err


def test_the_bundled_example_is_a_project_spec():
    from autocut_core.studio.example import EXAMPLE_TRACKS, MUSIC_LIBRARY, example_spec

    spec, allowed = example_spec()
    assert spec.backbone == "similarity" and spec.pipeline == "script-driven"
    assert spec.product_facts().brand == "Orchard Fresh" and len(spec.script) == 5
    assert spec.footage == []  # made by make_example_footage, into the project
    assert MUSIC_LIBRARY.is_dir(), "hyperrogue-music is missing: run scripts/bootstrap.sh"
    assert allowed == [MUSIC_LIBRARY] and len(spec.music) == EXAMPLE_TRACKS
    assert all(Path(track).parent == MUSIC_LIBRARY for track in spec.music)


def test_edits_at_once_each_get_their_own_version(tmp_path: Path):
    import threading

    folder = tmp_path / "versions"
    PlanHistory(folder).save(_plan("base"), ("s1",), "base")

    def edit(name: str) -> None:
        for number in range(15):  # each request makes its own PlanHistory, as the API does
            PlanHistory(folder).save(_plan(f"{name}{number}"), ("s1",), name)

    threads = [threading.Thread(target=edit, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    history = PlanHistory(folder)
    assert history.numbers() == list(range(1, 32))
    sentences = {history.load(n).plan.slots[0].sentence for n in history.numbers()}
    assert len(sentences) == 31
    assert history.save_if_current(5, _plan("late"), ("s1",), "late") is None
    assert history.save_if_current(31, _plan("on time"), ("s1",), "ok").number == 32


def test_a_project_keeps_one_backbone_per_backbone_settings(tmp_path: Path):
    """The run and the alternatives' ranking, and later runs, share a backbone (its models load
    once); changed backbone options make a new one, and another project has its own."""
    from autocut_core.settings import load_settings
    from autocut_core.studio.project import ProjectSpec
    from autocut_core.studio.service import Studio

    studio = Studio(tmp_path / "ws", load_settings(backbone="random"))
    first = studio.workspace.create(
        ProjectSpec(name="one", product={"name": "A"}, backbone="random")
    )
    second = studio.workspace.create(
        ProjectSpec(name="two", product={"name": "B"}, backbone="random")
    )
    settings = load_settings(backbone="random")
    backbone = studio._backbone(first, settings)
    assert studio._backbone(first, load_settings(backbone="random")) is backbone
    assert studio._backbone(second, settings) is not backbone
    changed = settings.model_copy(update={"backbones": {"random": {"seed": 7}}})
    assert studio._backbone(first, changed) is not backbone
    assert len([key for key in studio._backbones if key[0] == first.id]) == 1
