"""The rendered ad's timeline as OpenTimelineIO, and its conversion to CMX 3600 EDL and FCPXML.

An editor who opens ``ad.otio`` in DaVinci Resolve or Premiere must see the cut that was
rendered, frame for frame, so every time here comes from :func:`autocut_core.editing.timeline.place`
(the renderer's own placement) rounded once to frames of the plan's rate.

How the render maps onto OTIO
-----------------------------
- **Slots** become clips on one video track, ``V1``, whose media reference is the source file
  (a ``file://`` URL of its absolute path, available range = the whole file) and whose source
  range is the slot's ``source_in``/``source_out`` at the plan's fps.
- **Crossfades** overlap consecutive slots by ``d`` seconds (ffmpeg ``xfade``). OTIO draws
  the same thing as a cut in the middle of the overlap plus an ``SMPTE_Dissolve`` transition
  whose ``in_offset``/``out_offset`` (about ``d/2`` each) reach into the clips' handles, so
  the track is exactly as long as the render and the dissolve starts and ends where the
  fade does. (When a held frame ends inside a fade the cut moves to where the footage ends,
  see below.)
- **Held frames** (``Slot.hold``: the last frame frozen after ``source_out``) become a second
  clip of the same source right after the footage, one frame long in the source and as
  long as the hold on the timeline, with an OTIO ``FreezeFrame`` effect (a ``LinearTimeWarp``
  with ``time_scalar`` 0). The CMX 3600 adapter writes it as an ``M2`` speed-0 event with
  ``* * FREEZE FRAME``, which Resolve and Premiere import as a freeze.
- **Sentences and scores** travel twice: as one marker per slot (name = the sentence on one
  line, cut to 80 characters; EDL ``* LOC:``, FCPXML ``<marker>``) and, complete, in each
  clip's ``metadata["autocut"]`` along with the slot's source times and output times. A
  slot edited by hand after scoring has ``score`` None and ``edited`` true there.
- **Audio**: voice lines on ``Voice`` tracks starting with their slots (a second voice track
  only if a hand-edited plan makes lines overlap), the music cue on a ``Music`` track from
  its offset for the length of the ad, played again from its start when it is shorter, as
  the renderer loops it; gain, fades and ducking are in its metadata (OTIO has no volume
  automation).
- **Frames**: every boundary is rounded to the nearest frame once, halves up, and a holding
  slot's footage to whole frames, exactly as the ffmpeg renderer's frame layout rounds, so
  the timeline and the MP4 agree to the frame.

Conversions (adapters from the ``otio`` extra): an EDL holds one video track, so the
audio tracks are left out of it; the FCPXML adapter writes no transitions and no effects,
so there crossfades become cuts at the middle of each fade and a held frame shows the
source frames that follow it (each is named ``..._hold`` so an editor can apply a hold).
The FCPXML project (its ``<sequence>``) gets a format of its own with the ad's width, height
and rate (:func:`with_project_format`); the adapter would give it the first source's.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_core.editing.timeline import Placement, place, transition_overlap
from autocut_core.errors import AutocutError, InputError
from autocut_core.fsutil import atomic_write_text
from autocut_core.output.labels import clean_text, one_line, safe_name
from autocut_core.types import EditPlan, Slot

if TYPE_CHECKING:
    import opentimelineio as otio

#: export format -> (OTIO adapter name, PyPI package that provides it, file suffix)
FORMATS: dict[str, tuple[str, str, str]] = {
    "otio": ("otio_json", "opentimelineio", ".otio"),
    "edl": ("cmx_3600", "otio-cmx3600-adapter", ".edl"),
    "fcpxml": ("fcpx_xml", "otio-fcpx-xml-adapter", ".fcpxml"),
}
#: Marker names are one line of at most this many characters (EDL comments are short lines).
MARKER_CHARS = 80
#: Key of AutoCut's entries in OTIO metadata dictionaries.
METADATA_KEY = "autocut"


def import_otio() -> Any:
    """The ``opentimelineio`` module, or an error that says which extra installs it."""
    try:
        import opentimelineio
    except ImportError:
        raise AutocutError(
            "timelines need the opentimelineio package: pip install 'autocut[otio]'"
        ) from None
    return opentimelineio


# --- paths that every editor can read -----------------------------------------------------------


def file_url(path: str | os.PathLike[str]) -> str:
    """``file://`` URL of the absolute path, every byte outside ``[A-Za-z0-9/_.~-]`` escaped.

    Percent-encoding the file system bytes keeps names with spaces, quotes, ``#``, ``%`` or
    any encoding intact (``otio.url_utils.filepath_from_url`` reverses it) and keeps them out
    of the EDL's reel column and the FCPXML adapter's XPath lookups.
    """
    absolute = os.path.abspath(os.fsencode(path))
    return "file://" + urllib.parse.quote(absolute, safe="/")


def path_from_url(url: str) -> str:
    """The path behind a ``file://`` URL, decoded once.

    (``otio.url_utils.filepath_from_url`` decodes twice, so a file named ``50%20off.mp4``
    would come back as ``50 off.mp4``.)
    """
    return os.fsdecode(urllib.parse.unquote_to_bytes(urllib.parse.urlparse(url).path))


# --- the video track in frames ------------------------------------------------------------------


@dataclass(frozen=True)
class Piece:
    """A stretch of one slot between two edit points: its footage, or its held last frame.

    Times are frames at the plan's rate: ``record_start`` on the output, ``source_start``
    in the source (for a hold, the frozen frame).
    """

    slot_index: int
    record_start: int
    frames: int
    source_start: int
    freeze: bool


@dataclass(frozen=True)
class Dissolve:
    """A crossfade at the edit point before slot ``slot_index``, in frames either side of it."""

    slot_index: int
    in_offset: int
    out_offset: int


def to_frames(seconds: float, rate: float) -> int:
    """The frame nearest ``seconds``, halves rounded up, as the ffmpeg renderer's layout rounds
    (so a boundary exactly between two frames lands on the same frame in both)."""
    return math.floor(seconds * rate + 0.5 + 1e-6)


@dataclass(frozen=True)
class SlotSpan:
    """One slot on the output in frames: ``start``/``end`` and where its hold begins."""

    start: int
    end: int
    hold_start: int


def slot_spans(placements: list[Placement], rate: float) -> list[SlotSpan]:
    """Each slot's frames, rounded exactly as the renderer rounds them: boundaries to the
    nearest frame once, the footage of a holding slot to whole frames (at least one)."""
    spans = []
    for placement in placements:
        start, end = to_frames(placement.start, rate), to_frames(placement.end, rate)
        footage = end - start
        if placement.slot.hold > 0:
            footage = max(1, min(footage, to_frames(footage_seconds(placement.slot), rate)))
        spans.append(SlotSpan(start, end, start + footage))
    return spans


def edit_points(spans: list[SlotSpan]) -> list[int]:
    """Output frames where the picture switches from one slot to the next, plus 0 and the end.

    Slots that overlap (a crossfade) switch in the middle of the overlap, except when the
    outgoing slot's hold begins inside the overlap and before its middle: then they switch
    where the hold begins, so that the held frame never needs a piece shorter than the
    dissolve's first half (the EDL writer shortens the outgoing event by that much).
    """
    points = [0]
    for previous, current in itertools.pairwise(spans):
        point = current.start
        if previous.end > current.start:
            point = current.start + (previous.end - current.start) // 2
            if current.start < previous.hold_start < previous.end:
                point = min(point, previous.hold_start)
        points.append(point)
    points.append(spans[-1].end if spans else 0)
    return points


def footage_seconds(slot: Slot) -> float:
    return slot.source_out - slot.source_in


def video_pieces(plan: EditPlan, rate: float) -> tuple[list[Piece], list[Dissolve]]:
    """The video track in frames: each slot's visible footage and hold, and the dissolves."""
    spans = slot_spans(place(plan), rate)
    points = edit_points(spans)
    pieces: list[Piece] = []
    dissolves: list[Dissolve] = []
    for index, (slot, span) in enumerate(zip(plan.slots, spans, strict=True)):
        first, last = points[index], points[index + 1]
        boundary = min(max(span.hold_start, first), last)
        source_in = to_frames(slot.source_in, rate)
        if boundary > first:
            source_start = source_in + (first - span.start)
            pieces.append(Piece(index, first, boundary - first, source_start, freeze=False))
        if last > boundary:
            frozen = source_in + (span.hold_start - span.start) - 1
            pieces.append(Piece(index, boundary, last - boundary, frozen, freeze=True))
        if index > 0 and spans[index - 1].end > span.start:
            dissolves.append(Dissolve(index, first - span.start, spans[index - 1].end - first))
    return pieces, dissolves


