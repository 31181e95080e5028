"""Synthetic media with known facts, for tests, benchmarks and the demo.

Real footage is large, licensed and has no ground truth; these files are small, free and say
exactly what is in them. :func:`make_scene_video` concatenates shots from ffmpeg's generators,
so the cut times are known to the frame; :func:`make_music` writes tracks whose character
(tempo, pitch, noise) differs audibly and measurably; :func:`make_corrupt_files` writes every
kind of broken input the media layer must turn into a clean one-line error.

Everything is deterministic: the same arguments and the same ffmpeg build give the same bytes
(``-fflags +bitexact``, fixed generator seeds, no timestamps or encoder versions in the files),
so a benchmark run twice decodes identical pixels.

Each file is built with one ffmpeg command from argument lists (no shell). The only exception
is rotation: ffmpeg 5.1 drops a ``rotate`` tag while encoding, so a rotated video is encoded
first and then re-muxed with stream copy (no re-encode) to add the display matrix.

Odd sizes: H.264 in 4:2:0 needs even sides, so ``libx264`` encodes 4:2:0 when both sides are
even (what players expect) and 4:4:4 (High 4:4:4 profile, any size) when one is odd, such as
317x239. ``mpeg4`` and other codecs get 4:2:0 and must be given even sizes.
"""

from __future__ import annotations

import contextlib
import glob
import os
import random
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

#: Shot generators for :class:`Scene`: lavfi source chains with ``{size}``/``{rate}`` slots.
#: Each has its own palette and layout (so a colour-histogram encoder tells them apart) and
#: moves within the shot (so a shot is never a still frame) by scrolling, zooming or evolving,
#: never by turning: a rotating edge changes an edge-orientation histogram as much as a cut.
#: With the ``histogram`` encoder at 10 fps, consecutive frames of one shot stay above 0.96
#: cosine similarity and the mean vectors of two different sources below 0.75.
SCENE_SOURCES: tuple[str, ...] = (
    # colourful moving test card on grey
    "testsrc2=size={size}:rate={rate}",
    # SMPTE colour bars scrolling sideways
    "smptebars=size={size}:rate={rate},scroll=horizontal=0.01",
    # deep blue with a yellow square gliding across (and round again)
    "color=c=0x1040a0:size={size}:rate={rate},"
    "drawbox=x='iw/2-iw/8':y='ih/2-ih/8':w='iw/4':h='ih/4':color=yellow:t=fill,"
    "scroll=horizontal=0.008",
    # Mandelbrot zoom: saturated colours on black
    "mandelbrot=size={size}:rate={rate}:maxiter=200:start_scale=3:end_scale=0.3",
    # Game of Life: bright green cells, mouldering dark green, on near black
    "life=size={size}:rate={rate}:seed=42:ratio=0.3:mold=10"
    ":life_color=0x40ff40:death_color=0x101010:mold_color=0x206020",
    # rule-110 automaton scrolling, cyan on black
    "cellauto=size={size}:rate={rate}:rule=110:random_fill_ratio=0.5:random_seed=7,lutrgb=r=0",
    # green to cream gradient, slowly rotating
    "gradients=size={size}:rate={rate}:c0=0x00a050:c1=0xf0f0a0:nb_colors=2:seed=3:speed=0.03",
    # orange with moving film grain
    "color=c=0xd05010:size={size}:rate={rate},noise=alls=30:allf=t+u",
    # red, green and blue bands scrolling upwards
    "rgbtestsrc=size={size}:rate={rate},scroll=vertical=0.01",
    # magenta on white: a Sierpinski carpet that shifts
    "sierpinski=size={size}:rate={rate}:seed=5:jump=3,"
    "colorchannelmixer=rr=1:rg=0:rb=0:gr=0:gg=0.2:gb=0:br=0:bg=0:bb=1",
)

#: Tone of each shot's audio, cycling; distinct pitches make scene changes audible.
_SCENE_TONES_HZ = (220.0, 277.2, 329.6, 392.0, 440.0, 523.3, 659.3, 784.0)
_AUDIO_RATE = 48000


@dataclass(frozen=True)
class Scene:
    """One shot: how long it lasts and which lavfi source draws it.

    ``source`` is usually one of :data:`SCENE_SOURCES` or :func:`solid_color`; any lavfi source
    chain works, with ``{size}``, ``{rate}``, ``{w}`` and ``{h}`` filled in if present. The
    duration is rounded to whole frames, so cuts fall exactly on frame boundaries.
    """

    duration: float
    source: str


