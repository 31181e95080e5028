"""Which H.264 encoder renders the picture: a hardware one that works here, else libx264.

ffmpeg lists every encoder it was built with (Debian's lists NVENC, QSV and VAAPI on machines
without any of that hardware), so a listed encoder proves nothing. :func:`probe_encoder` runs
a tiny test encode (five grey 256x256 frames to the null muxer; about 50 ms when it fails)
and the answer is remembered for the life of the process.

``video_encoder`` in :class:`~autocut_core.types.RenderSettings`:

- ``auto``: the first hardware encoder of :data:`HARDWARE_PRIORITY` whose test encode
  succeeds, else ``libx264`` (a fallback, never an error);
- ``libx264``: always the software encoder;
- a name from :data:`ENCODERS` (``h264_nvenc``, ...): that encoder, or an error quoting its
  failed test encode. Naming one explicitly never falls back silently;
- any other name: an error listing the known ones.
"""

from __future__ import annotations

import functools
import glob
import logging
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from autocut_plugins.ffmpeg_render.ffmpeg import RenderError, ffmpeg_program, listed, log_lines

from autocut_core.errors import InputError

log = logging.getLogger(__name__)

#: x264's presets, fastest first; other encoders get the nearest preset of their own.
X264_PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow", "placebo",
)  # fmt: skip


@dataclass(frozen=True)
class VideoEncoder:
    """An H.264 encoder and how to drive it from ``crf`` and ``preset``."""

    name: str
    hardware: bool
    #: (crf, x264 preset) -> the encoder's quality and speed options.
    quality: Callable[[int, str], list[str]]
    #: Options before the inputs (a device to open).
    global_args: tuple[str, ...] = ()
    #: Filters appended to the picture's chain (uploading frames to the device).
    upload: str = ""
    pix_fmt: str = "yuv420p"

    def output_args(self, crf: int, preset: str) -> list[str]:
        pix_fmt = ["-pix_fmt", self.pix_fmt] if not self.upload else []
        return ["-c:v", self.name, *pix_fmt, *self.quality(crf, preset)]


def _x264(crf: int, preset: str) -> list[str]:
    return ["-preset", preset, "-crf", str(crf), "-profile:v", "high"]


def _nvenc(crf: int, preset: str) -> list[str]:
    speed = ("p1", "p2", "p3", "p4", "p4", "p5", "p6", "p7", "p7", "p7")[_preset_rank(preset)]
    return ["-preset", speed, "-rc", "vbr", "-cq", str(crf), "-b:v", "0", "-profile:v", "high"]


def _qsv(crf: int, preset: str) -> list[str]:
    speed = X264_PRESETS[min(max(_preset_rank(preset), 2), 8)]  # qsv knows veryfast..veryslow
    return ["-preset", speed, "-global_quality", str(crf), "-profile:v", "high"]


def _vaapi(crf: int, preset: str) -> list[str]:
    return ["-rc_mode", "CQP", "-qp", str(crf), "-profile:v", "high"]


def _videotoolbox(crf: int, preset: str) -> list[str]:
    # -q:v runs 1..100, higher is better; crf 20 maps to 60.
    return ["-q:v", str(max(1, min(100, 100 - 2 * crf))), "-profile:v", "high"]


def _amf(crf: int, preset: str) -> list[str]:
    quality = "speed" if _preset_rank(preset) <= 3 else "balanced"
    qp = str(crf)
    return ["-quality", quality, "-rc", "cqp", "-qp_i", qp, "-qp_p", qp, "-qp_b", qp]


def _preset_rank(preset: str) -> int:
    return X264_PRESETS.index(preset) if preset in X264_PRESETS else X264_PRESETS.index("medium")


def _vaapi_device() -> str:
    devices = sorted(glob.glob("/dev/dri/renderD*"))
    return devices[0] if devices else "/dev/dri/renderD128"


