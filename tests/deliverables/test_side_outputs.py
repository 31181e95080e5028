"""write_side_outputs(): the plan, the timeline and the contact sheet next to the video, for
ordinary plans, hostile sentences and hostile file names; missing media named clearly."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import opentimelineio as otio
import pytest

from autocut_core import serde
from autocut_core.media import MediaError
from autocut_core.output import otio as otio_export
from autocut_core.output.deliverables import SIDE_OUTPUTS, side_output_paths, write_side_outputs
from autocut_core.types import EditPlan

from .conftest import Media, make_plan

HOSTILE_SENTENCES = (
    'She said "buy it" & it\'s <b>50%</b> off {\\b1}{\\pos(0,0)} \\N $HOME `ls` ; rm -rf /',
    "Emoji 😀🎉👍🏽 and a family 👨‍👩‍👧 and a flag 🇯🇵 \u200b\u202e reversed",
    "中文广告句子，没有空格也能换行。日本語のテキストも。한국어 문장도 있습니다。",
    "Line one\nline two\r\nline three\ttabbed\x00null\x1b[31mred\x7f " + "long " * 100,
)


def test_writes_every_side_output_next_to_the_video(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media, transition="crossfade", holds=(0.0, 0.5, 0.0, 0.0))
    video = tmp_path / "out" / "ad.mp4"
    written = write_side_outputs(plan, video)

    assert tuple(written) == SIDE_OUTPUTS
    assert written == side_output_paths(video)
    assert written["plan"] == tmp_path / "out" / "ad.plan.json"
    assert written["otio"] == tmp_path / "out" / "ad.otio"
    assert written["contact_sheet"] == tmp_path / "out" / "ad.contact.png"
    text = written["plan"].read_text(encoding="utf-8")
    assert text == serde.dumps(plan)
    assert serde.loads(EditPlan, text) == plan
    assert serde.load_json(EditPlan, written["plan"]) == plan
    timeline = otio.adapters.read_from_file(str(written["otio"]))
    assert timeline.name == "ad"
    assert written["contact_sheet"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in written["plan"].parent.iterdir() if p.name.endswith(".part")]


def test_plan_only_needs_no_media(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media)
    broken = dataclasses.replace(
        plan, slots=(dataclasses.replace(plan.slots[0], source_path="/nowhere/x.mp4"),)
    )
    written = write_side_outputs(broken, tmp_path / "ad.mp4", timeline=False, contact_sheet=False)
    assert list(written) == ["plan"]
    assert serde.load_json(EditPlan, written["plan"]) == broken


def test_missing_source_names_the_file_and_the_slot(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media)
    missing = tmp_path / "gone" / "shot 2.mp4"
    slots = list(plan.slots)
    slots[1] = dataclasses.replace(slots[1], source_path=str(missing))
    with pytest.raises(MediaError) as caught:
        write_side_outputs(dataclasses.replace(plan, slots=tuple(slots)), tmp_path / "ad.mp4")
    message = str(caught.value)
    assert str(missing) in message
    assert "file not found" in message
    assert "slot 2 (foot0001002) footage" in message
    assert not (tmp_path / "ad.otio").exists()
    assert not (tmp_path / "ad.contact.png").exists()


def test_missing_voice_and_music_are_named(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media)
    slots = list(plan.slots)
    slots[3] = dataclasses.replace(slots[3], voice_path=str(tmp_path / "line_003.wav"))
    with pytest.raises(MediaError, match=r"line_003\.wav: file not found \(needed by slot 4"):
        write_side_outputs(dataclasses.replace(plan, slots=tuple(slots)), tmp_path / "ad.mp4")
    assert plan.music is not None
    no_music = dataclasses.replace(plan.music, path=str(tmp_path / "song.mp3"))
    with pytest.raises(MediaError, match=r"song\.mp3: file not found \(needed by music track"):
        write_side_outputs(dataclasses.replace(plan, music=no_music), tmp_path / "ad.mp4")


def test_hostile_sentences(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media, transition="crossfade", sentences=HOSTILE_SENTENCES)
    written = write_side_outputs(plan, tmp_path / "ad.mp4")

    assert serde.load_json(EditPlan, written["plan"]) == plan
    timeline = otio.adapters.read_from_file(str(written["otio"]))
    clips = list(timeline.tracks[0].find_clips())
    stored = [clip.metadata["autocut"]["sentence"] for clip in clips]
    assert stored == [sentence.replace("\x00", "\ufffd") for sentence in HOSTILE_SENTENCES]
    for clip in clips:
        (marker,) = clip.markers
        assert "\n" not in marker.name and "\x00" not in marker.name
        assert len(marker.name) <= otio_export.MARKER_CHARS

    edl = otio_export.convert_timeline(timeline, "edl")
    comments = [line for line in edl.splitlines() if line.startswith("*")]
    locators = [line for line in comments if line.startswith("* LOC:")]
    assert len({line for line in locators}) == len(plan.slots)
    for line in edl.splitlines():
        assert line == "" or line[:3].isdigit() or line.startswith(("*", "M2", "TITLE:")), line
    fcpxml = otio_export.convert_timeline(timeline, "fcpxml")
    markers = [
        m.get("value") for m in ElementTree.fromstring(fcpxml.split("\n", 2)[2]).iter("marker")
    ]
    assert markers[2].startswith("中文广告句子")
    assert markers[1].startswith("Emoji 😀🎉")


def test_lone_surrogates_are_kept_in_the_plan_and_replaced_elsewhere(
    media: Media, tmp_path: Path
) -> None:
    text = serde.dumps(make_plan(media)).replace("Red shot.", "Broken \\ud800 surrogate")
    plan = serde.loads(EditPlan, text)
    assert "\ud800" in plan.slots[0].sentence
    written = write_side_outputs(plan, tmp_path / "ad.mp4")
    assert serde.load_json(EditPlan, written["plan"]) == plan
    timeline = otio.adapters.read_from_file(str(written["otio"]))
    assert timeline.tracks[0][0].metadata["autocut"]["sentence"] == "Broken \ufffd surrogate"


@pytest.mark.parametrize(
    "name",
    ['a b\'s "quoted" #1 %20 (copy).mp4', "-café 中文 ünïcode.mp4", "new\nline;$(x).mp4"],
)
def test_hostile_file_names(media: Media, tmp_path: Path, name: str) -> None:
    folder = tmp_path / "odd [dir] #2"
    folder.mkdir()
    footage = folder / name
    shutil.copyfile(media.footage, footage)
    base = make_plan(media)
    plan = dataclasses.replace(
        base,
        slots=tuple(dataclasses.replace(slot, source_path=str(footage)) for slot in base.slots),
    )
    written = write_side_outputs(plan, folder / f"ad {name}")

    assert serde.load_json(EditPlan, written["plan"]) == plan
    timeline = otio.adapters.read_from_file(str(written["otio"]))
    for clip in timeline.tracks[0].find_clips():
        assert otio_export.path_from_url(clip.media_reference.target_url) == str(footage)
    edl = otio_export.convert_timeline(timeline, "edl")
    assert len([line for line in edl.splitlines() if line[:3].isdigit()]) == len(plan.slots)
    fcpxml = otio_export.convert_timeline(timeline, "fcpxml")
    root = ElementTree.fromstring(fcpxml.split("\n", 2)[2])
    assert {asset.get("src") for asset in root.iter("asset")} >= {otio_export.file_url(footage)}
    assert written["contact_sheet"].stat().st_size > 0


def test_importing_the_side_output_modules_stays_light() -> None:
    code = (
        "import sys\n"
        "import autocut_core.output.deliverables, autocut_core.output.otio, autocut_core.output.contact_sheet\n"
        "import autocut_core.cli.export, autocut_core.output.plan_media\n"
        "heavy = [m for m in ('opentimelineio', 'PIL', 'numpy', 'pydantic') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )  # fmt: skip
    assert result.stdout.strip() == ""