@dataclass(frozen=True)
class SceneVideo:
    """A generated video and its ground truth: where each new shot starts."""

    path: Path
    cuts: tuple[float, ...]
    duration: float
    size: tuple[int, int] = (320, 240)
    fps: float = 25.0
    has_audio: bool = True
    rotation: int = 0
    variable_frame_rate: bool = False


@dataclass(frozen=True)
class MusicSample:
    """A generated music track and the character it was made with."""

    path: Path
    character: str
    bpm: float
    duration: float
    sample_rate: int


def solid_color(color: str) -> str:
    """A scene source of one flat colour (``"red"``, ``"0x20c040"``): exact pixels for tests."""
    return f"color=c={color}:size={{size}}:rate={{rate}}"


def scenes_for(durations: Sequence[float]) -> tuple[Scene, ...]:
    """One scene per duration, each from the next of :data:`SCENE_SOURCES` (cycling)."""
    return tuple(
        Scene(duration, SCENE_SOURCES[i % len(SCENE_SOURCES)])
        for i, duration in enumerate(durations)
    )


# --- scene videos -----------------------------------------------------------------------------


def make_scene_video(
    path: str | os.PathLike[str],
    scenes: Sequence[Scene],
    size: tuple[int, int] = (320, 240),
    fps: float = 25,
    audio: bool = True,
    codec: str = "libx264",
    rotation: int = 0,
    vfr: bool = False,
) -> SceneVideo:
    """Write the shots back to back into ``path`` (container from its suffix) with ffmpeg's
    ``concat`` filter; return the file with its exact cut times.

    ``size`` is the stored (coded) size; with ``rotation`` 90 or 270 (clockwise, as a phone
    records portrait) players and :func:`autocut_core.media.probe` show it as height x width.
    ``vfr`` drops frames in an irregular pattern (steps of one to three frame intervals, the
    first and last frame of each shot kept) and writes the remaining timestamps as they are, so
    the file is genuinely variable-rate while its cuts and duration stay the same. The audio is
    a distinct tone per shot, so cuts are audible too.
    """
    if not scenes:
        raise ValueError("make_scene_video needs at least one scene")
    if rotation % 90 or not 0 <= rotation < 360:
        raise ValueError(f"rotation must be 0, 90, 180 or 270, got {rotation}")
    target = Path(path)
    counts = [max(1, round(scene.duration * fps)) for scene in scenes]
    graph = _scene_graph(scenes, counts, size, fps, audio, vfr)
    command = [
        _ffmpeg(), "-nostdin", "-hide_banner", "-v", "error", "-y",
        "-filter_complex", graph,
        "-map", "[v]", *(["-map", "[a]"] if audio else []),
        *_video_codec_args(codec, size),
        *(_audio_codec_args(target.suffix) if audio else []),
        "-fps_mode", "passthrough" if vfr else "cfr",
        *_deterministic_args(),
        *(["-movflags", "+faststart"] if target.suffix.lower() in (".mp4", ".mov", ".m4v") else []),
    ]  # fmt: skip
    with _partial(target) as partial:
        _run([*command, str(partial)])
        if rotation:
            _set_rotation(partial, rotation)
    starts = [sum(counts[:i]) / fps for i in range(1, len(counts))]
    return SceneVideo(
        path=target,
        cuts=tuple(starts),
        duration=sum(counts) / fps,
        size=size,
        fps=float(fps),
        has_audio=audio,
        rotation=rotation,
        variable_frame_rate=vfr,
    )


def _scene_graph(
    scenes: Sequence[Scene],
    counts: Sequence[int],
    size: tuple[int, int],
    fps: float,
    audio: bool,
    vfr: bool,
) -> str:
    width, height = size
    slots = {"size": f"{width}x{height}", "rate": f"{fps:g}", "w": width, "h": height}
    chains, labels = [], []
    for i, (scene, frames) in enumerate(zip(scenes, counts, strict=True)):
        source = scene.source.format(**slots)
        # Normalise every generator to one size, rate and pixel shape, then cut it to whole
        # frames; the concat filter needs identical streams.
        video = (
            f"{source},fps={fps:g},scale={width}:{height},setsar=1,"
            f"trim=end_frame={frames},setpts=PTS-STARTPTS"
        )
        chains.append(f"{video}[v{i}]")
        labels.append(f"[v{i}]")
        if audio:
            samples = round(frames / fps * _AUDIO_RATE)
            tone = _SCENE_TONES_HZ[i % len(_SCENE_TONES_HZ)]
            chains.append(
                f"sine=frequency={tone}:sample_rate={_AUDIO_RATE},volume=0.3,"
                f"atrim=end_sample={samples},asetpts=PTS-STARTPTS[a{i}]"
            )
            labels.append(f"[a{i}]")
    joined = "[c]" if vfr else "[v]"
    outputs = joined + ("[a]" if audio else "")
    chains.append(f"{''.join(labels)}concat=n={len(scenes)}:v=1:a={int(audio)}{outputs}")
    if vfr:
        # After the concat, not per shot: concat times a shot by its last frame's duration,
        # which dropping frames would change, shifting every later cut.
        chains.append(f"[c]{_vfr_select(counts)}[v]")
    return ";".join(chains)


