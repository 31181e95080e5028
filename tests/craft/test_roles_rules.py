"""Sentence roles (markers, English and Chinese rules) and the ad rules' messages."""

from __future__ import annotations

import pytest

from autocut_core.editing.ad_rules import AdRules, parse_rules, rule_problems
from autocut_core.editing.roles import mentions, with_roles
from autocut_core.errors import InputError
from autocut_core.types import EditPlan, EndCard, Product, Script, Slot

JUICE = Product(name="Juice", selling_points=("no added sugar", "pressed from whole fruit"))


def test_markers_are_read_and_removed():
    script = with_roles(
        Script(sentences=("[cta] Buy it.", "【卖点】不加糖。", "[Selling Point] Fresh.")), None
    )
    assert script.roles == ("cta", "selling-point", "selling-point")
    assert script.sentences == ("Buy it.", "不加糖。", "Fresh.")


def test_english_rules():
    script = Script(sentences=("Tired of sweet juice?", "No added sugar, ever.",
                               "Rated 4.8 by 2,000 customers.", "Find it in the fridge aisle today."))  # fmt: skip
    assert with_roles(script, JUICE).roles == ("hook", "selling-point", "proof", "cta")


def test_chinese_rules():
    product = Product(name="果汁", selling_points=("不加糖",))
    script = Script(
        sentences=("还在为早餐发愁吗？", "鲜榨果汁，不加糖。", "已有十万人好评。", "立即下单！")
    )
    assert with_roles(script, product).roles == ("hook", "selling-point", "proof", "cta")


def test_an_unknown_marker_is_an_error():
    with pytest.raises(ValueError, match=r"unknown role marker \[hok\]"):
        with_roles(Script(sentences=("[hok] Hello.",)), None)


def test_mentions_needs_half_the_point():
    assert mentions("Pressed from whole fresh fruit.", "pressed from whole fruit")
    assert not mentions("A shiny red apple.", "pressed from whole fruit")


def _plan(*slots: tuple[str, str, float], card: EndCard | None = None) -> EditPlan:
    made = tuple(
        Slot(clip_id=f"c{i}", source_path="x.mp4", source_in=0.0, source_out=length,
             sentence=text, role=role, voice_duration=length - 0.3)  # type: ignore[arg-type]
        for i, (text, role, length) in enumerate(slots)
    )  # fmt: skip
    return EditPlan(slots=made, product=JUICE, end_card=card)


def test_rules_kept_and_broken_with_how_much():
    good = _plan(("Tired?", "hook", 2.0), ("No added sugar.", "selling-point", 2.0),
                 ("Pressed from whole fruit.", "selling-point", 2.0), ("Buy now.", "cta", 1.5))  # fmt: skip
    rules = parse_rules(["hook-within=3", "selling-points-once", "cta-last"])
    assert rule_problems(good, rules) == []
    bad = _plan(("No added sugar.", "selling-point", 2.0), ("Tired?", "hook", 2.0),
                ("No added sugar at all.", "selling-point", 2.0))  # fmt: skip
    problems = rule_problems(bad, rules)
    assert problems[0].startswith(
        "hook-within: the hook (slot 2, 'Tired?') ends at 3.70 s, 0.70 s after 3 s"
    )
    assert "'no added sugar' is said 2 times (slots 1, 3)" in problems[1]
    assert "no slot says 'pressed from whole fruit'" in problems[2]
    assert problems[3].startswith("cta-last: the ad ends on a selling-point slot")
    # A CTA on the end card ends the ad on the call to action too.
    carded = _plan(("Tired?", "hook", 2.0), card=EndCard(title="Juice", cta="Buy now"))
    assert rule_problems(carded, AdRules(cta_last=True)) == []


def test_unknown_rule():
    with pytest.raises(InputError, match="unknown --rule 'hook-first'"):
        parse_rules(["hook-first"])
