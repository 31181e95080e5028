"""`autocut dataset` refuses what it cannot build from, before doing any work."""

from __future__ import annotations

import pytest


def test_a_folder_without_ads_is_an_error(cli, tmp_path):
    code, _, err = cli("dataset", "build", str(tmp_path), "-o", str(tmp_path / "out"))
    assert code == 2 and "no ads found" in err
    assert not (tmp_path / "out").exists()


def test_stats_needs_a_built_folder(cli, tmp_path):
    code, _, err = cli("dataset", "stats", str(tmp_path))
    assert code == 2 and "ads.jsonl: not found" in err


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--tasks", "select,edit"], "tasks must be among select, sort, script, music"),
        (["--lang", "fr"], "lang must be one of auto, en, zh, both"),
    ],
)
def test_bad_options_are_refused(cli, tmp_path, option, message):
    code, _, err = cli("dataset", "build", str(tmp_path), "-o", str(tmp_path / "out"), *option)
    assert code == 2 and message in err


def test_the_commands_are_listed(cli):
    code, out, _ = cli("dataset", "--help")
    assert code == 0 and "build" in out and "stats" in out