def _vfr_select(counts: Sequence[int]) -> str:
    """A ``select`` that keeps 6 of each 10 frames in the irregular order 0,2,3,5,6,9 (steps
    of 1, 2 and 3 frame intervals) and always each shot's first and last frame."""
    keep = ["lt(mod(n*7,10),6)"]
    start = 0
    for frames in counts:
        keep += [f"eq(n,{start})", f"eq(n,{start + frames - 1})"]
        start += frames
    return f"select='{'+'.join(keep)}'"


def _video_codec_args(codec: str, size: tuple[int, int]) -> list[str]:
    if codec == "libx264":
        even = size[0] % 2 == 0 and size[1] % 2 == 0
        pix_fmt = "yuv420p" if even else "yuv444p"
        # A short GOP keeps truncated copies decodable up to the cut and seeks cheap.
        return ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "25",
                "-pix_fmt", pix_fmt]  # fmt: skip
    return ["-c:v", codec, "-q:v", "4", "-pix_fmt", "yuv420p"]


def _audio_codec_args(suffix: str) -> list[str]:
    codec = {
        ".ogg": "libvorbis", ".oga": "libvorbis", ".ogv": "libvorbis",
        ".mp3": "libmp3lame", ".avi": "libmp3lame",
        ".webm": "libopus", ".opus": "libopus",
        ".wav": "pcm_s16le", ".flac": "flac",
    }.get(suffix.lower(), "aac")  # fmt: skip
    return ["-c:a", codec, *(["-b:a", "128k"] if codec in ("aac", "libmp3lame") else [])]


def _deterministic_args() -> list[str]:
    """No creation time, encoder version or random stream serial: same input, same bytes."""
    return ["-map_metadata", "-1", "-fflags", "+bitexact",
            "-flags:v", "+bitexact", "-flags:a", "+bitexact"]  # fmt: skip


def _set_rotation(path: Path, rotation: int) -> None:
    """Add a display matrix by stream copy, and check what a reader will see.

    The sign convention of ``-metadata:s:v rotate`` changed between ffmpeg releases (5.1
    stores the value counter-clockwise), so the result is probed and, if it reads the other
    way, written again with the opposite angle.
    """
    from autocut_core.media.probe import probe

    for tag in (rotation, (360 - rotation) % 360):
        rotated = path.with_name(f".{path.stem}.rotated{path.suffix}")
        try:
            _run([
                _ffmpeg(), "-nostdin", "-hide_banner", "-v", "error", "-y", "-i", str(path),
                "-map", "0", "-c", "copy", "-metadata:s:v:0", f"rotate={tag}",
                *_deterministic_args(), str(rotated),
            ])  # fmt: skip
            if probe(rotated).rotation == rotation:
                os.replace(rotated, path)
                return
        finally:
            rotated.unlink(missing_ok=True)
    raise RuntimeError(f"this ffmpeg cannot write a {rotation} degree rotation into {path.name}")


# --- music ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MusicCharacter:
    """How one kind of generated music sounds: tempo, an aevalsrc expression of ``t`` and any
    filters after it."""

    bpm: float
    expression: str
    filters: str = ""


#: The characters :func:`make_music` can write. They differ in tempo (the beat period shows in
#: the loudness envelope), pitch (spectral centroid) and noise, so an audio encoder, and a
#: listener, can tell them apart.
MUSIC_CHARACTERS: dict[str, MusicCharacter] = {
    # slow and soft: an A-minor chord swelling at 70 bpm, no percussion
    "calm": MusicCharacter(
        70.0,
        "0.25*(sin(2*PI*220*t)+0.7*sin(2*PI*261.63*t)+0.5*sin(2*PI*329.63*t))"
        "*(0.55+0.45*sin(2*PI*70/60*t))",
    ),
    # fast and busy: kick on every beat, noise hi-hat on the off-beat, an arpeggio, 128 bpm
    "energetic": MusicCharacter(
        128.0,
        "0.55*sin(2*PI*55*t)*exp(-18*mod(t,60/128))"
        "+0.25*(2*random(0)-1)*exp(-70*mod(t+30/128,60/128))"
        "+0.18*sin(2*PI*440*pow(2,floor(mod(t*128/30,4))*4/12)*t)",
    ),
    # low: a drone pulsing at 60 bpm over a rumble of low-passed noise
    "dark": MusicCharacter(
        60.0,
        "0.35*sin(2*PI*55*t)+0.25*sin(2*PI*82.4*t)*(0.6+0.4*sin(2*PI*t))+0.2*(2*random(0)-1)",
        "lowpass=f=300,lowpass=f=300",
    ),
    # high: bell-like plucks over a major arpeggio at 110 bpm
    "bright": MusicCharacter(
        110.0,
        "0.4*sin(2*PI*880*pow(2,floor(mod(t*110/60,3))*4/12)*t)*exp(-6*mod(t,60/110))"
        "+0.1*sin(2*PI*1318.5*t)",
    ),
}


