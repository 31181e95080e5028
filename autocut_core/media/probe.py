"""What is in a media file, asked of ffprobe once, with a one-line reason when it is unusable.

Every file the material database ingests goes through :func:`probe` first, so this is where a
folder of footage meets reality: missing or unreadable files, folders, empty files, symlink
loops, things that are not media at all and files cut short by an interrupted copy all become
a :class:`~autocut_core.media.errors.MediaError` here, before any decoder runs.

ffprobe runs as a program with an argument list (never a shell string), only reads ``file:``
inputs (``-protocol_whitelist file``: a hostile playlist cannot make it open URLs or other
files) and gets the absolute path behind ``file:``, so a name such as ``-x.mp4`` or
``clip:1.mp4`` is never read as an option or a protocol.

How variable frame rate is detected
-----------------------------------
Container rates lie in both directions (``r_frame_rate`` is a guess from the smallest
timestamp step; ``avg_frame_rate`` is frames / duration, which an edit list or a trailing
audio track shifts), so :func:`probe` looks at the timestamps themselves: the same ffprobe call
lists the video packets of the first :data:`VFR_SAMPLE_SECONDS` seconds
(``-show_entries packet=stream_index,pts_time,dts_time -read_intervals %+5``), sorts their
presentation times (B-frames arrive out of order; an AVI may only have decode times) and
measures the steps between them. The stream is variable-rate when more than
:data:`VFR_OUTLIER_SHARE` of the steps differ from the median step by more than
:data:`VFR_STEP_TOLERANCE` of it, plus 1.5 ms for timestamp rounding (29.97 fps in a millisecond
time base alternates 33 and 34 ms and is still constant).

So a single dropped frame does not make a file VFR; a phone that switches from 30 to 24 fps
does, and so does an AVI whose encoder skipped unchanged frames (opencv-doc's tree.avi): its
frames do arrive at irregular times. Only when fewer than four timestamps are available are
the two container rates compared instead. A stream that changes its rate only after the first
five seconds is reported as constant; a second ffprobe pass over the whole file would catch it
at the cost of reading every packet.

How rotation is reported
------------------------
``rotation`` is the clockwise turn (0, 90, 180 or 270 degrees) a player applies to the stored
picture, the convention of the legacy ``rotate`` tag and of phone footage (a portrait iPhone
clip reads 90). It comes from the display matrix side data (ffprobe prints that angle counter-
clockwise, so it is negated) or, for files that only carry it, the ``rotate`` tag; angles that
are not a multiple of 90 snap to the nearest one. ``width`` and ``height`` are the display size,
already swapped for 90 and 270, which is also what ffmpeg's decoder produces by default
(it auto-rotates).
"""

from __future__ import annotations

import errno
import itertools
import json
import math
import os
import re
import shutil
import stat
import statistics
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from autocut_core.media.errors import MediaError

#: Seconds ffprobe may take before the file is reported as unreadable.
FFPROBE_TIMEOUT_S = 30.0
#: How many seconds of video packets are read to judge the frame rate.
VFR_SAMPLE_SECONDS = 5
#: A timestamp step counts as irregular when it differs from the median by this share...
VFR_STEP_TOLERANCE = 0.10
#: ...and the stream is variable-rate when more than this share of steps are irregular.
VFR_OUTLIER_SHARE = 0.10
#: Timestamp rounding that never counts as irregular (millisecond time bases, 1/90000 ticks).
_ROUNDING_SLACK_S = 0.0015
#: Bytes read from the start of a file to tell text from an interrupted MP4.
_HEAD_BYTES = 512
#: A reason quoted from ffmpeg is cut to this length, so it stays one readable line.
_MAX_QUOTE = 160

_GENERIC_FAILURE = "Invalid data found when processing input"
# ffmpeg reads single pictures with its image2 demuxer or a "<codec>_pipe" one.
_STILL_IMAGE_FORMATS = ("image2", "_pipe")


