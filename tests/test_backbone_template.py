"""The Backbone template methods: one place that guards inputs and checks answers.

A backbone implements ``_select``/``_sort``/``_write_script``/``_pick_music``/``_rank_music``;
``select``/``sort``/... refuse what it cannot do, guard the inputs and check what comes back,
for the pipelines and the evaluation harness alike.
"""

from __future__ import annotations

import math

import pytest

from autocut_core.components import Backbone
from autocut_core.errors import AutocutError, BackboneAnswerError, CapabilityError
from autocut_core.registry import PluginInfo, Registry
from autocut_core.types import (
    Candidate,
    Clip,
    MusicCandidate,
    MusicChoice,
    Ordering,
    Product,
    Script,
    Selection,
    Track,
)

PRODUCT = Product(name="Juice")
SCRIPT = Script(sentences=("Fresh.", "Cold."))


def _clips(count: int) -> list[Candidate]:
    return [
        Candidate(clip=Clip(source_id="src", start=float(i), end=float(i + 1)), caption=f"c{i}")
        for i in range(count)
    ]


def _tracks(count: int) -> list[MusicCandidate]:
    return [
        MusicCandidate(track=Track(track_id=f"t{i}", path=f"/m/{i}.ogg", duration=30.0))
        for i in range(count)
    ]


class Scripted(Backbone):
    """Answers whatever the test puts in ``answers``."""

    name = "scripted"
    capabilities = frozenset({"select", "sort", "write_script", "pick_music", "rank_music"})

    def __init__(self, **answers):
        super().__init__()
        self.answers = answers

    def _select(self, product, script, candidates, count):
        return self.answers["select"]

    def _sort(self, product, script, candidates):
        return self.answers["sort"]

    def _write_script(self, product, candidates):
        return self.answers["write_script"]

    def _pick_music(self, product, script, clips, tracks):
        return self.answers["pick_music"]

    def _rank_music(self, product, script, clips, tracks):
        return self.answers["rank_music"]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (Selection((0,)), "1 indices instead of 2"),
        (Selection((1, 1)), r"repeated indices \[1, 1\]"),
        (Selection((0, 5)), r"indices \[0, 5\] outside 0..2"),
        (Selection((0, 1), scores=(1.0,)), "1 scores for 2 indices"),
    ],
)
def test_a_bad_selection_is_refused_naming_the_backbone(answer, problem):
    with pytest.raises(BackboneAnswerError, match=f"^backbone 'scripted' selected {problem}$"):
        Scripted(select=answer).select(PRODUCT, SCRIPT, _clips(3), 2)


def test_good_answers_pass_through():
    backbone = Scripted(
        select=Selection((2, 0), scores=(0.9, 0.5)),
        sort=Ordering((1, 0)),
        write_script=Script(sentences=("  One. ", "Two.")),
        pick_music=MusicChoice("t1"),
        rank_music=[0.1, 2],
    )
    assert backbone.select(PRODUCT, SCRIPT, _clips(3), 2).indices == (2, 0)
    assert backbone.sort(PRODUCT, SCRIPT, _clips(2)).order == (1, 0)
    assert backbone.write_script(PRODUCT, _clips(2)).sentences == ("One.", "Two.")
    assert backbone.pick_music(PRODUCT, SCRIPT, _clips(2), _tracks(2)).track_id == "t1"
    assert backbone.rank_music(PRODUCT, SCRIPT, _clips(2), _tracks(2)) == [0.1, 2.0]


def test_inputs_are_guarded_before_the_backbone_is_asked():
    backbone = Scripted()  # no answers: asking it would raise KeyError
    with pytest.raises(AutocutError, match="cannot select 4 distinct candidates from a pool of 3"):
        backbone.select(PRODUCT, SCRIPT, _clips(3), 4)
    with pytest.raises(AutocutError, match="empty candidate pool"):
        backbone.select(PRODUCT, SCRIPT, [], 1)
    with pytest.raises(AutocutError, match="cannot select -1"):
        backbone.select(PRODUCT, SCRIPT, _clips(3), -1)
    for method in (backbone.pick_music, backbone.rank_music):
        with pytest.raises(AutocutError, match="empty music library"):
            method(PRODUCT, SCRIPT, _clips(2), [])


@pytest.mark.parametrize(
    ("task", "answer", "problem"),
    [
        ("sort", Ordering((0, 0)), "not a permutation of 0..1"),
        ("write_script", Script(sentences=("One.",)), "wrote 1 lines for 2 clips"),
        ("write_script", Script(sentences=("One.", "  ")), "one non-empty line per clip"),
        ("pick_music", MusicChoice("elsewhere"), "not in the music library"),
        ("rank_music", [1.0], "one finite score per track"),
        ("rank_music", [1.0, math.nan], "one finite score per track"),
    ],
)
def test_every_other_bad_answer_is_refused(task, answer, problem):
    backbone = Scripted(**{task: answer})
    call = {
        "sort": lambda: backbone.sort(PRODUCT, SCRIPT, _clips(2)),
        "write_script": lambda: backbone.write_script(PRODUCT, _clips(2)),
        "pick_music": lambda: backbone.pick_music(PRODUCT, SCRIPT, _clips(2), _tracks(2)),
        "rank_music": lambda: backbone.rank_music(PRODUCT, SCRIPT, _clips(2), _tracks(2)),
    }[task]
    with pytest.raises(BackboneAnswerError, match=problem):
        call()


def test_a_task_the_backbone_does_not_declare_is_a_capability_error():
    class SelectsOnly(Backbone):
        name = "selects-only"
        capabilities = frozenset({"select"})

        def _select(self, product, script, candidates, count):
            return Selection(tuple(range(count)))

    with pytest.raises(CapabilityError, match="cannot pick music"):
        SelectsOnly().pick_music(PRODUCT, SCRIPT, _clips(1), _tracks(1))


def _register(cls) -> None:
    registry = Registry()
    registry.add("backbone", cls, PluginInfo(name="test", package="test", version="", module="t"))


def test_registration_refuses_a_backbone_that_overrides_a_template_method():
    class Unchecked(Backbone):
        name = "unchecked"
        capabilities = frozenset({"select"})

        def select(self, product, script, candidates, count):  # skips every check
            return Selection((0, 0))

    with pytest.raises(AutocutError, match=r"overrides select\(\); implement _select\(\) instead"):
        _register(Unchecked)


@pytest.mark.parametrize("declared", [True, False])
def test_registration_refuses_a_capability_without_its_method_and_the_reverse(declared):
    class Mismatched(Backbone):
        name = "mismatched"
        capabilities = frozenset({"sort"} if declared else set())

        if not declared:

            def _sort(self, product, script, candidates):
                return Ordering(tuple(range(len(candidates))))

    expected = (
        "declares the capability 'sort' but does not implement"
        if declared
        else ("does not declare the capability 'sort' but implements")
    )
    with pytest.raises(AutocutError, match=expected):
        _register(Mismatched)