def make_music(
    path: str | os.PathLike[str],
    seconds: float,
    character: str = "calm",
    sample_rate: int = 44100,
) -> MusicSample:
    """Write a stereo music track of one :data:`MUSIC_CHARACTERS` character.

    The codec follows the suffix: ``.ogg`` Vorbis, ``.mp3`` MP3, ``.m4a``/``.aac`` AAC,
    ``.flac``, ``.wav`` (all present in Debian's ffmpeg).
    """
    if character not in MUSIC_CHARACTERS:
        raise ValueError(
            f"unknown music character {character!r}; choose one of {', '.join(MUSIC_CHARACTERS)}"
        )
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    sound = MUSIC_CHARACTERS[character]
    target = write_sound(Path(path), sound, seconds, sample_rate)
    return MusicSample(target, character, sound.bpm, float(seconds), sample_rate)


def write_sound(target: Path, sound: MusicCharacter, seconds: float, sample_rate: int) -> Path:
    """Render ``sound`` as a stereo file faded in and out, atomically; codec from the suffix."""
    source = f"aevalsrc=exprs='{sound.expression}':sample_rate={sample_rate}:duration={seconds:g}"
    fade_out = min(0.5, seconds / 4)
    filters = [
        *([sound.filters] if sound.filters else []),
        f"afade=t=in:d={min(0.05, seconds / 4):g}",
        f"afade=t=out:st={seconds - fade_out:g}:d={fade_out:g}",
    ]
    command = [
        _ffmpeg(), "-nostdin", "-hide_banner", "-v", "error", "-y",
        "-f", "lavfi", "-i", source,
        "-af", ",".join(filters),
        "-ac", "2", "-ar", str(sample_rate),
        *_audio_codec_args(target.suffix), *_deterministic_args(),
    ]  # fmt: skip
    with _partial(target) as partial:
        _run([*command, str(partial)])
    return target


# --- broken inputs ----------------------------------------------------------------------------

#: The bytes name of the non-UTF-8 file (Latin-1 "café"), as old cameras and Windows shares write.
NON_UTF8_NAME = b"caf\xe9.mp4"