# --- building the OTIO timeline -----------------------------------------------------------------


def slot_metadata(placement: Placement) -> dict[str, Any]:
    """What an editor (or a script reading the .otio) needs to know about one slot."""
    slot = placement.slot
    return {
        "slot": placement.index + 1,
        "clip_id": clean_text(slot.clip_id),
        "sentence": clean_text(slot.sentence),
        "score": slot.score,
        "edited": slot.edited,
        "source_path": clean_text(slot.source_path),
        "source_in": slot.source_in,
        "source_out": slot.source_out,
        "hold": slot.hold,
        "output_start": round(placement.start, 6),
        "output_end": round(placement.end, 6),
        "voice_path": clean_text(slot.voice_path) if slot.voice_path else None,
        "role": slot.role,
    }


def build_timeline(
    plan: EditPlan, durations: Mapping[str, float], name: str = "autocut"
) -> otio.schema.Timeline:
    """The plan as an OTIO timeline; ``durations`` maps each referenced file to its seconds
    (:func:`autocut_core.output.plan_media.media_durations`)."""
    otio = import_otio()
    if not plan.slots:
        raise InputError("the plan has no slots: there is no timeline to write")
    rate = float(plan.render.fps)
    placements = place(plan)

    def time(frames: int) -> Any:
        return otio.opentime.RationalTime(frames, rate)

    def span(start: int, frames: int) -> Any:
        return otio.opentime.TimeRange(time(start), time(frames))

    def reference(path: str) -> Any:
        return otio.schema.ExternalReference(
            target_url=file_url(path),
            available_range=span(0, to_frames(_duration(durations, path), rate)),
        )

    video = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    pieces, dissolves = video_pieces(plan, rate)
    dissolve_before = {dissolve.slot_index: dissolve for dissolve in dissolves}
    marked: set[int] = set()
    for piece in pieces:
        placement = placements[piece.slot_index]
        slot = placement.slot
        number = piece.slot_index + 1
        dissolve = dissolve_before.pop(piece.slot_index, None)
        if dissolve is not None and len(video):
            video.append(
                otio.schema.Transition(
                    name=f"crossfade {number - 1}-{number}",
                    transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                    in_offset=time(dissolve.in_offset),
                    out_offset=time(dissolve.out_offset),
                )
            )
        label = f"{number:02d}_{safe_name(slot.clip_id)}" + ("_hold" if piece.freeze else "")
        clip = otio.schema.Clip(
            name=label,
            media_reference=reference(slot.source_path),
            source_range=span(piece.source_start, piece.frames),
            metadata={
                METADATA_KEY: {
                    **slot_metadata(placement),
                    "piece": "hold" if piece.freeze else "footage",
                }
            },
        )
        if piece.freeze:
            clip.effects.append(otio.schema.FreezeFrame(name="hold"))
        if piece.slot_index not in marked:
            marked.add(piece.slot_index)
            clip.markers.append(
                otio.schema.Marker(
                    name=one_line(slot.sentence, MARKER_CHARS) or f"slot {number}",
                    marked_range=span(piece.source_start, piece.frames),
                    color=otio.schema.MarkerColor.YELLOW,
                    metadata={
                        METADATA_KEY: {
                            "slot": number,
                            "sentence": clean_text(slot.sentence),
                            "score": slot.score,
                            "edited": slot.edited,
                        }
                    },
                )
            )
        video.append(clip)
    end = to_frames(placements[-1].end, rate)
    if plan.end_card is not None:
        # The card is drawn by the renderer: an editor sees a named gap with its text.
        card = plan.end_card
        frames = to_frames(placements[-1].end + card.duration, rate) - end
        video.append(otio.schema.Gap(
            name="end card", source_range=span(0, frames),
            metadata={METADATA_KEY: {"end_card": {
                "title": clean_text(card.title), "brand": clean_text(card.brand),
                "cta": clean_text(card.cta), "background": card.background, "color": card.color,
                "logo": clean_text(card.logo) if card.logo else None}}},
        ))  # fmt: skip
        end += frames

    tracks = [video, *_voice_tracks(otio, plan, placements, durations, rate)]
    music = _music_track(otio, plan, durations, rate, end)
    if music is not None:
        tracks.append(music)
    return otio.schema.Timeline(
        name=one_line(name, 200) or "autocut",
        tracks=tracks,
        global_start_time=time(0),
        metadata={METADATA_KEY: _timeline_metadata(plan)},
    )


