"""The media layer: probe files with ffprobe, decode frames and audio with ffmpeg.

Everything here runs ffmpeg and ffprobe as programs (argument lists, never a shell) and imports
NumPy only when frames or samples are produced, so importing this package stays cheap.
Every unusable file becomes a :class:`MediaError` with a one-line reason.
"""

from __future__ import annotations

from autocut_core.media.decode import decode_audio, iter_frames, sample_every
from autocut_core.media.errors import MediaError, display_path
from autocut_core.media.frame_grab import frame_jpeg
from autocut_core.media.probe import ProbeResult, check_video, input_arguments, probe

__all__ = [
    "MediaError",
    "ProbeResult",
    "check_video",
    "decode_audio",
    "display_path",
    "frame_jpeg",
    "input_arguments",
    "iter_frames",
    "probe",
    "sample_every",
]
