"""Check every file a plan names before ffmpeg starts, so a bad one gets a clear error.

ffmpeg's own message for a missing voice file in input #7 of 12 is a line in a long log; here
each file is probed once and a problem becomes a :class:`MediaError` naming the file, what it
is for (``footage of slot 2 (clip abc0001003)``) and what is wrong with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from autocut_plugins.ffmpeg_render.layout import FrameLayout

from autocut_core.errors import InputError
from autocut_core.media import MediaError, ProbeResult, check_video, display_path, probe
from autocut_core.types import EditPlan

#: Footage may end this much before ``source_out`` (rounding, a short last frame); the
#: missing part repeats the last frame. Beyond it the plan does not fit the file.
SOURCE_END_SLACK_S = 0.5
#: A voice line may run this far past its slot's end (rounded durations) before it would be cut.
VOICE_SLACK_S = 0.05


@dataclass(frozen=True)
class CheckedInputs:
    """What ffprobe found in the plan's files (the graph needs durations and voice slots)."""

    footage: dict[str, ProbeResult]
    #: slot index -> its voice file's probe.
    voices: dict[int, ProbeResult]
    music: ProbeResult | None


def check_inputs(plan: EditPlan, layout: FrameLayout) -> CheckedInputs:
    """Probe every footage, voice and music file once; raise on the first that cannot work."""
    footage: dict[str, ProbeResult] = {}
    voices: dict[int, ProbeResult] = {}
    for slot_frames in layout.slots:
        slot, number = slot_frames.slot, slot_frames.index + 1
        role = f"footage of slot {number} ({slot.clip_id})"
        if slot.source_path not in footage:
            result = _probe(slot.source_path, role)
            try:
                check_video(result)
            except MediaError as error:
                raise MediaError(slot.source_path, f"{role}: {error.reason}") from None
            footage[slot.source_path] = result
        source = footage[slot.source_path]
        if slot.source_in >= source.duration:
            raise MediaError(
                slot.source_path,
                f"{role} starts at {slot.source_in:.3f} s but the file lasts "
                f"{source.duration:.3f} s",
            )
        if slot.source_out > source.duration + SOURCE_END_SLACK_S:
            raise MediaError(
                slot.source_path,
                f"{role} ends at {slot.source_out:.3f} s but the file lasts "
                f"{source.duration:.3f} s (use 'hold' to freeze the last frame)",
            )
        if slot.voice_path:
            voices[slot_frames.index] = _check_voice(plan, layout, slot_frames.index)
    music = None
    if plan.music is not None:
        role = f"music track {plan.music.track_id}"
        music = _probe(plan.music.path, role)
        if not music.has_audio:
            raise MediaError(plan.music.path, f"{role} has no audio stream")
        if not 0 <= plan.music.offset < music.duration:
            raise MediaError(
                plan.music.path,
                f"{role}: offset {plan.music.offset:.3f} s is outside the track "
                f"(0 to {music.duration:.3f} s)",
            )
    return CheckedInputs(footage, voices, music)


def _check_voice(plan: EditPlan, layout: FrameLayout, index: int) -> ProbeResult:
    slot_frames = layout.slots[index]
    slot = slot_frames.slot
    assert slot.voice_path is not None
    role = f"voice-over of slot {index + 1} ({slot.clip_id})"
    result = _probe(slot.voice_path, role)
    if not result.has_audio:
        raise MediaError(slot.voice_path, f"{role} has no audio stream")
    available = layout.seconds(slot_frames.frames)
    if result.duration > available + VOICE_SLACK_S:
        raise InputError(
            f"{display_path(slot.voice_path)}: {role} lasts {result.duration:.2f} s but its slot "
            f"is {available:.2f} s long, so the voice would be cut; fit the plan to its voice "
            "lines first (autocut_core.editing.timeline.fit_plan_to_voice) or lengthen the slot"
        )
    return result


def _probe(path: str, role: str) -> ProbeResult:
    try:
        return probe(path)
    except MediaError as error:
        raise MediaError(error.path, f"{role}: {error.reason}") from None