def _duration(durations: Mapping[str, float], path: str) -> float:
    try:
        return durations[path]
    except KeyError:
        raise InputError(f"no duration known for {path!r}: probe every file of the plan") from None


def _timeline_metadata(plan: EditPlan) -> dict[str, Any]:
    render = plan.render
    return {
        "format_version": plan.format_version,
        "pipeline": plan.pipeline,
        "product": clean_text(plan.product.name) if plan.product else None,
        "width": render.width,
        "height": render.height,
        "fps": render.fps,
        "transition": render.transition,
        "transition_duration": transition_overlap(render, plan.slots),
        "slots": len(plan.slots),
    }


def _voice_tracks(
    otio: Any,
    plan: EditPlan,
    placements: list[Placement],
    durations: Mapping[str, float],
    rate: float,
) -> list[Any]:
    """Voice lines at their slots' output starts; a line that overlaps the one before it (only
    in a hand-edited plan) goes to the next track, so nothing is moved or cut."""
    tracks: list[Any] = []
    ends: list[int] = []
    for placement in placements:
        slot = placement.slot
        if not slot.voice_path:
            continue
        start = to_frames(placement.start, rate)
        length = to_frames(_duration(durations, slot.voice_path), rate)
        if length <= 0:
            continue
        lane = next((i for i, end in enumerate(ends) if end <= start), None)
        if lane is None:
            lane = len(tracks)
            suffix = f" {lane + 1}" if lane else ""
            tracks.append(
                otio.schema.Track(name=f"Voice{suffix}", kind=otio.schema.TrackKind.Audio)
            )
            ends.append(0)
        if start > ends[lane]:
            tracks[lane].append(
                otio.schema.Gap(
                    source_range=otio.opentime.TimeRange(
                        otio.opentime.RationalTime(0, rate),
                        otio.opentime.RationalTime(start - ends[lane], rate),
                    )
                )
            )
        full = otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(length, rate)
        )
        tracks[lane].append(
            otio.schema.Clip(
                name=f"{placement.index + 1:02d}_voice",
                media_reference=otio.schema.ExternalReference(
                    target_url=file_url(slot.voice_path), available_range=full
                ),
                source_range=full,
                metadata={
                    METADATA_KEY: {
                        "slot": placement.index + 1,
                        "sentence": clean_text(slot.sentence),
                    }
                },
            )
        )
        ends[lane] = start + length
    return tracks


