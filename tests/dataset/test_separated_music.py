"""`autocut dataset build` of ads without a background-music sidecar: the separator's music
stem is embedded (stored, so a re-run separates nothing), or with ``--separator none`` the
mix, and the summary says per ad which."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocut_core.testing.synthetic_ads import make_synthetic_ads

from .conftest import autocut, read_jsonl
from .test_small_corpus import SMALL_WIDTHS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = make_synthetic_ads(
        tmp_path_factory.mktemp("sep") / "ads", n_ads=3, seed=3, bad=(), zh_share=0.0
    ).folder
    music = sorted(folder.glob("*.bgm.ogg"))
    for sidecar in music[1:]:  # the first ad keeps its music, two lose it
        sidecar.unlink()
    return folder


def _build(ads: Path, out: Path, *extra: str) -> dict:
    config = out.parent / "autocut.toml"
    config.write_text("[index]\ndense_fps = 2\n", encoding="utf-8")
    return json.loads(autocut(
        "dataset", "build", str(ads), "-o", str(out), "--config", str(config), "--jobs", "1",
        "--encoder", "histogram", "--audio-encoder", "logmel", *SMALL_WIDTHS, *extra, "--json",
    ))  # fmt: skip


def _printed(summary: dict, capsys: pytest.CaptureFixture[str]) -> list[str]:
    from autocut_core.cli.dataset import _print_summary

    capsys.readouterr()
    _print_summary(summary)
    return capsys.readouterr().out.splitlines()


def test_ads_without_music_get_the_separated_stem(ads, tmp_path, torch_threads, capsys):
    out = tmp_path / "data"
    summary = _build(ads, out)  # the default separator: repet
    music = summary["music_source"]
    assert music["separator"] == "repet:repet-sim-d0.5-k40-t0:v1" and music["note"] == ""
    with_sidecar, *without = sorted(p.stem for p in ads.glob("*.mp4"))
    stem_source = f"separator {music['separator']} (music stem)"
    assert music["ads"] == {"sidecar": [with_sidecar], stem_source: without}
    manifest = {ad["ad_id"]: ad for ad in read_jsonl(out / "ads.jsonl")}
    assert manifest[without[0]]["music_source"] == stem_source
    assert manifest[without[0]]["bgm"] is None and manifest[without[0]]["track_id"]
    stems = sorted((out / "db" / "stems").rglob("music.wav"))
    assert len(stems) == 2
    assert (
        summary["records"]["sft"]["train"]["music"] + summary["records"]["sft"]["val"]["music"] == 3
    )  # every ad has music now
    # Again, into the same database: the stems are there, nothing is separated again.
    written = [path.stat().st_mtime_ns for path in stems]
    again = _build(ads, tmp_path / "again", "--db", str(out / "db"))
    assert again["music_source"]["ads"] == music["ads"]
    assert [path.stat().st_mtime_ns for path in stems] == written
    lines = _printed(again, capsys)
    assert f"  music vectors from {stem_source}: 2 ad(s) ({', '.join(without)})" in lines
    assert f"  music vectors from sidecar: 1 ad(s) ({with_sidecar})" in lines


def test_without_a_separator_the_music_vectors_come_from_the_mix(
    ads, tmp_path, torch_threads, capsys
):
    out = tmp_path / "data"
    summary = _build(ads, out, "--separator", "none")
    music = summary["music_source"]
    assert music["separator"] is None
    assert music["note"] == "separation turned off (--separator none)"
    with_sidecar, *without = sorted(p.stem for p in ads.glob("*.mp4"))
    assert music["ads"] == {"mix": without, "sidecar": [with_sidecar]}
    assert len(list((out / "db" / "stems").rglob("mix.wav"))) == 2
    lines = _printed(summary, capsys)
    assert (
        f"  music vectors from the mix (voice and music together): 2 ad(s) ({', '.join(without)})"
        in lines
    )
    assert "  no separator: separation turned off (--separator none)" in lines


def test_a_separator_that_is_not_installed_means_the_mix_and_says_why():
    from autocut_core.materials.separation import ready_separator
    from autocut_core.settings import AutocutSettings

    separator, note = ready_separator(AutocutSettings(separator="no-such-separator"))
    assert separator is None
    assert note.startswith("no separator 'no-such-separator' is installed")
    assert ready_separator(AutocutSettings(separator="None")) == (
        None, "separation turned off (--separator none)",
    )  # fmt: skip
