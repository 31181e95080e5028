"""Cut lists in the formats editors already use: CSV (PySceneDetect's columns) and OTIO."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from autocut_core.errors import AutocutError
from autocut_core.fsutil import atomic_write_text


def timecode(seconds: float) -> str:
    """``HH:MM:SS.mmm``."""
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def write_csv(clips: list[tuple[float, float]], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Scene Number", "Start Timecode", "Start Time (seconds)", "End Timecode",
                     "End Time (seconds)", "Length (seconds)"])  # fmt: skip
    for number, (start, end) in enumerate(clips, start=1):
        writer.writerow([number, timecode(start), f"{start:.3f}", timecode(end), f"{end:.3f}",
                         f"{end - start:.3f}"])  # fmt: skip
    atomic_write_text(Path(path), buffer.getvalue())


def write_otio(video: Path, clips: list[tuple[float, float]], facts: Any, path: Path) -> None:
    """One track of clips referencing ``video``, at the source's frame rate."""
    try:
        import opentimelineio as otio
    except ImportError:
        raise AutocutError(
            "--otio needs the opentimelineio package: pip install 'autocut[otio]'"
        ) from None
    rate = float(facts.fps) if facts.fps else 25.0
    reference = otio.schema.ExternalReference(
        target_url=Path(video).resolve().as_uri(),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate),
            otio.opentime.RationalTime(round(facts.duration * rate), rate),
        ),
    )
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    for number, (start, end) in enumerate(clips, start=1):
        source_range = otio.opentime.TimeRange(
            otio.opentime.RationalTime(round(start * rate), rate),
            otio.opentime.RationalTime(round((end - start) * rate), rate),
        )
        track.append(
            otio.schema.Clip(
                name=f"clip {number}", media_reference=reference.clone(), source_range=source_range
            )
        )
    timeline = otio.schema.Timeline(name=Path(video).stem, tracks=[track])
    atomic_write_text(Path(path), otio.adapters.write_to_string(timeline, "otio_json"))