def _music_track(
    otio: Any, plan: EditPlan, durations: Mapping[str, float], rate: float, total: int
) -> Any:
    """The music from its offset for the length of the ad; a track shorter than that plays
    again from its start (the renderer loops it with ``-stream_loop``), one clip per pass."""
    music = plan.music
    if music is None:
        return None
    available = to_frames(_duration(durations, music.path), rate)
    if available <= 0:
        return None
    reference = otio.schema.ExternalReference(
        target_url=file_url(music.path),
        available_range=otio.opentime.TimeRange(
            otio.opentime.RationalTime(0, rate), otio.opentime.RationalTime(available, rate)
        ),
    )
    metadata = {
        "track_id": clean_text(music.track_id),
        "gain_db": music.gain_db,
        "fade": plan.render.music_fade,
        "duck_db": plan.render.duck_db,
        "loudness_lufs": plan.render.loudness_lufs,
    }
    track = otio.schema.Track(name="Music", kind=otio.schema.TrackKind.Audio)
    start = min(to_frames(music.offset, rate), available)
    covered = 0
    while covered < total:
        length = min(available - start, total - covered)
        if length > 0:
            passes = len(track) + 1
            track.append(
                otio.schema.Clip(
                    name=safe_name(f"music_{music.track_id}")
                    + (f"_loop{passes}" if passes > 1 else ""),
                    media_reference=reference.clone(),
                    source_range=otio.opentime.TimeRange(
                        otio.opentime.RationalTime(start, rate),
                        otio.opentime.RationalTime(length, rate),
                    ),
                    metadata={METADATA_KEY: {**metadata, "pass": passes}},
                )
            )
            covered += length
        start = 0
    return track


