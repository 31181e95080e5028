"""`autocut export PLAN_OR_OTIO --to edl|fcpxml|otio -o FILE`, on an app it registers into."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import opentimelineio as otio
import pytest
import typer
from typer.testing import CliRunner

from autocut_core.cli import export as cli_export
from autocut_core.errors import InputError
from autocut_core.output.deliverables import write_side_outputs

from .conftest import Media, make_plan


@pytest.fixture
def app() -> typer.Typer:
    application = typer.Typer(add_completion=False)
    application.callback()(lambda: None)  # keeps `export` a subcommand, as in `autocut`
    cli_export.register(application)
    return application


def run(app: typer.Typer, *args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output, result.exception


def test_plan_to_edl_and_fcpxml(app: typer.Typer, media: Media, tmp_path: Path) -> None:
    written = write_side_outputs(
        make_plan(media, transition="crossfade"), tmp_path / "ad.mp4", contact_sheet=False
    )
    code, output, error = run(app, "export", str(written["plan"]), "--to", "edl")
    assert (code, error) == (0, None)
    assert output.strip() == str(tmp_path / "ad.edl")
    edl = (tmp_path / "ad.edl").read_text(encoding="utf-8")
    assert edl.startswith("TITLE: ad\n")
    assert edl.count(" D 015 ") == 3

    target = tmp_path / "for fcp" / "cut.fcpxml"
    code, _, error = run(app, "export", str(written["otio"]), "--to", "FCPXML", "-o", str(target))
    assert (code, error) == (0, None)
    body = target.read_text(encoding="utf-8").split("\n", 2)[2]
    assert len(ElementTree.fromstring(body).findall("./project/sequence/spine/clip")) == 4


def test_plan_to_otio_matches_the_side_output(
    app: typer.Typer, media: Media, tmp_path: Path
) -> None:
    written = write_side_outputs(make_plan(media), tmp_path / "ad.mp4", contact_sheet=False)
    target = tmp_path / "again.otio"
    code, _, error = run(app, "export", str(written["plan"]), "--to", "otio", "-o", str(target))
    assert (code, error) == (0, None)
    again = otio.adapters.read_from_file(str(target))
    first = otio.adapters.read_from_file(str(written["otio"]))
    assert again.name == first.name == "ad"
    assert again.tracks[0].trimmed_range() == first.tracks[0].trimmed_range()
    assert [c.source_range for c in again.find_clips()] == [
        c.source_range for c in first.find_clips()
    ]


def test_bad_requests_are_input_errors(app: typer.Typer, media: Media, tmp_path: Path) -> None:
    written = write_side_outputs(make_plan(media), tmp_path / "ad.mp4", contact_sheet=False)
    _, _, error = run(app, "export", str(written["otio"]), "--to", "aaf")
    assert isinstance(error, InputError) and "unknown timeline format 'aaf'" in str(error)
    _, _, error = run(app, "export", str(written["otio"]), "--to", "otio")
    assert isinstance(error, InputError) and "already an OTIO timeline" in str(error)
    bad_plan = tmp_path / "bad.plan.json"
    bad_plan.write_text('{"slots": [], "colour": 1}', encoding="utf-8")
    _, _, error = run(app, "export", str(bad_plan), "--to", "edl")
    assert isinstance(error, InputError) and "field 'colour'" in str(error)
    code, output, _ = run(app, "export", str(written["otio"]))
    assert code == 2 and "--to" in output
