"""The SFT filters and the train/validation split, on plain values."""

from __future__ import annotations

from autocut_core.dataset.clips import ClipSpan
from autocut_core.dataset.filters import (
    DuplicateFilter,
    FilterSettings,
    duplicate_key,
    first_failure,
    repetition_detail,
)
from autocut_core.dataset.split import group_ads, held_out_groups, split_ads
from autocut_core.types import Product

SETTINGS = FilterSettings()


def spans(*durations: float, text: str = "Clip {} shows something new.") -> list[ClipSpan]:
    result, start = [], 0.0
    for number, duration in enumerate(durations):
        result.append(ClipSpan(text.format(number), start, start + duration))
        start += duration
    return result


def test_a_good_ad_passes_every_filter():
    assert first_failure(12.0, spans(3, 4, 5), SETTINGS) is None


def test_each_filter_names_what_it_found():
    assert first_failure(10.0, spans(3, 3, text="♪ ♪"), SETTINGS)[0] == "empty"
    assert first_failure(10.0, [], SETTINGS)[0] == "empty"
    assert first_failure(120.0, spans(3, 3), SETTINGS) == (
        "duration",
        "the video lasts 120.0 s (limit < 120 s)",
    )
    assert first_failure(10.0, spans(3, 1.5), SETTINGS)[0] == "clip_duration"
    assert first_failure(70.0, spans(3, 61), SETTINGS)[0] == "clip_duration"
    assert first_failure(5.0, spans(5), SETTINGS) == ("clip_count", "1 clip(s), at least 2 needed")
    assert first_failure(9.0, spans(3, 3, 3, text="Buy it now."), SETTINGS) == (
        "repetitive",
        "only 1 of 3 sentences are distinct",
    )


def test_the_first_failing_filter_counts():
    # Too long, with a 70 s clip and a repeated line: only "duration" is reported.
    assert first_failure(150.0, spans(70, 3, text="Same."), SETTINGS)[0] == "duration"


def test_repetition_within_and_across_sentences():
    assert repetition_detail(["buy now buy now buy now buy now"]) == (
        "only 33% of word trigrams are distinct"
    )
    assert repetition_detail(["好好好好好好好好好好"]) is not None  # each character counts
    assert repetition_detail(["A red apple.", "A ripe orange.", "A red apple."]) is None
    assert repetition_detail(["A red apple.", "A red apple!"]) == (
        "only 1 of 2 sentences are distinct"
    )
    assert repetition_detail(["清爽的果汁，富含维生素。", "一颗红亮的苹果。"]) is None


def test_duplicates_ignore_case_spacing_and_punctuation():
    product = Product("Fruit Juice", "Luma")
    key = duplicate_key(product, ["A red apple.", "Buy now!"])
    assert duplicate_key(Product("fruit  juice", "LUMA"), ["a red apple", "buy now"]) == key
    assert duplicate_key(Product("fruit juice", "Other"), ["a red apple", "buy now"]) != key
    seen = DuplicateFilter()
    assert seen.check("ad01", product, ["A red apple.", "Buy now!"]) is None
    assert seen.check("ad02", product, ["a red apple", "BUY NOW"]) == "ad01"


def test_linked_ads_form_one_group():
    groups = group_ads([("a", "c"), ("c", "d"), ("e", "e")], ["a", "b", "c", "d", "e"])
    assert groups == {"a": "a", "b": "b", "c": "a", "d": "a", "e": "e"}


def test_the_split_is_fixed_by_the_seed_and_stable_when_ads_are_added():
    ads = [f"ad{i:04d}" for i in range(2000)]
    held = held_out_groups(ads, 0.05, seed=0)
    shares = [len(held_out_groups(ads, 0.05, seed)) / len(ads) for seed in range(10)]
    assert 0.045 < sum(shares) / len(shares) < 0.055  # 5 % on average
    assert held == held_out_groups(reversed(ads), 0.05, seed=0)
    assert held != held_out_groups(ads, 0.05, seed=1)
    grown = held_out_groups([*ads, *(f"new{i}" for i in range(500))], 0.05, seed=0)
    assert {ad for ad in grown if ad.startswith("ad")} == held  # no existing ad moved
    assert len(held_out_groups(["a", "b"], 0.05, 0)) == 1  # one of two is held out
    assert held_out_groups(["a", "b"], 0.99, 0) != {"a", "b"}  # one is kept for training
    assert held_out_groups(["a"], 0.05, 0) == set()
    assert held_out_groups(ads, 0.0, 0) == set()


def test_groups_stay_together_and_sft_ads_get_their_own_share():
    ad_ids = [f"ad{i:02d}" for i in range(40)]
    groups = group_ads([("ad00", "ad01"), ("ad01", "ad02")], ad_ids)
    sft = set(ad_ids[:20])
    for seed in range(10):
        sides = split_ads(groups, sft, 0.05, seed)
        assert len({sides["ad00"], sides["ad01"], sides["ad02"]}) == 1
        assert any(sides[ad] == "val" for ad in sft)
        assert any(sides[ad] == "val" for ad in set(ad_ids) - sft)
