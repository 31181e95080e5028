"""`autocut run --variants N`: real renders that differ by the stated measure.

The measure (:mod:`autocut_core.pipelines.diversity`) is checked on its own first, then on
three rendered variants of one brief: each has its own MP4 and plan, and the summary's
pairwise diversity is the measure recomputed from the plans.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocut_core.media import probe
from autocut_core.pipelines import diversity
from autocut_core.pipelines.request import Variant
from autocut_core.pipelines.variants import _least_used, opening_order
from autocut_core.serde import load_json
from autocut_core.types import EditPlan, MusicCue, Slot

from .conftest import SCRIPT, run_args


def _plan(clips: list[str], sentences: list[str], track: str | None) -> EditPlan:
    slots = tuple(
        Slot(clip_id=clip, source_path="/x.mp4", source_in=i, source_out=i + 1, sentence=line)
        for i, (clip, line) in enumerate(zip(clips, sentences, strict=True))
    )
    music = MusicCue(track_id=track, path=f"/{track}.wav") if track else None
    return EditPlan(slots=slots, music=music)


def test_the_measure_is_zero_for_one_ad_and_one_for_nothing_shared() -> None:
    a = _plan(["c1", "c2", "c3"], ["x", "y", "z"], "calm")
    assert diversity.measure(a, a).total == 0
    b = _plan(["c4", "c5", "c6"], ["z", "y", "x"], "loud")
    apart = diversity.measure(a, b)
    assert (apart.clips, apart.order, apart.music, apart.hook, apart.total) == (1, 1, 1, 1, 1)
    c = _plan(["c1", "c2", "c4"], ["y", "x", "z"], None)  # one swap of three pairs
    some = diversity.measure(a, c)
    assert some.clips == pytest.approx(1 - 2 / 4)
    assert some.order == pytest.approx(1 / 3)
    assert (some.music, some.hook) == (1, 1)
    silent = diversity.measure(c, c)
    assert silent.music == 0  # two silent ads do not differ in music


def test_openings_rotate_and_the_last_line_stays_last() -> None:
    orders = [opening_order(Variant(k, 4), 5) for k in range(5)]
    assert orders[0] == [0, 1, 2, 3, 4]
    assert [order[0] for order in orders] == [0, 1, 2, 3, 0]
    assert all(order[-1] == 4 and sorted(order) == list(range(5)) for order in orders)
    assert opening_order(Variant(1, 2), 2) == [1, 0]


def test_later_variants_are_offered_the_least_and_least_recently_used() -> None:
    items = [f"c{i}" for i in range(8)]
    first = ("c0", "c1", "c2")
    second = ("c3", "c4", "c5")
    assert _least_used(items, str, [first], 3) == ["c3", "c4", "c5", "c6", "c7"]
    # Only two unused: the rest come from the variant longest ago, not the last one.
    assert _least_used(items, str, [first, second], 3) == ["c0", "c1", "c2", "c6", "c7"]


def test_three_variants_differ_by_the_stated_measure(cli, brief, tmp_path) -> None:
    code, out, err = cli(
        *run_args(brief, tmp_path / "ad.json", "--variants", "3", "--dry-run", "--json")
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary == {**json.loads(Path(summary["summary"]).read_text()),
                       "summary": summary["summary"]}  # fmt: skip
    plans = [load_json(EditPlan, Path(entry["plan"])) for entry in summary["variants"]]
    for plan in plans:
        assert sorted(slot.sentence for slot in plan.slots) == sorted(SCRIPT)
    # The hooks rotate over the first three lines; the call to action stays last.
    assert [plan.slots[0].sentence for plan in plans] == list(SCRIPT[:3])
    assert all(plan.slots[-1].sentence == SCRIPT[-1] for plan in plans)
    pairs = {(p["first"], p["second"]): p for p in summary["pairs"]}
    assert set(pairs) == {(1, 2), (1, 3), (2, 3)}
    for (first, second), pair in pairs.items():
        again = diversity.measure(plans[first - 1], plans[second - 1])
        assert pair["total"] == pytest.approx(again.total, abs=1e-4)
        assert pair["hook"] == 1
    # Nine clips, four lines: variant 2 is offered only the five clips variant 1 left, and
    # variant 3 (one clip left unused) those of variant 1, used longest ago.
    assert pairs[(1, 2)]["clips"] == 1.0 and pairs[(2, 3)]["clips"] == 1.0
    assert pairs[(1, 2)]["music"] == 1.0  # two tracks: the second variant takes the other
    assert summary["mean_diversity"] > 0.5  # measured 0.67 (0.79, 0.33, 0.88)


def test_rendered_variants_are_each_an_mp4_with_its_own_plan(cli, brief, tmp_path) -> None:
    code, out, err = cli(*run_args(brief, tmp_path / "ad.mp4", "--variants", "2", "--json"))
    assert code == 0, err
    summary = json.loads(out)
    clips = []
    for number, entry in enumerate(summary["variants"], start=1):
        video = tmp_path / f"ad-v{number}.mp4"
        assert entry["video"] == str(video)
        assert entry["plan"] == str(tmp_path / f"ad-v{number}.plan.json")
        assert (tmp_path / f"ad-v{number}.contact.png").is_file()
        facts = probe(video)
        assert facts.has_audio and facts.duration == pytest.approx(entry["duration"], abs=0.15)
        clips.append({slot.clip_id for slot in load_json(EditPlan, Path(entry["plan"])).slots})
    assert not clips[0] & clips[1]
    assert summary["pairs"][0]["total"] > 0.5  # measured 0.79


def test_variants_refuse_keep_order_and_silly_counts(cli, brief, tmp_path) -> None:
    code, _, err = cli(*run_args(brief, tmp_path / "ad.mp4", "--variants", "2", "--keep-order"))
    assert code == 2 and "--variants changes the order" in err
    code, _, err = cli(*run_args(brief, tmp_path / "ad.mp4", "--variants", "0", "--dry-run"))
    assert code == 2 and "--variants 0: choose 1 to 20" in err
