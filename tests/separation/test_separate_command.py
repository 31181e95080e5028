"""`autocut separate`: voice.wav and music.wav per file, a bad file one line naming it, only
every file failing an error, and no separation without a separator."""

from __future__ import annotations

import json
import wave
from pathlib import Path

from autocut_core.errors import SeparationError
from autocut_core.materials.separation import separate_files
from autocut_core.testing import FakeSeparator


def _frames(path: Path) -> tuple[int, int]:
    with wave.open(str(path), "rb") as handle:
        return handle.getnframes(), handle.getframerate()


def test_each_file_gets_its_stems_and_a_broken_one_is_one_line(
    cli, autocut_fakes, made_ad, broken_file, tmp_path
):
    out = tmp_path / "stems"
    code, stdout, stderr = cli("separate", str(made_ad.video), str(broken_file), "--out",
                               str(out), "--separator", "fake", "--json")  # fmt: skip
    assert code == 0, stderr
    data = json.loads(stdout)
    assert data["model"] == "fake:fake:v1" and data["sample_rate"] == 16_000
    good, bad = data["files"]
    name = made_ad.video.stem
    assert good["files"] == [str(out / name / "voice.wav"), str(out / name / "music.wav")]
    assert good["error"] is None and abs(good["seconds"] - made_ad.duration) < 0.1
    frames, rate = _frames(out / name / "music.wav")
    assert rate == 16_000 and frames == _frames(out / name / "voice.wav")[0]
    assert json.loads((out / name / "stems.json").read_text())["model"] == "fake:fake:v1"
    assert bad["files"] == [] and "broken.mp4" in bad["error"]
    code, stdout, stderr = cli("separate", str(made_ad.video), str(broken_file), "--out",
                               str(tmp_path / "text"), "--separator", "fake")  # fmt: skip
    assert code == 0 and "1 separated into" in stdout and "1 failed" in stdout
    assert "broken.mp4:" in stderr


def test_only_every_file_failing_is_an_error_naming_the_first(broken_file, tmp_path):
    try:
        separate_files([broken_file], tmp_path / "out", FakeSeparator())
    except SeparationError as error:
        message = str(error)
    else:
        raise AssertionError("separating nothing but a broken file succeeded")
    assert "separated none of the 1 files" in message and "broken.mp4" in message


def test_there_is_nothing_to_separate_with_separator_none(cli, made_ad, tmp_path):
    code, _, stderr = cli("separate", str(made_ad.video), "--out", str(tmp_path / "o"),
                          "--separator", "none")  # fmt: skip
    assert code == 2 and "autocut separate needs a separator, not --separator none" in stderr