# --- files --------------------------------------------------------------------------------------


def write_timeline(
    plan: EditPlan, path: Path, durations: Mapping[str, float], name: str | None = None
) -> Path:
    """Write the plan's timeline as OTIO JSON to ``path`` (atomically)."""
    otio = import_otio()
    path = Path(path)
    timeline = build_timeline(plan, durations, name or path.stem)
    atomic_write_text(path, otio.adapters.write_to_string(timeline, "otio_json"))
    return path


def convert_timeline(timeline: Any, fmt: str) -> str:
    """The timeline as the text of ``fmt`` (``otio``, ``edl`` or ``fcpxml``)."""
    otio = import_otio()
    adapter = _adapter_for(otio, fmt)
    if fmt in {"edl", "fcpxml"}:
        timeline = at_timecode_rate(otio, timeline)
    if fmt == "edl":
        # CMX 3600 carries one video track; the adapter rejects more than two audio tracks
        # and would write only the first track anyway.
        video = [track for track in timeline.tracks if track.kind == otio.schema.TrackKind.Video]
        if not video:
            raise InputError("the timeline has no video track to write as an EDL")
        rate = video[0].duration().rate
        single = otio.schema.Timeline(name=timeline.name, tracks=[video[0].deepcopy()])
        for clip in single.find_clips():
            name_by_file(otio, clip)
        return otio.adapters.write_to_string(single, adapter, rate=rate)
    text = otio.adapters.write_to_string(timeline, adapter)
    if fmt == "fcpxml":
        facts = dict(timeline.metadata.get(METADATA_KEY, {}))
        if facts.get("fps"):
            facts["fps"] = timecode_rate(float(facts["fps"]))
        return with_project_format(text, facts)
    return text


#: The frame rates SMPTE timecode (EDL) and Final Cut projects have; OTIO refuses the others.
TIMECODE_RATES = (23.976, 24.0, 25.0, 29.97, 30.0, 48.0, 50.0, 59.94, 60.0)


def timecode_rate(rate: float) -> float:
    """The smallest timecode rate that is a whole multiple of ``rate`` (``rate`` itself when
    it is one): a 15 fps ad is written at 30, each of its frames two timecode frames, so every
    cut stays on the frame the renderer put it on. A rate with no such multiple is refused."""
    for candidate in TIMECODE_RATES:
        factor = candidate / rate
        if factor >= 1 - 1e-6 and abs(factor - round(factor)) < 1e-3:
            return candidate
    supported = ", ".join(f"{value:g}" for value in TIMECODE_RATES)
    raise InputError(
        f"a {rate:g} fps timeline cannot be written as EDL/FCPXML: timecode needs {supported} "
        "fps or a rate that divides one of them (render at one of those, or export OTIO)"
    )


