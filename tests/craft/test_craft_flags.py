"""The ad-craft flags, the plan's JSON with an end card and roles, and the footage-driven
pipeline's line budget."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocut_core.cli.craft_flags import end_card, script_with_roles, target_seconds
from autocut_core.editing.ad_rules import AdRules
from autocut_core.errors import InputError
from autocut_core.pipelines.craft import AdCraft, lines_for_length
from autocut_core.serde import dumps, loads
from autocut_core.types import EditPlan, EndCard, Product, Script, Slot

PRODUCT = Product(name="Juice", brand="Orchard", selling_points=("no added sugar",))


def test_duration_wins_over_the_platform_preset():
    assert target_seconds(None, "story") == 15.0
    assert target_seconds(12.5, "story") == 12.5
    assert target_seconds(None, None) is None
    with pytest.raises(InputError, match="unknown --platform 'tiktok'"):
        target_seconds(None, "tiktok")
    with pytest.raises(InputError, match="--duration -1"):
        target_seconds(-1, None)


def test_end_card_from_the_product_and_flags(tmp_path: Path):
    assert end_card(PRODUCT, False, None, None, None, 2.0) is None
    card = end_card(PRODUCT, False, "Buy now", None, "#102030", 2.0)
    assert card == EndCard(title="Juice", brand="Orchard", cta="Buy now", background="#102030")
    with pytest.raises(InputError, match="expected #RRGGBB"):
        end_card(PRODUCT, True, None, None, "green", 2.0)
    with pytest.raises(InputError, match="--logo file not found"):
        end_card(PRODUCT, True, None, tmp_path / "nope.png", None, 2.0)


def test_a_bad_marker_names_the_script_file(tmp_path: Path):
    with pytest.raises(InputError, match=r"script.txt: unknown role marker \[hok\]"):
        script_with_roles(Script(sentences=("[hok] Hi.",)), PRODUCT, tmp_path / "script.txt")


def test_plan_json_keeps_the_end_card_and_roles():
    slot = Slot(clip_id="c", source_path="x.mp4", source_in=0, source_out=1, role="cta")
    plan = EditPlan(slots=(slot,), end_card=EndCard(title="Juice", cta="Buy", logo="/l.png"))
    again = loads(EditPlan, dumps(plan))
    assert again == plan
    assert again.duration == pytest.approx(3.0)


def test_footage_driven_asks_for_as_many_lines_as_the_target_has_time_for():
    lines = ["Meet the juice of the orchard.", "A calm morning in the garden with friends.",
             "No added sugar, only fruit.", "A long walk between the apple trees at dawn.",
             "Find it today."]  # fmt: skip
    craft = AdCraft(duration=8.5, end_card=EndCard(title="Juice"), rules=AdRules())
    kept = lines_for_length(craft, lines, PRODUCT)
    # First and last kept; the selling point stays; the lines saying none go, later first.
    assert kept is not None and kept[0] == 0 and kept[-1] == 4 and 2 in kept
    assert kept == [0, 2, 4]  # 2 s card + 2.26 + 1.92 + 1.55 s of lines at 1.15x
    assert lines_for_length(AdCraft(duration=60.0), lines, PRODUCT) is None
