"""Frames and waveforms out of media files, straight from an ffmpeg pipe into NumPy.

One ffmpeg process per file does the decoding, frame-rate conversion (``fps`` filter), rotation
(ffmpeg auto-rotates), scaling and the conversion to RGB, and writes raw ``rgb24`` frames to a
pipe: no image files touch the disk, and the encoders and the cut detector can share one pass
over the footage (decode densely, take 1 fps token frames with :func:`sample_every`).

Failure policy: a file that breaks part-way (an interrupted copy, a damaged sector) still yields
every frame decoded before the damage, then raises :class:`MediaError` naming the second where
decoding stopped, so a caller can keep the good part or drop the file, but never mistakes a
truncated shot for a complete one. Damage that the decoder conceals without losing time
(a smeared block or two) is not an error.
"""

from __future__ import annotations

import collections
import contextlib
import os
import subprocess
import threading
from collections.abc import Generator, Iterable, Iterator
from fractions import Fraction
from typing import IO, TYPE_CHECKING

from autocut_core.media.errors import MediaError
from autocut_core.media.probe import (
    ProbeResult,
    check_video,
    find_tool,
    input_arguments,
    open_failure_reason,
    probe,
    quote_ffmpeg,
    run_tool,
    stderr_lines,
)

if TYPE_CHECKING:
    import numpy as np

#: Seconds an audio decode may take (a two-hour file decodes in well under a minute).
AUDIO_TIMEOUT_S = 600.0
#: Seconds ffmpeg gets to exit after the consumer stopped reading.
_EXIT_GRACE_S = 5.0
#: Lines of ffmpeg's stderr kept for the error message (the rest is noise).
_STDERR_LINES = 40
#: Decoding that ends this many seconds before the probed end counts as cut short.
_SHORTFALL_S = 1.0


