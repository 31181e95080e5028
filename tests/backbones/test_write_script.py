"""``similarity`` write_script: the product's own words, one line per clip, in its language."""

from __future__ import annotations

import pytest

from autocut_core.text import detect_language
from autocut_core.types import Candidate, Clip, Product

SHOE = Product(
    name="Trail Runner 2",
    brand="Acme",
    category="shoes",
    selling_points=(
        "Waterproof in the heaviest rain",
        "breathable mesh keeps your feet cool",
        "Grip that holds on wet rocks",
    ),
    description="Built for long runs. Every pair ships in a recycled box.",
)


def clips(*captions):
    return [
        Candidate(clip=Clip(f"c{i:03d}", 0.0, 3.0), caption=caption)
        for i, caption in enumerate(captions)
    ]


@pytest.mark.parametrize("count", [1, 3, 6, 10])
def test_one_non_empty_line_per_clip(lexical, count):
    pool = clips(*(f"shot {i}" for i in range(count)))
    script = lexical.write_script(SHOE, pool)
    assert len(script) == count
    assert all(line.strip() for line in script.sentences)
    assert lexical.write_script(SHOE, []).sentences == ()


def test_each_selling_point_goes_under_the_clip_it_describes(similarity):
    pool = clips(
        "macro shot of the rubber outsole on a slippery boulder",
        "a runner splashing through puddles during a downpour",
        "close-up of the perforated upper letting air through",
    )
    script = similarity.write_script(SHOE, pool)
    assert script.sentences == (
        "Grip that holds on wet rocks.",
        "Waterproof in the heaviest rain.",
        "Breathable mesh keeps your feet cool.",  # capitalised, full stop added
    )
    assert script.language is None


def test_more_clips_than_points_use_the_description_then_the_captions(similarity):
    pool = clips(
        "a runner splashing through puddles during a downpour",
        "hands opening a cardboard shoe box",
        "a trail runner on a mountain ridge at dawn",
        "close-up of the perforated upper letting air through",
        "macro shot of the rubber outsole on a slippery boulder",
        "the logo stitched on the heel",
        "",
    )
    lines = similarity.write_script(SHOE, pool).sentences
    assert len(lines) == 7
    points = {"Waterproof in the heaviest rain.", "Breathable mesh keeps your feet cool.",
              "Grip that holds on wet rocks."}  # fmt: skip
    assert points <= set(lines)  # every selling point is used, each once
    assert lines[1] == "Every pair ships in a recycled box."  # the description, where it fits
    assert "Built for long runs." in lines
    # Seven clips, five sentences of the product's own: the rest say what the clip shows.
    assert len([line for line in lines if line.startswith("Trail Runner 2: ")]) == 1
    assert lines[6] == "Trail Runner 2."  # nothing to say about an undescribed clip


def test_a_chinese_product_gets_chinese_lines(similarity):
    product = Product(
        name="轻风跑鞋",
        selling_points=("网面透气，整天清爽", "防水面料，雨天也不怕"),
        description="专为长跑设计。",
    )
    pool = clips(
        "跑者在雨中踩过水坑",
        "运动鞋透气网面特写",
        "red-sneakers closeup",  # an English file name: not copied into a Chinese script
        "",
        "跑道上的晨跑",
    )
    script = similarity.write_script(product, pool)
    assert script.language == "zh"
    assert script.sentences[:2] == ("防水面料，雨天也不怕。", "网面透气，整天清爽。")
    assert all(detect_language(line) == "zh" for line in script.sentences)
    assert all(line.endswith("。") for line in script.sentences)
    assert script.sentences[4] == "专为长跑设计。"  # the description sentence: a run
    assert script.sentences[2:4] == ("轻风跑鞋。", "轻风跑鞋。")


def test_a_product_with_only_a_name_still_writes_lines(lexical):
    script = lexical.write_script(
        Product(name="Lumen desk lamp"), clips("warm light on a desk", "")
    )
    assert script.sentences == ("Lumen desk lamp: warm light on a desk.", "Lumen desk lamp.")
    product = Product(name="轻风跑鞋")
    script = lexical.write_script(product, clips("跑道上的晨跑", "ＩＭＧ"))
    assert script.sentences == ("轻风跑鞋：跑道上的晨跑。", "轻风跑鞋。")
