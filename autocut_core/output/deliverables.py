"""The files written next to a rendered ad, for the people who take it from there.

``ad.mp4`` is the product; beside it go

- ``ad.plan.json``: the :class:`EditPlan` exactly as :func:`autocut_core.serde.dumps` writes
  it, so ``autocut render ad.plan.json`` renders a hand-edited plan again;
- ``ad.otio``: the edit as an OpenTimelineIO timeline for Resolve, Premiere or FCP (and, through
  :func:`autocut_core.output.otio.export_timeline`, as CMX 3600 EDL or FCPXML);
- ``ad.contact.png``: one thumbnail per slot with its number, output time and sentence.

The plan file is named ``<stem>.plan.json`` rather than ``plan.json`` so that several ads
rendered into one folder keep their own plans. The plan is written first: it needs no media,
and it is the one file that lets a user fix a plan whose media has gone missing.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

from autocut_core import serde
from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_write_bytes
from autocut_core.types import PLAN_FORMAT_VERSION, EditPlan

#: Keys of :func:`write_side_outputs`'s result, in the order the files are written.
SIDE_OUTPUTS = ("plan", "otio", "contact_sheet")


def side_output_paths(video_path: str | os.PathLike[str]) -> dict[str, Path]:
    """Where each side output of ``video_path`` goes: ``ad.mp4`` -> ``ad.plan.json``,
    ``ad.otio``, ``ad.contact.png`` in the same folder."""
    video = Path(video_path)
    stem = video.stem
    return {
        "plan": video.with_name(f"{stem}.plan.json"),
        "otio": video.with_name(f"{stem}.otio"),
        "contact_sheet": video.with_name(f"{stem}.contact.png"),
    }


#: The longest file name Linux file systems hold, in bytes (ext4, xfs, btrfs, tmpfs).
NAME_MAX = 255


def check_output(video_path: str | os.PathLike[str]) -> None:
    """Refuse, before any work, an output the ad and its side files cannot be written to.

    The side outputs' names are longer than the video's (``ad.contact.png``), so a name
    near the file system's limit would fail after the render, with the video written and
    its plan not; a directory at the video's path would fail at the very end.
    """
    video = Path(video_path)
    if video.is_dir():
        raise InputError(f"{video}: the output is a directory; give the MP4 to write")
    names = [video, video.with_suffix(".srt"), video.with_name(video.stem + ".assets")]
    for path in names + list(side_output_paths(video).values()):
        size = len(os.fsencode(path.name))
        if size > NAME_MAX:
            raise InputError(
                f"{video}: the output's name is too long: {path.name[:40]}... would be "
                f"{size} bytes, and file names hold at most {NAME_MAX}; choose a shorter name"
            )


def write_plan(plan: EditPlan, path: str | os.PathLike[str]) -> Path:
    """The plan as JSON (atomically); ``serde.load_json(EditPlan, path)`` reads it back.

    The text is :func:`serde.dumps`'s. A plan loaded from JSON may carry a lone surrogate
    (``"\\ud800"`` is valid JSON but no UTF-8); such a plan is written with ``\\u``
    escapes instead, which load back to the same strings.
    """
    target = Path(path)
    # Whatever version the plan was read as, it is written in today's schema.
    plan = replace(plan, format_version=PLAN_FORMAT_VERSION)
    text = serde.dumps(plan)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        data = (json.dumps(serde.to_data(plan), ensure_ascii=True, indent=2) + "\n").encode()
    atomic_write_bytes(target, data)
    return target


def write_side_outputs(
    plan: EditPlan,
    video_path: str | os.PathLike[str],
    *,
    timeline: bool = True,
    contact_sheet: bool = True,
) -> dict[str, Path]:
    """Write the plan, the OTIO timeline and the contact sheet next to ``video_path``.

    Returns the written files keyed ``"plan"``, ``"otio"`` and ``"contact_sheet"`` (the last
    two only when asked for). Every file the plan references is probed once first, so a
    missing source fails with a :class:`~autocut_core.media.MediaError` naming the file and
    the slot, before anything but the plan is written.
    """
    paths = side_output_paths(video_path)
    written = {"plan": write_plan(plan, paths["plan"])}
    if not (timeline or contact_sheet):
        return written
    from autocut_core.output.plan_media import media_durations

    durations = media_durations(plan)
    stem = Path(video_path).stem
    if timeline:
        from autocut_core.output.otio import write_timeline

        written["otio"] = write_timeline(plan, paths["otio"], durations, name=stem)
    if contact_sheet:
        from autocut_core.output.contact_sheet import write_contact_sheet

        written["contact_sheet"] = write_contact_sheet(plan, paths["contact_sheet"], stem).path
    return written