def at_timecode_rate(otio: Any, timeline: Any) -> Any:
    """``timeline`` (a copy) with every time at :func:`timecode_rate` of its video rate;
    the timeline itself when its rate is already one."""
    video = [track for track in timeline.tracks if track.kind == otio.schema.TrackKind.Video]
    if not video:
        return timeline
    rate = float(video[0].duration().rate)
    target = timecode_rate(rate)
    if abs(target - rate) < 1e-6:
        return timeline
    copy = timeline.deepcopy()

    def rescaled(value: Any) -> Any:
        if isinstance(value, otio.opentime.TimeRange):
            return otio.opentime.TimeRange(
                value.start_time.rescaled_to(target), value.duration.rescaled_to(target)
            )
        return value.rescaled_to(target)

    if copy.global_start_time is not None:
        copy.global_start_time = rescaled(copy.global_start_time)
    for track in copy.tracks:
        for item in track:
            if isinstance(item, otio.schema.Transition):
                item.in_offset, item.out_offset = (
                    rescaled(item.in_offset),
                    rescaled(item.out_offset),
                )
                continue
            if item.source_range is not None:
                item.source_range = rescaled(item.source_range)
            reference = getattr(item, "media_reference", None)
            if reference is not None and reference.available_range is not None:
                reference.available_range = rescaled(reference.available_range)
            for marker in item.markers:
                marker.marked_range = rescaled(marker.marked_range)
    return copy


def with_project_format(fcpxml: str, facts: Mapping[str, Any]) -> str:
    """The FCPXML with its project (``<sequence>``) in the ad's own format.

    The FCPXML adapter makes one ``<format>`` per frame rate and names it after the first
    clip's file (``FFVideoFormat768x576p30.0`` for a PAL source), then gives the sequence that
    same format, so Final Cut would open a 9:16 ad as a 768x576 project. The ad's width,
    height and rate are in the timeline's metadata (written by :func:`build_timeline`); the
    sequence gets a format of its own with them, and the assets keep the adapter's. A
    timeline made elsewhere (no such metadata) is written as the adapter wrote it.
    """
    from xml.etree import ElementTree

    width, height, fps = facts.get("width"), facts.get("height"), facts.get("fps")
    if not (width and height and fps):
        return fcpxml
    header, _, body = fcpxml.partition("<fcpxml")
    root = ElementTree.fromstring("<fcpxml" + body)  # our adapter's own output, no entities
    resources = root.find("./resources")
    sequences = root.findall(".//project/sequence")
    if resources is None or not sequences:
        return fcpxml
    adapters = {element.get("id"): element for element in resources.iter("format")}
    shared = adapters.get(sequences[0].get("format"))
    if shared is None:
        return fcpxml
    taken = [int(found.group(1)) for element in root.iter()
             if (found := re.fullmatch(r"r(\d+)", element.get("id", "")))]  # fmt: skip
    format_id = f"r{max(taken, default=0) + 1}"
    project = ElementTree.Element("format", {
        "id": format_id,
        "name": fcpx_format_name(int(width), int(height), float(fps)),
        "frameDuration": shared.get("frameDuration", ""),  # the adapter's, for the same rate
        "width": str(int(width)),
        "height": str(int(height)),
    })  # fmt: skip
    resources.insert(0, project)
    for sequence in sequences:
        sequence.set("format", format_id)
    ElementTree.indent(root, space="    ")
    return header + ElementTree.tostring(root, encoding="unicode") + "\n"


