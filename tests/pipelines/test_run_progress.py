"""`autocut run` reports every stage: index, tokens, each backbone call, voice, render.

A recording reporter stands in for the CLI's bars (the pipelines only see the
:class:`autocut_core.progress.Reporter` interface); the CLI tests check what a user sees:
plain lines when stderr is a log, rich bars on a terminal, nothing under ``--json``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from autocut_core import hookimpl
from autocut_core.cli.display import StageProgress
from autocut_core.inputs import load_product, load_script
from autocut_core.pipelines.request import EditRequest
from autocut_core.settings import load_settings
from autocut_core.testing import FakeBackbone, FakeTokenizer, samples
from autocut_core.types import RenderSettings

SMALL = RenderSettings(width=180, height=320, fps=15, crf=30, preset="ultrafast")


@dataclass
class Recorded:
    label: str
    total: float | None
    updates: list[tuple[float, float | None, str]] = field(default_factory=list)
    finished: bool = False

    def update(self, done: float, total: float | None = None, current: str = "") -> None:
        self.updates.append((done, total, current))


@dataclass
class Recorder:
    """A :class:`~autocut_core.progress.Reporter` that remembers every stage in order."""

    stages: list[Recorded] = field(default_factory=list)

    @contextlib.contextmanager
    def stage(self, label: str, total: float | None = None) -> Iterator[Recorded]:
        recorded = Recorded(label, total)
        self.stages.append(recorded)
        yield recorded
        recorded.finished = True

    def labels(self) -> list[str]:
        return [stage.label for stage in self.stages]

    def __getitem__(self, label: str) -> Recorded:
        return next(stage for stage in self.stages if stage.label == label)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("progress-inputs")
    (root / "footage").mkdir()
    (root / "music").mkdir()
    samples.make_scene_video(root / "footage" / "shots.mp4", samples.scenes_for([2, 2, 2]))
    samples.make_scene_video(root / "footage" / "more.mp4", samples.scenes_for([2, 2]))
    samples.make_music(root / "music" / "calm.wav", 8, "calm")
    samples.make_music(root / "music" / "drums.wav", 8, "energetic")
    (root / "product.toml").write_text('name = "Aero Bottle"\n')
    (root / "script.txt").write_text("Meet the bottle.\nCold all day.\n")
    (root / "autocut.toml").write_text(
        '[render]\nwidth = 180\nheight = 320\nfps = 15\ncrf = 30\npreset = "ultrafast"\n'
        '[backbones.similarity]\ntext_encoder = "none"\n'
    )
    return root


def _request(inputs: Path, tmp_path: Path, recorder: Recorder, **settings: str) -> EditRequest:
    return EditRequest(
        product=load_product(inputs / "product.toml"),
        footage=(inputs / "footage",),
        output=tmp_path / "ad.mp4",
        settings=load_settings(inputs / "autocut.toml", **settings),
        script=load_script(inputs / "script.txt"),
        music=(inputs / "music",),
        db=tmp_path / "db",
        render=SMALL,
        progress=recorder,
    )


def test_every_stage_of_a_run_reports(inputs: Path, tmp_path: Path) -> None:
    recorder = Recorder()
    request = _request(inputs, tmp_path, recorder)

    result = request.settings.create("pipeline").run(request)

    assert result.video is not None and result.video.is_file()
    assert recorder.labels() == [
        "index footage and music",
        "backbone similarity: select clips",
        "backbone similarity: order clips",
        "backbone similarity: pick music",
        "voice",
        "render",
        "plan, timeline and contact sheet",
    ]
    assert all(stage.finished for stage in recorder.stages)
    # Indexing counts files (2 videos + 2 tracks, all new here) and names each.
    index = recorder["index footage and music"]
    assert [done for done, _, _ in index.updates][-1] == 4
    assert {Path(current).name for _, _, current in index.updates} == {
        "shots.mp4", "more.mp4", "calm.wav", "drums.wav",
    }  # fmt: skip
    # The render reports seconds encoded from ffmpeg's -progress, up to the ad's length.
    render = recorder["render"]
    seconds = [done for done, _, _ in render.updates]
    assert render.total is not None and render.total > 0
    assert seconds == sorted(seconds) and seconds[-1] == pytest.approx(render.total)
    assert len(seconds) >= 2  # ffmpeg's own reports, then the stage's final one
    assert recorder["voice"].updates[-1][0] == 2  # both lines spoken


class _TokenReader(FakeBackbone):
    name = "token-reader"
    needs_tokens = True


class _Trained(FakeTokenizer):
    name = "fake-trained"

    def trained_on(self) -> tuple[str, int]:
        return "fake", self.dim


class _TokenPlugin:
    @staticmethod
    @hookimpl
    def register_backbones(register):
        register(_TokenReader)

    @staticmethod
    @hookimpl
    def register_tokenizers(register):
        register(_Trained)


def test_tokens_are_a_stage(inputs: Path, tmp_path: Path, autocut_fakes, autocut_plugin) -> None:
    autocut_plugin(_TokenPlugin, name="token-reader")
    recorder = Recorder()
    request = _request(
        inputs, tmp_path, recorder, backbone="token-reader", tokenizer="fake-trained",
        encoder="fake", voice="fake",
    )  # fmt: skip
    request = EditRequest(**{**request.__dict__, "music": (), "dry_run": True})

    result = request.settings.create("pipeline").run(request)

    assert result.video is None
    assert recorder.labels() == [
        "index footage and music",
        "tokens",
        "backbone token-reader: select clips",
        "backbone token-reader: order clips",
        "voice",
    ]
    tokens = recorder["tokens"]
    assert tokens.finished and tokens.total == 5  # five clips, no music
    assert tokens.updates[-1][0] == 5


def _run(cli, inputs: Path, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    """A silent dry run on the module's shared database (indexed by the first caller)."""
    return cli(
        "run", "--config", str(inputs / "autocut.toml"), "--product", str(inputs / "product.toml"),
        "--footage", str(inputs / "footage"), "--script", str(inputs / "script.txt"),
        "--db", str(inputs / "db"), "-o", str(tmp_path / "ad.mp4"), "--no-voice-over",
        *extra,
    )  # fmt: skip


