"""The synthetic ad world: plans from a seed. (The files it writes are checked in
test_build.py, on the corpus the build reads, so that pytest-xdist's ``--dist loadfile``
renders that corpus once.)"""

from __future__ import annotations

import pytest

from autocut_core.media import probe
from autocut_core.testing.synthetic_ads import (
    BAD_KINDS,
    CATEGORIES,
    CONCEPTS,
    plan_corpus,
    write_corpus,
)


def test_plans_are_fixed_by_the_seed():
    assert plan_corpus(12, seed=5) == plan_corpus(12, seed=5)
    assert plan_corpus(12, seed=5) != plan_corpus(12, seed=6)


def test_a_plan_has_good_ads_in_both_languages_and_every_bad_kind():
    plans = plan_corpus(20, seed=0, zh_share=0.25)
    good = [plan for plan in plans if plan.kind == "good"]
    assert len(good) == 20 and {plan.expect for plan in good} == {"sft"}
    assert sum(plan.lang == "zh" for plan in good) == 5
    assert {plan.kind: plan.expect for plan in plans if plan.kind != "good"} == BAD_KINDS
    assert {plan.transcript for plan in good} == {"srt", "vtt", "json"}


def test_every_sentence_says_what_its_clip_shows_and_the_music_fits_the_footage():
    moods = {category.key: category for category in CATEGORIES}
    for plan in plan_corpus(16, seed=1, bad=()):
        category = moods[plan.category]
        assert plan.mood == category.mood
        assert len({clip.concept for clip in plan.clips}) == len(plan.clips)
        for clip in plan.clips:
            concept = CONCEPTS[clip.concept]
            assert clip.concept in category.concepts
            described = concept.zh if plan.lang == "zh" else concept.en
            assert described.lower() in clip.sentence.lower()


def test_unknown_bad_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown bad ad kinds"):
        plan_corpus(2, bad=("blurry",))


def test_without_a_voice_the_lines_are_timed_by_length(tmp_path):
    plan = plan_corpus(1, seed=2, bad=(), clips_per_ad=(2, 2))[0]
    ad = write_corpus([plan], tmp_path, size=(96, 72), fps=5, voice=None).ads[0]
    assert probe(ad.video).width == 96
    assert [text for _, _, text in ad.cues] == list(plan.script)
    assert all(end > start for start, end, _ in ad.cues)