@dataclass(frozen=True)
class ProbeResult:
    """The facts about one media file that the rest of AutoCut decides on.

    ``width``/``height`` are the display size (rotation applied); ``fps`` is the nominal rate
    for constant-rate video and the mean rate for variable-rate video; video fields are 0 or
    ``""`` for audio-only files. ``duration`` is the container's (the longest stream).
    """

    path: str
    duration: float
    width: int
    height: int
    fps: float
    rotation: int
    variable_frame_rate: bool
    has_video: bool
    has_audio: bool
    audio_streams: int
    video_codec: str
    audio_sample_rate: int
    size_bytes: int
    #: The container's start time (ffmpeg's ``start:``): timestamps kept with ``-copyts``
    #: count from it, so a filter on them must add it to times counted from the file's start.
    start_time: float = 0.0


def probe(path: str | os.PathLike[str]) -> ProbeResult:
    """Probe ``path`` with one ffprobe run; raise :class:`MediaError` if it is not usable media."""
    name = os.fsdecode(path)
    size, head = check_file(name)
    data = _run_ffprobe(name, head)
    return _result_from(name, data, size)


def check_video(result: ProbeResult, max_pixels: int = 8192 * 8192) -> None:
    """Refuse a probed file that cannot serve as footage: no picture, or too many pixels.

    The pixel limit guards memory: one RGB frame of a 16k x 16k file is 768 MB before scaling.
    """
    if not result.has_video:
        raise MediaError(result.path, "no video stream (audio-only file?)")
    pixels = result.width * result.height
    if pixels > max_pixels:
        raise MediaError(
            result.path,
            f"resolution {result.width}x{result.height} exceeds the limit of {max_pixels} pixels",
        )


# --- helpers shared with decode.py -------------------------------------------------------------


