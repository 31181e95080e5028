"""Every rendered slot shows its own shot, frame by frame (issue 23, item 2).

Two real runs of `autocut run` on real footage (opencv-doc's Megamind.avi and photo reels
with cuts between the 10 fps samples), small renders, checked with
:func:`autocut_core.testing.shot_check.wrong_frames`: every output frame is matched to the
nearest native frame of its source, which must lie in the slot's shot. A voice line
longer than its shot must hold the shot's last frame, not run on into the next shot.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from autocut_core import serde
from autocut_core.media import probe
from autocut_core.testing.shot_check import wrong_frames
from autocut_core.types import EditPlan

from .conftest import MEGAMIND, copy_of

pytestmark = pytest.mark.slow

#: 180x320 at 15 fps without subtitles: small and fast, every frame still a frame of a shot.
CONFIG = """
[render]
width = 180
height = 320
fps = 15
crf = 30
preset = "ultrafast"
subtitles = false
"""
#: The first line speaks for about 4.4 s, longer than any shot but Megamind's first.
SCRIPT = (
    "Meet the Stride runner, light as air on every single morning run you take.\n"
    "Grip.\n"
    "It holds the road in rain and shine, mile after mile.\n"
    "Stride.\n"
)


#: Caption sidecars, as a user who knows the footage writes them: one cue per shot, cue
#: edges at the true cuts (Megamind's measured in conftest, the reels' made), words that the
#: script's lines share, so the default backbone picks by evidence, not by file order.
MEGAMIND_CUES = ("a city street on an early morning", "the road at night in the rain",
                 "mile after mile of open road", "the Stride logo")  # fmt: skip
REEL_CUES = ("fresh fruit for a morning run", "a firm grip on a branch",
             "a red apple in rain and shine", "light as air like a butterfly")  # fmt: skip


def _write_captions(video: Path, cuts: Sequence[float], duration: float, texts: Sequence[str]):
    edges = [0.0, *cuts, duration]
    cues = [
        {"start": start, "end": end, "text": text}
        for (start, end), text in zip(itertools.pairwise(edges), texts, strict=True)
    ]
    video.with_name(video.name + ".captions.json").write_text(json.dumps(cues))


@pytest.fixture(scope="module")
def footage(reels, megamind_cuts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("slot-frames")
    folder = root / "footage"
    megamind = copy_of(MEGAMIND, folder)
    _write_captions(megamind, megamind_cuts, probe(megamind).duration, MEGAMIND_CUES)
    for reel in (reels["avi"], reels["mp4"]):
        video = copy_of(reel.path, folder)
        _write_captions(video, reel.cuts, reel.duration, REEL_CUES)
    (root / "autocut.toml").write_text(CONFIG)
    (root / "product.toml").write_text('name = "Stride runner"\nbrand = "Stride"\n')
    (root / "script.txt").write_text(SCRIPT)
    return root


@pytest.fixture(scope="module")
def cuts(footage: Path, reels, megamind_cuts) -> dict[str, tuple[float, ...]]:
    folder = (footage / "footage").resolve()
    return {
        str(folder / MEGAMIND.name): megamind_cuts,
        str(folder / "reel.avi"): reels["avi"].cuts,
        str(folder / "reel.mp4"): reels["mp4"].cuts,
    }


class _Runs(dict):
    """One `autocut run` per trim strategy, made on first use (about 30 s each, 2 cores)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, trim: str) -> tuple[EditPlan, Path]:
        self[trim] = _run(self.root, trim, "--trim", trim)
        return self[trim]


@pytest.fixture(scope="module")
def runs(footage: Path) -> _Runs:
    return _Runs(footage)


def _run(root: Path, name: str, *extra: str) -> tuple[EditPlan, Path]:
    video = root / f"{name}.mp4"
    subprocess.run(
        [sys.executable, "-m", "autocut_core.cli", "run", "--config", str(root / "autocut.toml"),
         "--product", str(root / "product.toml"), "--script", str(root / "script.txt"),
         "--footage", str(root / "footage"), "--db", str(root / "db"), "-o", str(video),
         "--json", *extra],
        check=True, capture_output=True,
    )  # fmt: skip
    return serde.load_json(EditPlan, video.with_suffix(".plan.json")), video


@pytest.mark.parametrize("trim", ["by-frame", "by-clip"])
def test_every_rendered_frame_shows_its_slot_s_shot(runs, cuts, trim):
    plan, video = runs[trim]
    assert wrong_frames(video, plan, cuts) == []
    held = [slot for slot in plan.slots if slot.hold > 0]
    assert held, "no voice line was longer than its shot"
    for slot in plan.slots:
        shot_cuts = cuts[slot.source_path]
        assert slot.shot_end is not None and slot.source_out <= slot.shot_end + 1e-9
        # In and out inside one shot: no cut strictly between them.
        assert not [c for c in shot_cuts if slot.source_in + 1e-6 < c < slot.source_out - 1e-6]
    for slot in held:
        assert slot.source_out == pytest.approx(slot.shot_end)  # all the shot, then the hold
    sources = [(slot.source_path, slot.source_in, slot.source_out) for slot in plan.slots]
    assert len(set(sources)) == len(sources)
    # The sidecars were read: clips were matched on their words, not in file order.
    assert all(slot.score is not None and slot.score > 0 for slot in plan.slots), plan.slots


def test_the_check_sees_a_slot_that_runs_past_its_cut(runs, cuts, tmp_path):
    """The frame check itself: a held slot edited to run 0.3 s across its cut is caught
    (`autocut render` keeps an out point set by hand; the rest of its voice is held)."""
    plan, _ = runs["by-clip"]
    index, slot = next(
        (i, s) for i, s in enumerate(plan.slots)
        if s.hold > 0.3 and any(abs(c - s.shot_end) < 1e-6 for c in cuts[s.source_path])
    )  # fmt: skip
    crossing = replace(slot, source_out=slot.source_out + 0.3, hold=slot.hold - 0.3)
    bad = replace(plan, slots=(*plan.slots[:index], crossing, *plan.slots[index + 1 :]))
    plan_file = tmp_path / "bad.plan.json"
    serde.save_json(bad, plan_file)
    video = tmp_path / "bad.mp4"
    subprocess.run(
        [sys.executable, "-m", "autocut_core.cli", "render", str(plan_file), "-o", str(video)],
        check=True, capture_output=True,
    )  # fmt: skip
    rendered = serde.load_json(EditPlan, video.with_suffix(".plan.json"))
    assert rendered.slots[index].source_out == pytest.approx(crossing.source_out)
    problems = wrong_frames(video, rendered, cuts)
    assert problems and all(f"slot {index + 1} " in line for line in problems), problems