def fcpx_format_name(width: int, height: int, fps: float) -> str:
    """Final Cut's name for a video format: ``FFVideoFormat1080p30`` for 1920x1080,
    ``FFVideoFormat720p25`` for 1280x720, else ``FFVideoFormat<W>x<H>p<rate>`` (vertical and
    square ads); 29.97 is written ``2997`` as Final Cut writes it."""
    rate = f"{round(fps, 2):g}".replace(".", "")
    size = {(1920, 1080): "1080", (1280, 720): "720"}.get((width, height), f"{width}x{height}")
    return f"FFVideoFormat{size}p{rate}"


def read_timeline(otio_path: Path) -> Any:
    """An OTIO JSON file as a timeline; a missing or unreadable file is an :class:`InputError`."""
    otio = import_otio()
    otio_path = Path(otio_path)
    if not otio_path.is_file():
        raise InputError(f"{otio_path}: file not found")
    try:
        return otio.adapters.read_from_file(str(otio_path), adapter_name="otio_json")
    except Exception as error:  # the adapters raise their own, unrelated exception classes
        reason = one_line(str(error), 200)
        raise InputError(f"{otio_path}: not a readable OTIO timeline ({reason})") from None


def name_by_file(otio: Any, clip: Any) -> None:
    """Name ``clip`` after its media file and give it a reel made from the file's name.

    Editors conform an EDL by reel and clip name (Premiere by the ``FROM CLIP NAME`` comment,
    Resolve by reel or file name), so in an EDL the file name is what finds the media; the
    slot's number and sentence stay in the ``* LOC:`` marker comment.
    """
    reference = clip.media_reference
    url = getattr(reference, "target_url", "") or ""
    if not url:
        return
    path = path_from_url(url)
    clip.name = one_line(os.path.basename(path), 60) or clip.name
    stem = os.path.splitext(os.path.basename(path))[0]
    reel = re.sub(r"[^A-Za-z0-9]+", "", stem)[:8] or "AX"
    clip.metadata.setdefault("cmx_3600", {})["reel"] = reel


def export_timeline(otio_path: Path, fmt: str, output: Path | None = None) -> Path:
    """Convert the OTIO file ``otio_path`` to ``fmt`` (``edl``, ``fcpxml`` or ``otio``),
    written next to it with the format's suffix unless ``output`` is given."""
    otio = import_otio()
    _adapter_for(otio, fmt)
    otio_path = Path(otio_path)
    timeline = read_timeline(otio_path)
    target = Path(output) if output is not None else otio_path.with_suffix(FORMATS[fmt][2])
    atomic_write_text(target, convert_timeline(timeline, fmt))
    return target


def export_file(source: Path, fmt: str, output: Path | None = None) -> Path:
    """``autocut export``: a plan (``.json``) or a timeline (``.otio``) as ``fmt``.

    A plan is turned into a timeline first, which probes every file it references. Without
    ``output`` the result goes next to ``source``: ``ad.plan.json`` -> ``ad.edl``.
    """
    otio = import_otio()
    _adapter_for(otio, fmt)
    source = Path(source)
    stem = source.name.removesuffix(".json").removesuffix(".plan").removesuffix(".otio")
    target = Path(output) if output is not None else source.with_name(stem + FORMATS[fmt][2])
    if source.suffix.lower() == ".otio":
        if fmt == "otio" and target.resolve() == source.resolve():
            raise InputError(f"{source}: already an OTIO timeline (give -o to write a copy)")
        timeline = read_timeline(source)
    else:
        from autocut_core import serde
        from autocut_core.output.plan_media import media_durations
        from autocut_core.types import EditPlan

        plan = serde.load_json(EditPlan, source)
        timeline = build_timeline(plan, media_durations(plan), stem)
    atomic_write_text(target, convert_timeline(timeline, fmt))
    return target


def _adapter_for(otio: Any, fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputError(f"unknown timeline format {fmt!r}; choose one of {', '.join(FORMATS)}")
    adapter, package, _suffix = FORMATS[fmt]
    if adapter not in otio.adapters.available_adapter_names():
        raise AutocutError(
            f"writing {fmt.upper()} needs the OTIO adapter '{adapter}' from the {package} "
            "package: pip install 'autocut[otio]'"
        )
    return adapter
