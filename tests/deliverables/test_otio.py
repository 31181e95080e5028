"""The rendered ad's OTIO timeline: it agrees with timeline.place() frame for frame, survives
a round trip through opentimelineio, and converts to an EDL and an FCPXML editors can read."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from xml.etree import ElementTree

import opentimelineio as otio
import pytest

from autocut_core.editing.timeline import place, total_duration, transition_overlap
from autocut_core.errors import AutocutError, InputError
from autocut_core.output import otio as otio_export
from autocut_core.output.plan_media import media_durations
from autocut_core.types import EditPlan

from .conftest import FPS, Media, make_plan

EVENT = re.compile(
    r"^(?P<number>\d{3})\s+(?P<reel>\S+)\s+(?P<kind>V|A\d?)\s+(?P<type>C|D \d{3})\s+"
    r"(?P<src_in>\d\d:\d\d:\d\d:\d\d) (?P<src_out>\d\d:\d\d:\d\d:\d\d) "
    r"(?P<rec_in>\d\d:\d\d:\d\d:\d\d) (?P<rec_out>\d\d:\d\d:\d\d:\d\d)$"
)


def frames(seconds: float) -> int:
    """The renderer's rounding: nearest frame, halves up."""
    return math.floor(seconds * FPS + 0.5 + 1e-6)


def timecode(frame_count: int) -> str:
    seconds, frame = divmod(frame_count, int(FPS))
    minutes, second = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{hours:02d}:{minute:02d}:{second:02d}:{frame:02d}"


def write_and_read(plan: EditPlan, tmp_path: Path) -> otio.schema.Timeline:
    path = otio_export.write_timeline(plan, tmp_path / "ad.otio", media_durations(plan))
    return otio.adapters.read_from_file(str(path))


def video_clips(timeline: otio.schema.Timeline) -> list[otio.schema.Clip]:
    return [item for item in timeline.tracks[0] if isinstance(item, otio.schema.Clip)]


def edl_events(text: str) -> list[dict[str, str]]:
    return [match.groupdict() for line in text.splitlines() if (match := EVENT.match(line))]


def test_cut_plan_round_trips_with_one_clip_per_slot(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media)
    timeline = write_and_read(plan, tmp_path)

    assert timeline.tracks[0].kind == otio.schema.TrackKind.Video
    clips = video_clips(timeline)
    assert len(clips) == len(plan.slots)
    assert not [item for item in timeline.tracks[0] if isinstance(item, otio.schema.Transition)]
    assert timeline.duration().to_seconds() == pytest.approx(total_duration(plan), abs=0.5 / FPS)
    source_seconds = media_durations(plan)[str(media.footage)]
    for clip, placement in zip(clips, place(plan), strict=True):
        slot = placement.slot
        assert clip.source_range.start_time.value == frames(slot.source_in)
        assert clip.source_range.duration.value == frames(slot.source_out) - frames(slot.source_in)
        assert clip.range_in_parent().start_time.value == frames(placement.start)
        reference = clip.media_reference
        assert otio_export.path_from_url(reference.target_url) == str(media.footage)
        assert reference.available_range.duration.to_seconds() == pytest.approx(source_seconds)
        assert clip.metadata["autocut"]["sentence"] == slot.sentence
        assert clip.metadata["autocut"]["score"] == slot.score
        assert [marker.name for marker in clip.markers] == [slot.sentence]
    meta = timeline.metadata["autocut"]
    assert (meta["width"], meta["height"], meta["fps"]) == (1080, 1920, FPS)


def test_crossfades_are_dissolves_that_span_the_overlap(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media, transition="crossfade")
    overlap = transition_overlap(plan.render, plan.slots)
    assert overlap > 0
    timeline = write_and_read(plan, tmp_path)
    track = timeline.tracks[0]

    transitions = [item for item in track if isinstance(item, otio.schema.Transition)]
    assert len(transitions) == len(plan.slots) - 1
    assert timeline.duration().to_seconds() == pytest.approx(total_duration(plan), abs=0.5 / FPS)
    placements = place(plan)
    clips = video_clips(timeline)
    for number, transition in enumerate(transitions, start=1):
        assert transition.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve
        length = transition.in_offset.value + transition.out_offset.value
        assert length == pytest.approx(overlap * FPS, abs=1)
        # The dissolve starts where the incoming slot starts on the output, and the incoming
        # clip's head handle reaches back to its source_in.
        cut = clips[number].range_in_parent().start_time.value
        assert cut - transition.in_offset.value == frames(placements[number].start)
        head = clips[number].source_range.start_time.value - transition.in_offset.value
        assert head == frames(placements[number].slot.source_in)


