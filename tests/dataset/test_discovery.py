"""The naming convention of ADS_DIR: which files make an ad, and what is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocut_core.dataset.discovery import discover_ads
from autocut_core.errors import InputError


def touch(folder: Path, *names: str) -> None:
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")


def test_sidecars_share_the_videos_stem(tmp_path):
    touch(tmp_path, "ad01.mp4", "ad01.srt", "ad01.product.toml", "ad01.bgm.ogg",
          "ad02.mov", "ad02.json", "ad02.product.json")  # fmt: skip
    ads = discover_ads(tmp_path).ads
    assert [ad.ad_id for ad in ads] == ["ad01", "ad02"]
    first, second = ads
    assert (first.video.name, first.transcript.name, first.product.name, first.bgm.name) == (
        "ad01.mp4",
        "ad01.srt",
        "ad01.product.toml",
        "ad01.bgm.ogg",
    )
    assert (second.transcript.name, second.product.name, second.bgm) == (
        "ad02.json",
        "ad02.product.json",
        None,
    )
    assert first.problems == second.problems == ()


def test_sub_folders_name_the_ad_and_may_share_a_product_file(tmp_path):
    touch(tmp_path, "summer/a.mp4", "summer/a.vtt", "summer/b.mp4", "summer/b.srt",
          "summer/b.product.toml", "summer/product.toml")  # fmt: skip
    ads = {ad.ad_id: ad for ad in discover_ads(tmp_path).ads}
    assert ads["summer/a"].product.name == "product.toml"  # the folder's
    assert ads["summer/b"].product.name == "b.product.toml"  # its own wins


def test_missing_and_doubled_sidecars_are_problems_of_the_ad(tmp_path):
    touch(tmp_path, "lonely.mp4", "twice.mp4", "twice.srt", "twice.vtt", "twice.product.toml")
    ads = {ad.ad_id: ad for ad in discover_ads(tmp_path).ads}
    assert ads["lonely"].problems == (
        "no transcript: expected lonely.srt, lonely.vtt or lonely.json beside the video",
        "no product facts: expected lonely.product.toml or lonely.product.json "
        "(or a product.toml in its folder)",
    )
    assert ads["twice"].problems == ("several transcript files (twice.srt, twice.vtt); keep one",)


def test_music_videos_hidden_files_and_orphans(tmp_path):
    touch(tmp_path, "ad.mp4", "ad.srt", "ad.product.toml", "ad.bgm.mp4", ".ad2.partial.mp4",
          "typo.srt", "notes.txt", "other.product.json")  # fmt: skip
    discovery = discover_ads(tmp_path)
    assert [ad.ad_id for ad in discovery.ads] == ["ad"]
    assert discovery.ads[0].bgm.name == "ad.bgm.mp4"  # music, not a second ad
    assert discovery.orphans == ["other.product.json", "typo.srt"]


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(InputError, match="not a folder of ads"):
        discover_ads(tmp_path / "nope")
