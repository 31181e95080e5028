"""The media files an :class:`EditPlan` references: do they exist, and how long are they?

Side outputs (the OTIO timeline's available ranges, the contact sheet's frame grabs) need
the sources of a plan that may have been edited by hand since it was rendered, so a missing
or broken file must be reported as the slot that names it, not as an ffmpeg log.
"""

from __future__ import annotations

from collections.abc import Iterator

from autocut_core.media import MediaError, probe
from autocut_core.types import EditPlan


def referenced_files(plan: EditPlan) -> Iterator[tuple[str, str]]:
    """``(path, who references it)`` for every source, voice line and the music, in plan order."""
    for number, slot in enumerate(plan.slots, start=1):
        yield slot.source_path, f"slot {number} ({slot.clip_id}) footage"
        if slot.voice_path:
            yield slot.voice_path, f"slot {number} ({slot.clip_id}) voice line"
    if plan.music is not None:
        yield plan.music.path, f"music track {plan.music.track_id}"


def media_durations(plan: EditPlan) -> dict[str, float]:
    """Seconds of every file the plan references (each probed once), keyed by its path.

    Raises :class:`MediaError` naming the file, why it is unusable and which slot uses it.
    """
    durations: dict[str, float] = {}
    for path, user in referenced_files(plan):
        if path in durations:
            continue
        try:
            durations[path] = probe(path).duration
        except MediaError as error:
            raise MediaError(error.path, f"{error.reason} (needed by {user})") from None
    return durations