def test_held_frame_is_a_freeze_frame_clip(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media, holds=(0.0, 0.8, 0.0, 0.0))
    timeline = write_and_read(plan, tmp_path)
    clips = video_clips(timeline)

    assert len(clips) == len(plan.slots) + 1
    footage, held = clips[1], clips[2]
    slot = plan.slots[1]
    assert held.metadata["autocut"]["piece"] == "hold"
    assert [effect.effect_name for effect in held.effects] == ["FreezeFrame"]
    assert held.effects[0].time_scalar == 0
    assert held.source_range.start_time.value == frames(slot.source_out) - 1
    assert held.source_range.duration.value == frames(0.8)
    assert footage.range_in_parent().end_time_exclusive() == held.range_in_parent().start_time
    assert timeline.duration().to_seconds() == pytest.approx(total_duration(plan), abs=0.5 / FPS)

    edl = otio_export.convert_timeline(timeline, "edl")
    assert "* * FREEZE FRAME" in edl
    assert re.search(r"^M2\s+footage\.mp4\s+0\.0\s+", edl, flags=re.MULTILINE)
    back = otio.adapters.read_from_string(edl, "cmx_3600", rate=FPS)
    frozen = [clip for clip in back.find_clips() if clip.effects]
    assert [type(clip.effects[0]).__name__ for clip in frozen] == ["FreezeFrame"]
    assert frozen[0].duration().value == frames(0.8)


def test_hold_under_a_crossfade_keeps_timeline_length(media: Media, tmp_path: Path) -> None:
    # Slot 2's footage ends inside the fade (hold 0.3 s < 0.5 s fade); slot 3 holds longer.
    plan = make_plan(media, transition="crossfade", holds=(0.0, 0.3, 1.0, 0.0))
    timeline = write_and_read(plan, tmp_path)
    assert timeline.duration().to_seconds() == pytest.approx(total_duration(plan), abs=0.5 / FPS)
    events = edl_events(otio_export.convert_timeline(timeline, "edl"))
    for event in events:
        assert event["rec_in"] <= event["rec_out"]
        assert event["src_in"] <= event["src_out"]


def test_voice_and_music_tracks(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media)
    timeline = write_and_read(plan, tmp_path)
    names = [track.name for track in timeline.tracks]
    assert names == ["V1", "Voice", "Music"]
    voice, music = timeline.tracks[1], timeline.tracks[2]
    assert voice.kind == music.kind == otio.schema.TrackKind.Audio

    voice_clips = list(voice.find_clips())
    assert len(voice_clips) == len(plan.slots)
    for clip, placement, seconds in zip(voice_clips, place(plan), media.voice_seconds, strict=True):
        assert clip.range_in_parent().start_time.value == frames(placement.start)
        assert clip.duration().value == frames(seconds)
        assert otio_export.path_from_url(clip.media_reference.target_url) == str(
            placement.slot.voice_path
        )
    (cue,) = music.find_clips()
    assert cue.source_range.start_time.value == frames(1.0)
    assert cue.duration().value == frames(total_duration(plan))
    assert cue.metadata["autocut"]["gain_db"] == -3.0


def test_short_music_loops_like_the_render(media: Media, tmp_path: Path) -> None:
    from autocut_core.testing import samples

    short = samples.make_music(tmp_path / "short.ogg", 2.0)
    plan = make_plan(media)
    assert plan.music is not None
    plan = dataclasses.replace(
        plan, music=dataclasses.replace(plan.music, path=str(short.path), offset=0.5)
    )
    timeline = write_and_read(plan, tmp_path)  # keep it referenced: OTIO frees its children
    (music,) = [track for track in timeline.tracks if track.name == "Music"]
    passes = [(c.source_range.start_time.value, c.duration().value) for c in music.find_clips()]
    total = frames(total_duration(plan))
    assert passes[0] == (frames(0.5), frames(1.5))
    assert all(start == 0 for start, _ in passes[1:])
    assert all(length == frames(2.0) for _, length in passes[1:-1])
    assert sum(length for _, length in passes) == total