def iter_frames(
    path: str | os.PathLike[str],
    fps: float = 10.0,
    max_side: int = 256,
    probe_result: ProbeResult | None = None,
) -> Generator[tuple[float, np.ndarray]]:
    """Yield ``(k / fps, frame)`` (a generator: ``close()`` it to stop ffmpeg early) for the video resampled to ``fps``, RGB ``uint8`` HxWx3.

    Timestamps count from the first frame, whatever the container's start time; a
    variable-rate source comes out at the constant ``fps`` (frames repeat or drop as needed).
    Frames are the display orientation, scaled so the longer side is at most ``max_side``
    (never enlarged; aspect kept, odd sizes allowed; pixels taken as square). Each frame is a
    fresh writable array. If decoding breaks off more than a second before the probed end,
    with ffmpeg reporting errors, or ffmpeg fails, :class:`MediaError` follows the last good
    frame. Probing and the checks of
    :func:`check_video` happen now, so a bad file fails at the call; ffmpeg starts at the first
    ``next()`` and is stopped when the iterator is closed or garbage-collected. Pass
    ``probe_result`` when the file was already probed to save one ffprobe run.
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    info = probe_result if probe_result is not None else probe(path)
    check_video(info)
    name = os.fsdecode(path)
    width, height = scaled_size(info.width, info.height, max_side)
    command = _frames_command(name, fps, width, height)
    # ffmpeg's fps filter rounds a video shorter than half its interval (one frame, 0.04 s)
    # to no frame at all; such a video is still its first frame.
    first = _frames_command(name, None, width, height, frames=1)
    return _read_frames(name, command, (height, width), fps, info.duration, first)


def scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size with the longer side at most ``max_side``, aspect kept, each side >= 1."""
    scale = min(1.0, max_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def sample_every(
    frames: Iterable[tuple[float, np.ndarray]],
    dense_fps: float,
    every_seconds: float = 1.0,
) -> Iterator[tuple[int, float, np.ndarray]]:
    """From a dense ``(timestamp, frame)`` stream, yield ``(k, timestamp, frame)`` nearest to
    ``t = k * every_seconds``.

    ``k`` is the second for the default ``every_seconds=1.0``, as frame ids use it. This lets
    one decode at, say, 10 fps feed both the cut detector (every frame) and the 1 fps token
    frames, instead of decoding the file twice. A target is skipped when no frame lies within
    half a dense frame interval of it (a gap in the stream, or past its end). On a tie the
    earlier frame wins. Frames are passed through, not copied.
    """
    if not dense_fps > 0 or not every_seconds > 0:
        raise ValueError("dense_fps and every_seconds must be positive")
    if dense_fps * every_seconds < 1 - 1e-9:
        raise ValueError(
            f"a {dense_fps:g} fps stream is too sparse to sample every {every_seconds:g} s"
        )
    tolerance = 0.5 / dense_fps + 1e-6
    k = 0
    previous: tuple[float, np.ndarray] | None = None
    for timestamp, frame in frames:
        while k * every_seconds <= timestamp + 1e-9:
            target = k * every_seconds
            chosen = (timestamp, frame)
            if previous is not None and target - previous[0] <= timestamp - target:
                chosen = previous
            if abs(chosen[0] - target) <= tolerance:
                yield k, chosen[0], chosen[1]
            k += 1
        previous = (timestamp, frame)
    if previous is not None and k * every_seconds - previous[0] <= tolerance:
        yield k, previous[0], previous[1]


def decode_audio(
    path: str | os.PathLike[str],
    sample_rate: int,
    max_seconds: float | None = None,
) -> np.ndarray:
    """The first audio stream as mono ``float32`` PCM at ``sample_rate``, clipped to [-1, 1].

    Channels are mixed down by ffmpeg (``-ac 1``). Lossy codecs overshoot full scale slightly;
    clipping keeps every consumer's assumption of [-1, 1] true. ``max_seconds`` stops the
    decode early (a music encoder rarely needs more than the first minutes).
    """
    import numpy as np

    if sample_rate < 1:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds must be positive, got {max_seconds}")
    name = os.fsdecode(path)
    info = probe(name)
    if not info.has_audio:
        raise MediaError(name, "no audio stream (a silent video?)")
    pcm, lines = _run_audio_decode(name, sample_rate, max_seconds)
    samples = np.frombuffer(pcm[: len(pcm) // 4 * 4], dtype="<f4").astype(np.float32)
    wanted = info.duration if max_seconds is None else min(info.duration, max_seconds)
    decoded = samples.size / sample_rate
    if samples.size == 0 or (lines and decoded < wanted - _SHORTFALL_S):
        raise MediaError(
            name,
            f"audio decoding stopped at {decoded:.1f} s of {wanted:.1f} s "
            f"(ffmpeg: {quote_ffmpeg(lines)}); the file is truncated or corrupt",
        )
    np.clip(samples, -1.0, 1.0, out=samples)
    return samples


# --- video ------------------------------------------------------------------------------------


def _frames_command(
    name: str, fps: float | None, width: int, height: int, frames: int | None = None
) -> list[str]:
    """The decoding command: every frame at ``fps`` (``None``: the native frames, the first
    ``frames`` of them)."""
    # One scale step does the resize and the RGB conversion ("area" averages the pixels it
    # drops, so small frames keep the colours a histogram encoder needs).
    chain = f"scale={width}:{height}:flags=area,setsar=1,format=rgb24"
    if fps is not None:
        chain = f"fps={Fraction(fps).limit_denominator(1_000_000)},{chain}"
    limit = ["-frames:v", str(frames)] if frames is not None else []
    return [
        find_tool("ffmpeg", name),
        "-nostdin", "-hide_banner", "-v", "error",
        *input_arguments(name),
        "-map", "0:v:0", "-an", "-sn", "-dn",
        "-vf", chain, *limit,
        "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1",
    ]  # fmt: skip


def _read_frames(
    name: str,
    command: list[str],
    shape: tuple[int, int],
    fps: float,
    duration: float,
    first_frame: list[str] | None = None,
) -> Generator[tuple[float, np.ndarray]]:
    import numpy as np

    height, width = shape
    frame_bytes = height * width * 3
    count = 0
    with _Ffmpeg(command, name) as ffmpeg:
        while True:
            buffer = bytearray(frame_bytes)  # a fresh, writable array per frame
            if _read_exactly(ffmpeg.stdout, buffer) < frame_bytes:
                break
            yield count / fps, np.frombuffer(buffer, dtype=np.uint8).reshape(height, width, 3)
            count += 1
        returncode, lines = ffmpeg.finish()
    reached = count / fps
    if returncode != 0 and count == 0:
        raise MediaError(name, open_failure_reason(lines, b""))
    if returncode != 0 or (lines and reached < duration - _SHORTFALL_S):
        raise MediaError(
            name,
            f"decoding failed at {reached:.1f} s of {duration:.1f} s "
            f"(ffmpeg: {quote_ffmpeg(lines)}); the file is truncated or corrupt",
        )
    if count == 0 and first_frame is not None:
        yield from _read_frames(name, first_frame, shape, fps, duration)
    elif count == 0:
        raise MediaError(name, "no video frames could be decoded")


def _read_exactly(stream: IO[bytes], buffer: bytearray) -> int:
    """Fill ``buffer`` from a pipe (raw reads return whatever the pipe holds); bytes read."""
    view = memoryview(buffer)
    filled = 0
    while filled < len(buffer):
        # A subprocess pipe is a BufferedReader or FileIO, both with readinto; typing.IO
        # declares no readinto, hence the ignore.
        got = stream.readinto(view[filled:])  # type: ignore[attr-defined]
        if not got:
            break
        filled += got
    return filled


class _Ffmpeg:
    """An ffmpeg child whose stdout we read, whose stderr a thread drains, and which is always
    reaped: on normal exit, on an exception and when the consuming generator is closed early.

    Draining stderr in a thread matters: ffmpeg blocks once the stderr pipe buffer (64 KiB) is
    full, and we would block on stdout waiting for it, a deadlock on a noisy broken file.
    """

    def __init__(self, command: list[str], name: str):
        self._command = command
        self._name = name
        self._lines: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
        self.process: subprocess.Popen[bytes] | None = None
        self._drain: threading.Thread | None = None

    def __enter__(self) -> _Ffmpeg:
        self.process = subprocess.Popen(
            self._command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        return self

    @property
    def stdout(self) -> IO[bytes]:
        assert self.process is not None and self.process.stdout is not None
        return self.process.stdout

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for raw in self.process.stderr:
            self._lines.append(raw.decode("utf-8", errors="backslashreplace"))

    def finish(self) -> tuple[int, list[str]]:
        """Wait for a normal exit; the return code and ffmpeg's cleaned-up error lines."""
        assert self.process is not None
        returncode = self.process.wait()
        self._join()
        return returncode, stderr_lines("".join(self._lines), self._name)

    def _join(self) -> None:
        if self._drain is not None:
            self._drain.join(timeout=_EXIT_GRACE_S)

    def __exit__(self, *exc_info: object) -> None:
        process = self.process
        if process is None:
            return
        # Closing our end first makes a still-writing ffmpeg fail with EPIPE and exit.
        with contextlib.suppress(OSError):
            self.stdout.close()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=_EXIT_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._join()
        if process.stderr is not None:
            process.stderr.close()


# --- audio ------------------------------------------------------------------------------------


def _run_audio_decode(
    name: str, sample_rate: int, max_seconds: float | None
) -> tuple[bytes, list[str]]:
    limit = ["-t", f"{max_seconds:.6f}"] if max_seconds is not None else []
    command = [
        find_tool("ffmpeg", name),
        "-nostdin", "-hide_banner", "-v", "error",
        *input_arguments(name),
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        *limit,
        "-ac", "1", "-ar", str(sample_rate),
        "-f", "f32le", "-acodec", "pcm_f32le", "pipe:1",
    ]  # fmt: skip
    completed = run_tool(command, name, AUDIO_TIMEOUT_S, "audio decoding did not finish")
    lines = stderr_lines(completed.stderr.decode("utf-8", errors="backslashreplace"), name)
    if completed.returncode != 0:
        raise MediaError(name, f"audio decoding failed (ffmpeg: {quote_ffmpeg(lines)})")
    return completed.stdout, lines
