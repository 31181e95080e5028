"""EDL and FCPXML of ads at frame rates SMPTE timecode lacks (15, 12 fps): written at a whole
multiple of the rate, so every cut stays on the frame the renderer put it on."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from autocut_core.errors import InputError
from autocut_core.output.deliverables import write_side_outputs
from autocut_core.output.otio import export_file, read_timeline, timecode_rate, to_frames

from .conftest import Media, make_plan


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(15.0, 30.0), (12.0, 24.0), (10.0, 30.0), (20.0, 60.0), (25.0, 25.0), (29.97, 29.97),
     (11.988, 23.976)],
)  # fmt: skip
def test_timecode_rate_is_the_smallest_whole_multiple(rate: float, expected: float) -> None:
    assert timecode_rate(rate) == expected


def test_a_rate_without_a_timecode_multiple_is_refused_by_name() -> None:
    with pytest.raises(InputError, match=r"a 7 fps timeline cannot be written as EDL/FCPXML"):
        timecode_rate(7.0)


def frames(timecode: str, rate: int) -> int:
    hours, minutes, seconds, frame = (int(part) for part in timecode.split(":"))
    return ((hours * 60 + minutes) * 60 + seconds) * rate + frame


def test_a_15_fps_ad_exports_at_30_with_its_own_cut_frames(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media)
    plan = dataclasses.replace(plan, render=dataclasses.replace(plan.render, fps=15.0))
    written = write_side_outputs(plan, tmp_path / "ad.mp4", contact_sheet=False)
    # The OTIO side output keeps the ad's own rate; only the timecode formats are rescaled.
    assert read_timeline(written["otio"]).tracks[0].duration().rate == 15.0

    edl = export_file(written["plan"], "edl").read_text(encoding="utf-8")
    events = re.findall(r"^\d{3} .* C +(\S+) (\S+) (\S+) (\S+)$", edl, flags=re.MULTILINE)
    assert len(events) == len(plan.slots)
    for slot, event in zip(plan.slots, events, strict=True):
        source_in, source_out, record_in, record_out = (frames(value, 30) for value in event)
        assert source_in == 2 * to_frames(slot.source_in, 15.0)
        assert source_out - source_in == record_out - record_in
    every = [frames(value, 30) for event in events for value in event]
    assert all(value % 2 == 0 for value in every)  # every cut on a frame of the 15 fps render

    fcpxml = export_file(written["plan"], "fcpxml").read_text(encoding="utf-8")
    root = ElementTree.fromstring(fcpxml.split("\n", 2)[2])
    sequence = root.find("./library/event/project/sequence")
    if sequence is None:
        sequence = root.find(".//project/sequence")
    assert sequence is not None
    project = next(f for f in root.iter("format") if f.get("id") == sequence.get("format"))
    assert project.get("name") == "FFVideoFormat1080x1920p30"
    assert project.get("frameDuration") == "100/3000s"