def test_overlapping_voice_lines_get_a_second_track(media: Media, tmp_path: Path) -> None:
    from autocut_core.testing import samples

    long_line = samples.make_music(tmp_path / "long voice.wav", 3.0)
    plan = make_plan(media, music=False)
    slots = tuple(
        slot.__class__(**{**slot.__dict__, "voice_path": str(long_line.path)})
        if index == 0
        else slot
        for index, slot in enumerate(plan.slots)
    )
    timeline = write_and_read(EditPlan(slots=slots, render=plan.render), tmp_path)
    assert [track.name for track in timeline.tracks] == ["V1", "Voice", "Voice 2"]
    assert sum(len(list(track.find_clips())) for track in timeline.tracks[1:]) == len(slots)


def test_edl_events_carry_the_source_and_record_timecodes(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media)
    otio_path = otio_export.write_timeline(plan, tmp_path / "ad.otio", media_durations(plan))
    edl_path = otio_export.export_timeline(otio_path, "edl")
    assert edl_path == tmp_path / "ad.edl"
    text = edl_path.read_text(encoding="utf-8")

    assert text.startswith("TITLE: ad\n")
    events = edl_events(text)
    assert len(events) == len(plan.slots)
    for event, placement in zip(events, place(plan), strict=True):
        slot = placement.slot
        assert event["kind"] == "V" and event["type"] == "C"
        assert event["src_in"] == timecode(frames(slot.source_in))
        assert event["src_out"] == timecode(frames(slot.source_out))
        assert event["rec_in"] == timecode(frames(placement.start))
        assert event["rec_out"] == timecode(frames(placement.end))
    assert text.count("* LOC:") == len(plan.slots)
    assert text.count("* FROM CLIP NAME:  footage.mp4") == len(plan.slots)
    assert {event["reel"] for event in events} == {"footage"}
    back = otio.adapters.read_from_string(text, "cmx_3600", rate=FPS)
    assert len(list(back.find_clips())) == len(plan.slots)


def test_edl_writes_crossfades_as_dissolves(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media, transition="crossfade")
    timeline = write_and_read(plan, tmp_path)
    events = edl_events(otio_export.convert_timeline(timeline, "edl"))
    dissolves = [event for event in events if event["type"].startswith("D")]
    assert len(dissolves) == len(plan.slots) - 1
    overlap_frames = round(transition_overlap(plan.render, plan.slots) * FPS)
    for event, placement in zip(dissolves, place(plan)[1:], strict=True):
        assert event["type"] == f"D {overlap_frames:03d}"
        assert event["rec_in"] == timecode(frames(placement.start))
        assert event["src_in"] == timecode(frames(placement.slot.source_in))


def test_fcpxml_lists_every_slot(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media)
    otio_path = otio_export.write_timeline(plan, tmp_path / "ad.otio", media_durations(plan))
    path = otio_export.export_timeline(otio_path, "fcpxml", tmp_path / "out" / "edit.fcpxml")
    root = ElementTree.parse(path).getroot()

    assert root.tag == "fcpxml"
    spine = root.find("./project/sequence/spine")
    assert spine is not None
    clips = spine.findall("./clip")
    assert [clip.get("name") for clip in clips] == [
        f"{n:02d}_{slot.clip_id}" for n, slot in enumerate(plan.slots, start=1)
    ]
    assert [clip.find("marker").get("value") for clip in clips] == [  # type: ignore[union-attr]
        slot.sentence for slot in plan.slots
    ]
    sources = {asset.get("src") for asset in root.iter("asset")}
    assert otio_export.file_url(media.footage) in sources
    assert otio_export.file_url(media.music) in sources


def test_missing_adapter_is_a_clear_error(
    media: Media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = make_plan(media)
    otio_path = otio_export.write_timeline(plan, tmp_path / "ad.otio", media_durations(plan))
    monkeypatch.setattr(otio.adapters, "available_adapter_names", lambda: ["otio_json"])
    with pytest.raises(AutocutError, match=r"otio-cmx3600-adapter.*autocut\[otio\]"):
        otio_export.export_timeline(otio_path, "edl")
    with pytest.raises(AutocutError, match="otio-fcpx-xml-adapter"):
        otio_export.export_timeline(otio_path, "fcpxml")
    assert not (tmp_path / "ad.edl").exists()


def test_unknown_format_and_unreadable_timeline(media: Media, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown timeline format 'aaf'"):
        otio_export.export_timeline(tmp_path / "ad.otio", "aaf")
    with pytest.raises(InputError, match="file not found"):
        otio_export.export_timeline(tmp_path / "missing.otio", "edl")
    broken = tmp_path / "broken.otio"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.otio: not a readable OTIO timeline"):
        otio_export.export_timeline(broken, "edl")