def make_corrupt_files(folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Write one file per way media input goes wrong; returns name -> path.

    ``valid`` (a good 3 s video to compare with), ``truncated`` (its first 30 %: the index is at
    the front, so it opens but ends early), ``truncated_index`` (the first 30 % of a copy with
    the index at the end: it cannot be opened), ``random_bytes``, ``empty`` (0 bytes),
    ``zero_duration`` (a valid MP4 without frames), ``audio_only`` (``.m4a``), ``still_image``
    (a PNG named ``.mp4``), ``text`` (a text file named ``.mp4``), ``directory`` (a folder named ``.mp4``), ``non_utf8_name`` (a valid
    copy named ``b"caf\\xe9.mp4"``; left out where the file system refuses such names) and
    ``symlink_loop`` (``loop_a.mp4 -> loop_b.mp4 -> loop_a.mp4``).
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    valid = make_scene_video(root / "valid.mp4", scenes_for([1.5, 1.5]), size=(160, 120)).path
    files["valid"] = valid
    data = valid.read_bytes()
    files["truncated"] = _write(root / "truncated.mp4", data[: int(len(data) * 0.3)])
    files["truncated_index"] = _truncated_without_index(valid, root / "truncated_index.mp4")
    noise = random.Random(1234).randbytes(64 * 1024)
    files["random_bytes"] = _write(root / "random_bytes.mp4", noise)
    files["empty"] = _write(root / "empty.mp4", b"")
    files["zero_duration"] = _zero_duration(root / "zero_duration.mp4")
    files["audio_only"] = make_music(root / "audio_only.m4a", 2.0).path
    files["still_image"] = _still_image(root / "still_image.mp4")
    text = "This is not a video.\nIt is a text file that somebody named .mp4.\n"
    files["text"] = _write(root / "text.mp4", text.encode())
    directory = root / "directory.mp4"
    directory.mkdir(exist_ok=True)
    files["directory"] = directory
    non_utf8 = _write_bytes_name(root, NON_UTF8_NAME, data)
    if non_utf8 is not None:
        files["non_utf8_name"] = non_utf8
    files["symlink_loop"] = _symlink_loop(root / "loop_a.mp4", root / "loop_b.mp4")
    return files


def _truncated_without_index(valid: Path, target: Path) -> Path:
    moov_last = target.with_name(".moov_last.mp4")
    # Stream copy without +faststart leaves the index (moov) after the media data.
    _run([_ffmpeg(), "-nostdin", "-v", "error", "-y", "-i", str(valid), "-map", "0",
          "-c", "copy", *_deterministic_args(), str(moov_last)])  # fmt: skip
    data = moov_last.read_bytes()
    moov_last.unlink()
    return _write(target, data[: int(len(data) * 0.3)])


def _zero_duration(target: Path) -> Path:
    _run([_ffmpeg(), "-nostdin", "-v", "error", "-y", "-f", "lavfi",
          "-i", "testsrc2=size=160x120:rate=25", "-frames:v", "0", "-c:v", "libx264",
          *_deterministic_args(), str(target)])  # fmt: skip
    return target


def _still_image(target: Path) -> Path:
    _run([_ffmpeg(), "-nostdin", "-v", "error", "-y", "-f", "lavfi",
          "-i", "testsrc2=size=160x120", "-frames:v", "1", "-f", "image2", "-c:v", "png",
          *_deterministic_args(), str(target)])  # fmt: skip
    return target


def _write_bytes_name(root: Path, name: bytes, data: bytes) -> Path | None:
    raw = os.path.join(os.fsencode(root), name)
    try:
        handle = os.open(raw, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except OSError:  # e.g. EILSEQ on file systems that insist on UTF-8 names
        return None
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return Path(os.fsdecode(raw))


def _symlink_loop(first: Path, second: Path) -> Path:
    for link, target in ((first, second), (second, first)):
        if link.is_symlink():
            link.unlink()
        link.symlink_to(target.name)
    return first


def _write(target: Path, data: bytes) -> Path:
    target.write_bytes(data)
    return target


# --- real recorded media (Debian packages) ----------------------------------------------------

_REAL_VIDEO_GLOBS = ("/usr/share/doc/opencv-doc/examples/data/*.avi",)
_REAL_MUSIC_GLOBS = (
    "/usr/share/hyperrogue/music/*.ogg",
    "/usr/share/games/hyperrogue/music/*.ogg",
)


def real_sample_videos() -> list[Path]:
    """Recorded videos from ``opencv-doc`` (vtest.avi, tree.avi, Megamind.avi), or ``[]``.

    ``Megamind_bugy.avi`` is left out: it is damaged on purpose.
    """
    return [p for p in _find(_REAL_VIDEO_GLOBS) if "bugy" not in p.name]


def real_sample_music() -> list[Path]:
    """Ogg Vorbis tracks from ``hyperrogue-music``, or ``[]`` if it is not installed."""
    return _find(_REAL_MUSIC_GLOBS)


def _find(patterns: Sequence[str]) -> list[Path]:
    return sorted(Path(p) for pattern in patterns for p in glob.glob(pattern))


def __getattr__(name: str) -> list[Path]:
    """``REAL_SAMPLE_VIDEOS`` and ``REAL_SAMPLE_MUSIC``, looked up on first use (no disk
    access at import time)."""
    if name == "REAL_SAMPLE_VIDEOS":
        return real_sample_videos()
    if name == "REAL_SAMPLE_MUSIC":
        return real_sample_music()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- running ffmpeg ---------------------------------------------------------------------------


def _ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if found is None:
        raise RuntimeError("ffmpeg is needed to make sample media: apt-get install ffmpeg")
    return found


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, check=False)
    if completed.returncode != 0:
        lines = completed.stderr.decode("utf-8", errors="backslashreplace").strip().splitlines()
        last = lines[-1] if lines else f"exit status {completed.returncode}"
        raise RuntimeError(f"ffmpeg failed making sample media: {last}")


@contextlib.contextmanager
def _partial(target: Path) -> Iterator[Path]:
    """A hidden name beside ``target`` with the same suffix (ffmpeg picks the container from
    it), renamed into place only when the file is complete. The stem is cut short so a
    target named near the 255-byte limit (a hostile-name test's) still has one."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem[:100]}.partial{target.suffix}")
    try:
        yield partial
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
