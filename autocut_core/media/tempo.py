"""Speak a voice line faster or slower without changing its pitch (ffmpeg ``atempo``).

A target length (:mod:`autocut_core.editing.target`) may need the voice a little faster;
re-synthesising would need every voice engine to take a rate, while ``atempo`` works on
any WAV. The result is a new WAV beside the old one, written atomically.
"""

from __future__ import annotations

import os
import wave
from pathlib import Path

from autocut_core.fsutil import atomic_path
from autocut_core.media.errors import MediaError
from autocut_core.media.probe import (
    find_tool,
    input_arguments,
    quote_ffmpeg,
    run_tool,
    stderr_lines,
)

#: atempo's own range per filter instance; the editing layer keeps to far less.
_ATEMPO_MIN, _ATEMPO_MAX = 0.5, 2.0
_TIMEOUT_S = 120.0


def retime_wav(path: str | os.PathLike[str], rate: float, target: Path) -> float:
    """Write ``path`` spoken ``rate`` times as fast to ``target``; returns its seconds."""
    name = os.fsdecode(path)
    if not _ATEMPO_MIN <= rate <= _ATEMPO_MAX:
        raise ValueError(f"voice rate must be {_ATEMPO_MIN}-{_ATEMPO_MAX}, got {rate}")
    with atomic_path(target) as partial:
        command = [
            find_tool("ffmpeg", name), "-nostdin", "-hide_banner", "-v", "error", "-y",
            *input_arguments(name), "-vn", "-af", f"atempo={rate:.6f}",
            "-c:a", "pcm_s16le", "-f", "wav", "file:" + str(partial),
        ]  # fmt: skip
        completed = run_tool(command, name, _TIMEOUT_S, "changing the voice's rate did not finish")
        if completed.returncode != 0:
            lines = stderr_lines(completed.stderr.decode("utf-8", errors="replace"), name)
            raise MediaError(
                name, f"changing the voice's rate failed (ffmpeg: {quote_ffmpeg(lines)})"
            )
    return wav_seconds(target)


def wav_seconds(path: str | os.PathLike[str]) -> float:
    """Length of a PCM WAV file from its header."""
    try:
        with wave.open(os.fspath(path), "rb") as handle:
            return handle.getnframes() / float(handle.getframerate())
    except (OSError, wave.Error, EOFError) as error:
        raise MediaError(os.fspath(path), f"not a readable WAV file ({error})") from None