def test_a_log_gets_one_line_per_stage_start_and_end(cli, inputs: Path, tmp_path: Path) -> None:
    code, out, err = _run(cli, inputs, tmp_path, "--dry-run")
    assert code == 0, err
    lines = err.splitlines()
    for label in ("index footage and music", "backbone similarity: select clips"):
        assert f"{label} ..." in lines
        assert any(line.startswith(f"{label}: done in ") for line in lines)
    assert "slots" in out  # the summary stays on stdout


def test_json_output_is_pure_json_and_shows_no_progress(cli, inputs: Path, tmp_path: Path) -> None:
    code, out, err = _run(cli, inputs, tmp_path, "--json", "--dry-run")
    assert code == 0, err
    data = json.loads(out)  # one JSON document, nothing else on stdout
    assert Path(data["side_outputs"]["plan"]).is_file()
    assert " ..." not in err and "done in" not in err


def test_bars_on_a_terminal_name_every_stage(capsys: pytest.CaptureFixture[str]) -> None:
    with StageProgress("bars") as progress:
        with progress.stage("render", total=4.0) as stage:
            stage.update(2.0, 4.0, "/footage/[odd] name.mp4")
        with progress.stage("backbone similarity: select clips"):
            pass
    err = capsys.readouterr().err
    assert "render" in err and "4/4" in err  # finished bars stay, complete
    assert "backbone similarity: select clips" in err and "1/1" in err


def test_off_shows_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    progress = StageProgress.for_command(as_json=True)
    with progress, progress.stage("render", total=1.0) as stage:
        stage.update(1.0)
    assert capsys.readouterr() == ("", "")