SOFTWARE = VideoEncoder("libx264", hardware=False, quality=_x264)

#: Every encoder ``video_encoder`` may name.
ENCODERS: dict[str, VideoEncoder] = {
    encoder.name: encoder
    for encoder in (
        SOFTWARE,
        VideoEncoder("h264_nvenc", hardware=True, quality=_nvenc),
        VideoEncoder("h264_qsv", hardware=True, quality=_qsv, pix_fmt="nv12"),
        VideoEncoder(
            "h264_vaapi",
            hardware=True,
            quality=_vaapi,
            global_args=("-vaapi_device", _vaapi_device()),
            upload="format=nv12,hwupload",
        ),
        VideoEncoder("h264_videotoolbox", hardware=True, quality=_videotoolbox),
        VideoEncoder("h264_amf", hardware=True, quality=_amf),
    )
}
#: The order ``auto`` tries hardware encoders in.
HARDWARE_PRIORITY = ("h264_nvenc", "h264_qsv", "h264_videotoolbox", "h264_amf", "h264_vaapi")


@dataclass(frozen=True)
class EncoderProbe:
    """Whether an encoder produced frames here, and ffmpeg's words when it did not."""

    name: str
    works: bool
    reason: str = ""


@functools.cache
def probe_encoder(name: str) -> EncoderProbe:
    """Encode five small frames with ``name``; the result is cached for the process."""
    encoder = ENCODERS[name]
    if name not in listed("encoders"):
        return EncoderProbe(name, False, "this ffmpeg build does not include it")
    chain = "format=yuv420p" + (f",{encoder.upload}" if encoder.upload else "")
    command = [
        ffmpeg_program(), "-nostdin", "-hide_banner", "-v", "error",
        *encoder.global_args,
        "-f", "lavfi", "-i", "color=c=gray:size=256x256:rate=30",
        "-frames:v", "5", "-vf", chain, *encoder.output_args(23, "veryfast"),
        "-f", "null", "-",
    ]  # fmt: skip
    try:
        completed = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, timeout=30, check=False
        )
    except subprocess.TimeoutExpired:
        return EncoderProbe(name, False, "the test encode did not finish within 30 s")
    if completed.returncode != 0:
        reason = "; ".join(log_lines(completed.stderr)[:2]) or "the test encode failed"
        return EncoderProbe(name, False, reason)
    return EncoderProbe(name, True)


def select_encoder(requested: str) -> VideoEncoder:
    """The encoder ``video_encoder = requested`` means on this machine (see module docs)."""
    if requested == "auto":
        for name in HARDWARE_PRIORITY:
            if name in listed("encoders") and probe_encoder(name).works:
                log.info("video encoder: %s (hardware)", name)
                return ENCODERS[name]
        return _software()
    if requested not in ENCODERS:
        raise InputError(
            f"unknown video_encoder {requested!r}: choose auto or one of {', '.join(ENCODERS)}"
        )
    if requested == SOFTWARE.name:
        return _software()
    result = probe_encoder(requested)
    if not result.works:
        raise RenderError(
            f"video_encoder {requested!r} does not work on this machine ({result.reason}); "
            "use video_encoder='auto' (falls back to libx264) or 'libx264'"
        )
    return ENCODERS[requested]


def _software() -> VideoEncoder:
    if "libx264" not in listed("encoders"):
        raise RenderError(
            "this ffmpeg has no libx264 encoder: install a build with libx264 (Debian's has it)"
        )
    return SOFTWARE


def describe_auto() -> str:
    """What ``auto`` picks here and why, for `autocut doctor`."""
    tried = []
    for name in HARDWARE_PRIORITY:
        if name not in listed("encoders"):
            continue
        result = probe_encoder(name)
        if result.works:
            return f"auto -> {name} (hardware)"
        tried.append(name)
    suffix = f"; listed but not working here: {', '.join(tried)}" if tried else ""
    return f"auto -> libx264 (software){suffix}"
