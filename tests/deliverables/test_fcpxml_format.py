"""`autocut export --to fcpxml`: the project is in the ad's format, not the first source's.

The fixture footage is 160x120 at 25 fps and the plan renders 1080x1920 at 30 fps, so a
project format copied from the footage (what the FCPXML adapter does on its own) fails here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from autocut_core.cli import export as cli_export
from autocut_core.output import otio as otio_export
from autocut_core.output.deliverables import write_side_outputs
from autocut_core.types import RenderSettings

from .conftest import Media, make_plan


def project_format(path: Path) -> tuple[ElementTree.Element, ElementTree.Element]:
    """The written FCPXML's sequence and the ``<format>`` element it names."""
    root = ElementTree.fromstring(path.read_text(encoding="utf-8").split("\n", 2)[2])
    sequence = root.find("./project/sequence")
    assert sequence is not None
    formats = {element.get("id"): element for element in root.iter("format")}
    return sequence, formats[sequence.get("format")]


@pytest.mark.parametrize("given", ["plan", "otio"])
def test_project_format_is_the_ads(media: Media, tmp_path: Path, given: str) -> None:
    import typer

    app = typer.Typer(add_completion=False)
    app.callback()(lambda: None)
    cli_export.register(app)
    written = write_side_outputs(make_plan(media), tmp_path / "ad.mp4", contact_sheet=False)
    target = tmp_path / "ad.fcpxml"
    result = CliRunner().invoke(
        app, ["export", str(written[given]), "--to", "fcpxml", "-o", str(target)]
    )
    assert (result.exit_code, result.exception) == (0, None)

    sequence, made = project_format(target)
    assert (made.get("width"), made.get("height")) == ("1080", "1920")
    assert made.get("name") == "FFVideoFormat1080x1920p30"
    assert made.get("frameDuration") == "100/3000s"  # one frame at 30 fps
    # The assets keep a format of their own: the source is not a 1080x1920 file.
    root = ElementTree.fromstring(target.read_text(encoding="utf-8").split("\n", 2)[2])
    asset_formats = {asset.get("format") for asset in root.iter("asset")}
    assert sequence.get("format") not in asset_formats


@pytest.mark.parametrize(
    ("size", "fps", "name", "duration"),
    [
        ((1920, 1080), 25.0, "FFVideoFormat1080p25", "1/25s"),
        ((1080, 1080), 29.97, "FFVideoFormat1080x1080p2997", "1001/30000s"),
    ],
)
def test_landscape_and_ntsc_projects(
    media: Media, tmp_path: Path, size: tuple[int, int], fps: float, name: str, duration: str
) -> None:
    plan = make_plan(media)
    render = RenderSettings(width=size[0], height=size[1], fps=fps)
    plan = dataclasses.replace(plan, render=render)
    written = write_side_outputs(plan, tmp_path / "ad.mp4", contact_sheet=False)
    target = otio_export.export_timeline(written["otio"], "fcpxml", tmp_path / "ad.fcpxml")

    _, made = project_format(target)
    assert (made.get("width"), made.get("height")) == (str(size[0]), str(size[1]))
    assert (made.get("name"), made.get("frameDuration")) == (name, duration)
