"""The README's main command on the bundled example (examples/demo/run_demo.py), end to end.

It indexes real footage and a real music library, lets the default backbone decide, voices
the script with espeak-ng and renders 1080x1920. Then the MP4 is checked the way a viewer
would notice problems: streams, length, A/V sync, subtitles on screen while their line is
spoken, loudness.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autocut_core import serde
from autocut_core.editing.timeline import place, total_duration
from autocut_core.types import EditPlan

from .conftest import loudness, streams

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
pytestmark = pytest.mark.slow


def _demo_module():
    spec = importlib.util.spec_from_file_location("run_demo", DEMO / "run_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    _demo_module().main(out)
    return out


def _plan(demo: Path) -> EditPlan:
    return serde.load_json(EditPlan, demo / "demo.plan.json")


def test_the_main_command_writes_the_ad_and_its_side_outputs(demo):
    for name in ("demo.mp4", "demo.srt", "demo.plan.json", "demo.otio", "demo.contact.png"):
        assert (demo / name).stat().st_size > 0, name
    plan = _plan(demo)
    assert plan.pipeline == "script-driven"
    assert [slot.sentence for slot in plan.slots] == (DEMO / "script.txt").read_text().splitlines()
    assert plan.music is not None and Path(plan.music.path).is_file()
    assert all(slot.voice_path and Path(slot.voice_path).is_file() for slot in plan.slots)


def test_streams_length_and_sync(demo):
    found = streams(demo / "demo.mp4")
    video, audio = found["video"], found["audio"]
    assert (video["codec_name"], video["width"], video["height"]) == ("h264", 1080, 1920)
    assert video["pix_fmt"] == "yuv420p" and audio["codec_name"] == "aac"
    assert abs(float(video["duration"]) - float(audio["duration"])) <= 0.050
    assert float(video["duration"]) == pytest.approx(total_duration(_plan(demo)), abs=1 / 30 + 1e-3)


def test_loudness_meets_the_target(demo):
    integrated, true_peak = loudness(demo / "demo.mp4")
    assert integrated == pytest.approx(-14.0, abs=1.0)
    assert true_peak <= -1.0


def _band(video: Path, seconds: float) -> np.ndarray:
    """The lower third of the frame at ``seconds`` (where 9:16 subtitles sit), 270x480."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{seconds:.3f}", "-i", "file:" + str(video),
         "-frames:v", "1", "-vf", "scale=270:480", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(480, 270)[300:440].astype(np.int16)


def test_subtitles_are_on_screen_while_their_line_is_spoken(demo, tmp_path):
    """Render the same plan without subtitles; the difference is the burned text, per slot."""
    plan = _plan(demo)
    data = json.loads((demo / "demo.plan.json").read_text())
    data["render"]["subtitles"] = False
    bare = tmp_path / "bare.plan.json"
    bare.write_text(json.dumps(data))
    subprocess.run(
        [sys.executable, "-m", "autocut_core.cli", "render", str(bare), "-o", str(tmp_path / "bare.mp4")],
        check=True, capture_output=True,
    )  # fmt: skip
    for placed in place(plan):
        spoken_from = placed.start
        spoken_to = placed.start + (placed.slot.voice_duration or 0.0)
        for moment in (spoken_from + 0.2, (spoken_from + spoken_to) / 2, spoken_to - 0.2):
            with_text = _band(demo / "demo.mp4", moment)
            without = _band(tmp_path / "bare.mp4", moment)
            changed = np.mean(np.abs(with_text - without) > 60)
            assert changed > 0.01, f"no subtitle at {moment:.2f} s ({placed.slot.sentence!r})"


#: What each line of examples/demo/script.txt describes (the photo's name).
DESCRIBED = ["fruits", "apple", "orange", "butterfly", "squirrel_cls"]


def test_every_sentence_gets_the_shot_it_describes(demo):
    """The shipped backbone (similarity on the footage's caption sidecars) picks the shot
    each line describes, all five (the demo model, --backbone lm, got 4: it put the orange
    line over the office building)."""
    spec = importlib.util.spec_from_file_location("make_footage", DEMO / "make_footage.py")
    footage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(footage)
    shown = []
    for slot in _plan(demo).slots:
        shots = footage.REELS[Path(slot.source_path).stem]
        shown.append(shots[int(slot.source_in // footage.SHOT_SECONDS)][0].split(".")[0])
    assert shown == DESCRIBED


def test_every_slot_shows_only_its_own_shot(demo):
    """No flash frames: each output frame's nearest reel frame lies in the slot's shot
    (the top 60% of the frame, above the burned subtitles)."""
    from autocut_core.testing.shot_check import wrong_frames

    spec = importlib.util.spec_from_file_location("make_footage", DEMO / "make_footage.py")
    footage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(footage)
    plan = _plan(demo)
    cuts = {
        slot.source_path: tuple(
            float(i * footage.SHOT_SECONDS)
            for i in range(1, len(footage.REELS[Path(slot.source_path).stem]))
        )
        for slot in plan.slots
    }
    assert wrong_frames(demo / "demo.mp4", plan, cuts, rows=0.6) == []