def check_file(name: str) -> tuple[int, bytes]:
    """Fail with a plain reason before ffprobe sees a path that cannot be media at all.

    Returns the size and the first bytes, which later tell a text file from a truncated MP4.
    Checking here also keeps FIFOs away from ffprobe, which would block on them.
    """
    try:
        info = os.stat(name)
    except OSError as error:
        raise MediaError(name, _stat_reason(name, error)) from None
    if stat.S_ISDIR(info.st_mode):
        raise MediaError(name, "is a directory, not a media file")
    if not stat.S_ISREG(info.st_mode):
        raise MediaError(name, "not a regular file (a FIFO, socket or device)")
    if info.st_size == 0:
        raise MediaError(name, "empty file (0 bytes)")
    try:
        with open(name, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except PermissionError:
        raise MediaError(name, "permission denied (the file is not readable)") from None
    except OSError as error:
        raise MediaError(name, f"cannot read the file ({error.strerror})") from None
    return info.st_size, head


def _stat_reason(name: str, error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "symbolic link loop (the link points back to itself)"
    if error.errno == errno.ENOENT:
        if os.path.islink(name):
            return "broken symbolic link (its target does not exist)"
        return "file not found"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "permission denied (a parent folder is not accessible)"
    if error.errno == errno.ENOTDIR:
        return "file not found (a part of the path is not a folder)"
    return f"cannot access the file ({error.strerror})"


def find_tool(tool: str, name: str) -> str:
    """The absolute path of ffmpeg or ffprobe, or a MediaError that says how to install it."""
    found = shutil.which(tool)
    if found is None:
        raise MediaError(name, f"{tool} is not installed (apt-get install ffmpeg)")
    return found


def input_arguments(name: str) -> list[str]:
    """ffmpeg/ffprobe input options that read exactly this local file and nothing else."""
    return ["-protocol_whitelist", "file", "-i", "file:" + os.path.abspath(name)]


def stderr_lines(text: str, name: str) -> list[str]:
    """ffmpeg's error lines without ``[mov,mp4 @ 0x55...]`` prefixes or the file's own path."""
    # ffmpeg prints the name's raw bytes; decode them the way its stderr was decoded.
    url = os.fsencode("file:" + os.path.abspath(name)).decode("utf-8", errors="backslashreplace")
    lines = []
    for raw in text.splitlines():
        line = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", raw.strip())
        line = line.replace(url + ": ", "").replace(url, "the file").strip()
        if line:
            lines.append(line)
    return lines


def quote_ffmpeg(lines: list[str]) -> str:
    """The most telling of ffmpeg's lines: the last specific one, else the last one."""
    if not lines:
        return "no error message"
    specific = [line for line in lines if line != _GENERIC_FAILURE]
    chosen = specific[-1] if specific else lines[-1]
    if len(chosen) > _MAX_QUOTE:
        chosen = chosen[: _MAX_QUOTE - 3] + "..."
    return chosen


def open_failure_reason(lines: list[str], head: bytes) -> str:
    """Why ffmpeg could not open a file at all, in words a user can act on."""
    joined = " ".join(lines)
    if _looks_like_text(head):
        return "a text file, not a media file"
    if "moov atom not found" in joined:
        if head[4:8] == b"ftyp":
            return (
                "incomplete MP4: its index (moov atom) is missing; truncated or still being written"
            )
        return "not a media file, or corrupt (no MP4 structure found)"
    return f"not a media file, or corrupt (ffmpeg: {quote_ffmpeg(lines)})"


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The sample may end inside a multi-byte character.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return bool(text) and all(char.isprintable() or char in "\t\r\n\f" for char in text)


# --- running ffprobe ---------------------------------------------------------------------------


def run_tool(
    command: list[str], name: str, timeout: float, what: str
) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg/ffprobe with no stdin and both outputs captured; a timeout is a MediaError.

    ``run`` reads stdout and stderr together, so neither pipe can fill up and block.
    """
    try:
        return subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise MediaError(name, f"{what} within {timeout:g} s") from None


def _run_ffprobe(name: str, head: bytes) -> dict[str, Any]:
    command = [
        find_tool("ffprobe", name),
        "-v", "error", "-hide_banner",
        "-of", "json", "-show_streams", "-show_format",
        "-show_entries", "packet=stream_index,pts_time,dts_time",
        "-read_intervals", f"%+{VFR_SAMPLE_SECONDS}",
        *input_arguments(name),
    ]  # fmt: skip
    completed = run_tool(command, name, FFPROBE_TIMEOUT_S, "ffprobe did not finish")
    stderr = completed.stderr.decode("utf-8", errors="backslashreplace")
    if completed.returncode != 0:
        raise MediaError(name, open_failure_reason(stderr_lines(stderr, name), head))
    try:
        # Tags and the file name may hold any bytes; surrogates keep json.loads from failing.
        data = json.loads(completed.stdout.decode("utf-8", errors="surrogateescape"))
    except ValueError:
        raise MediaError(name, "ffprobe printed no readable description of the file") from None
    return data if isinstance(data, dict) else {}


# --- turning ffprobe's JSON into a ProbeResult -------------------------------------------------


def _result_from(name: str, data: dict[str, Any], size: int) -> ProbeResult:
    format_ = data.get("format") or {}
    streams = data.get("streams") or []
    videos = [s for s in streams if _is_moving_video(s)]
    audios = [s for s in streams if s.get("codec_type") == "audio"]
    if _is_still_image(format_, streams, videos):
        format_name = format_.get("format_name", "")
        raise MediaError(name, f"a still image ({format_name}), not a video or audio file")
    duration = _duration(format_, streams)
    if duration <= 0:
        raise MediaError(name, "zero duration (the file holds no frames or samples)")
    if not videos and not audios:
        raise MediaError(name, "no audio or video streams")
    video = videos[0] if videos else None
    width, height, rotation, fps, vfr = 0, 0, 0, 0.0, False
    if video is not None:
        rotation = _rotation(video)
        width, height = int(video.get("width") or 0), int(video.get("height") or 0)
        if rotation in (90, 270):
            width, height = height, width
        steps = _timestamp_steps(data.get("packets") or [], int(video.get("index", 0)))
        vfr = _is_variable(steps, video)
        fps = _fps(video, vfr, steps)
    return ProbeResult(
        path=name,
        duration=duration,
        width=width,
        height=height,
        fps=fps,
        rotation=rotation,
        variable_frame_rate=vfr,
        has_video=video is not None,
        has_audio=bool(audios),
        audio_streams=len(audios),
        video_codec=str(video.get("codec_name", "")) if video else "",
        audio_sample_rate=int(_number(audios[0].get("sample_rate")) or 0) if audios else 0,
        size_bytes=int(_number(format_.get("size")) or size),
        start_time=float(_number(format_.get("start_time")) or 0.0),
    )


def _is_moving_video(stream: dict[str, Any]) -> bool:
    """A video stream that is not cover art (MP3 and M4A music often carry an attached JPEG)."""
    if stream.get("codec_type") != "video":
        return False
    return not (stream.get("disposition") or {}).get("attached_pic")


def _is_still_image(
    format_: dict[str, Any], streams: list[dict[str, Any]], videos: list[dict[str, Any]]
) -> bool:
    """A PNG or JPEG (named anything), or a file of nothing but cover art."""
    if any(s.get("codec_type") == "audio" for s in streams):
        return False
    if str(format_.get("format_name", "")).endswith(_STILL_IMAGE_FORMATS):
        return True
    return not videos and any(s.get("codec_type") == "video" for s in streams)


def _duration(format_: dict[str, Any], streams: list[dict[str, Any]]) -> float:
    duration = _number(format_.get("duration"))
    if duration is None:
        durations = [_number(s.get("duration")) for s in streams]
        duration = max((d for d in durations if d is not None), default=0.0)
    return duration


def _rotation(video: dict[str, Any]) -> int:
    degrees: float | None = None
    for side_data in video.get("side_data_list") or []:
        if "rotation" in side_data:
            degrees = -float(side_data["rotation"])  # counter-clockwise -> clockwise
            break
    if degrees is None:
        degrees = _number((video.get("tags") or {}).get("rotate")) or 0.0
    return round(degrees / 90.0) * 90 % 360


def _timestamp_steps(packets: list[dict[str, Any]], index: int) -> list[float]:
    times: set[float] = set()
    for packet in packets:
        if packet.get("stream_index") == index:
            # AVI often stores decode times only.
            time = _number(packet.get("pts_time"))
            if time is None:
                time = _number(packet.get("dts_time"))
            if time is not None:
                times.add(time)
    ordered = sorted(times)  # B-frames arrive out of presentation order
    return [later - earlier for earlier, later in itertools.pairwise(ordered)]


def _is_variable(steps: list[float], video: dict[str, Any]) -> bool:
    if len(steps) >= 3:
        median = statistics.median(steps)
        limit = VFR_STEP_TOLERANCE * median + _ROUNDING_SLACK_S
        irregular = sum(1 for step in steps if abs(step - median) > limit)
        return irregular > VFR_OUTLIER_SHARE * len(steps)
    nominal, average = _rate(video.get("r_frame_rate")), _rate(video.get("avg_frame_rate"))
    return bool(nominal and average) and abs(nominal - average) > 0.01 * nominal


def _fps(video: dict[str, Any], vfr: bool, steps: list[float]) -> float:
    nominal, average = _rate(video.get("r_frame_rate")), _rate(video.get("avg_frame_rate"))
    if not vfr and nominal and (not average or abs(nominal - average) <= 0.01 * nominal):
        return nominal  # exact, e.g. 30000/1001
    if average:
        return average
    if steps:
        return 1.0 / statistics.median(steps)
    return nominal


def _rate(value: Any) -> float:
    """ffprobe's ``"30000/1001"`` as a float; ``"0/0"`` and garbage as 0."""
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(rate) if rate > 0 else 0.0


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
