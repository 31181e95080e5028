"""Encoder throughput against decoding (the baseline): what each encoder costs per frame.

`autocut index` decodes every video once at 10 fps into frames of at most 256 px, runs the cut
encoder (histogram) on every frame and the main encoder on one frame a second. Whether an
encoder or ffmpeg bounds indexing is the ratio of their per-frame costs, so each image encoder
is timed on frames decoded from a real recording (opencv-doc's vtest.avi) exactly as indexing
decodes them, at the encoder's own batch size, next to decode-only frames/s on the same file.
Audio encoders are timed in seconds of audio per second on a real track (hyperrogue-music, or
a generated one), next to decoding that track; text encoders in sentences per second.

Every encoder runs in a fresh process: its start-up (model load, first batch) and its memory
are its own. Torch (when installed) is imported before the memory baseline in every process,
so the memory columns are what the encoder adds to a process that already has the runtime.
Encoders registered by example options are timed with them (random weights where the model
needs a download); where those options shrink the model for tests, the production-size model
(random weights: the same arithmetic) is timed too. Prints tables; no thresholds.
"""

from __future__ import annotations

import contextlib
import math
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    fmt,
    machine_line,
    markdown_table,
    note,
    peak_rss_mib,
    reset_peak_rss,
    rss_mib,
    run_isolated,
)

VIDEO = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
#: Seconds of timed encoding per encoder (after a warm-up batch): enough for steady numbers.
TARGET_SECONDS = 5.0
#: ...split into this many windows, the best kept (see _timed_loop).
WINDOWS = 5
#: Decode passes over the video; the fastest is the baseline.
DECODE_REPEATS = 3
SENTENCES = 512
#: Options that give the production-size model, for encoders whose example options shrink it.
PRODUCTION_SIZE: dict[str, dict[str, Any]] = {
    "resnet50": {"random_init": True},
    "clip": {"random_init": True},
    "clip-text": {"random_init": True},
}
#: Cut-encoder frames per main-encoder frame in `autocut index` (dense 10 fps vs 1 fps).
DENSE_PER_SECOND = 10


@dataclass
class Measured:
    """One encoder's numbers; ``error`` instead when it could not run."""

    label: str
    name: str
    modality: str = ""
    batch: int = 0
    dim: int = 0
    startup_s: float = 0.0
    per_second: float = 0.0  # frames, seconds of audio or sentences per second
    decode_per_second: float = 0.0  # audio only: decoding the same track
    model_mib: float = 0.0
    peak_mib: float = 0.0
    error: str = ""


# --- inputs ---------------------------------------------------------------------------------


def index_frame_options() -> tuple[float, int]:
    """The dense fps and frame size `autocut index` decodes at (its defaults)."""
    from autocut_core.materials.indexing import IndexOptions

    options = IndexOptions()
    return options.dense_fps, options.max_side


def decode_frames(path: Path) -> list[Any]:
    """Frames as indexing gets them: ffmpeg pipe, 10 fps, longer side 256 px, RGB uint8."""
    from autocut_core.media import iter_frames

    fps, max_side = index_frame_options()
    return [frame for _, frame in iter_frames(path, fps=fps, max_side=max_side)]


def run_decode(path: Path) -> dict[str, Any]:
    """Decode-only speeds on ``path``: through AutoCut's reader and ffmpeg alone to /dev/null."""
    fps, max_side = index_frame_options()
    from autocut_core.media import probe
    from autocut_core.media.decode import scaled_size

    facts = probe(path)
    reader_s = math.inf
    for _ in range(DECODE_REPEATS):
        started = time.perf_counter()
        frames = len(decode_frames(path))
        reader_s = min(reader_s, time.perf_counter() - started)
    width, height = scaled_size(facts.width, facts.height, max_side)
    command = [
        "ffmpeg", "-nostdin", "-v", "error", "-i", str(path),
        "-vf", f"fps={fps:g},scale={width}:{height}:flags=area,format=rgb24",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", "/dev/null",
    ]  # fmt: skip
    cli_s = math.inf
    for _ in range(DECODE_REPEATS):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        cli_s = min(cli_s, time.perf_counter() - started)
    return {
        "source": f"{facts.width}x{facts.height} {facts.video_codec} at {facts.fps:g} fps",
        "frames": frames,
        "width": width,
        "height": height,
        "seconds": facts.duration,
        "reader_fps": frames / reader_s,
        "cli_fps": frames / cli_s,
    }


def sentences(count: int = SENTENCES) -> list[str]:
    """Short ad-copy sentences, generated from a seeded RNG so every run encodes the same."""
    rng = random.Random(7)
    things = ["running shoes", "espresso machine", "city bike", "face cream", "headphones",
              "family car", "winter jacket", "smart watch", "pizza oven"]  # fmt: skip
    claims = ["lasts all day", "is lighter than ever", "costs less than you think",
              "was made for the city", "comes in twelve colours", "sets up in one minute",
              "keeps you warm", "is built to last", "makes mornings easier"]  # fmt: skip
    openers = ["Meet the new", "Say hello to our", "This season, the", "Only today: the",
               "Discover why the", "Everyone is talking about the"]  # fmt: skip
    return [
        f"{rng.choice(openers)} {rng.choice(things)} that {rng.choice(claims)}."
        for _ in range(count)
    ]


def music_track(folder: Path) -> tuple[Path, str]:
    """The first hyperrogue track that decodes, or a generated 60 s one; with a description."""
    from autocut_core.media import MediaError, probe
    from autocut_core.testing.samples import make_music, real_sample_music

    for track in real_sample_music():
        try:
            facts = probe(track)
        except MediaError:  # some Debian hyperrogue-music files are damaged
            continue
        if facts.has_audio:
            return track, f"{track.name} ({facts.duration:.0f} s, recorded Ogg Vorbis)"
    generated = make_music(folder / "energetic.ogg", 60.0, "energetic")
    return generated.path, "a generated 60 s track (energetic)"


# --- one encoder per process ----------------------------------------------------------------


def _import_runtime() -> None:
    """Import torch if present, so no encoder's memory or start-up is charged for it."""
    with contextlib.suppress(ImportError):
        import torch  # noqa: F401


def _timed_loop(step: Callable[[int], float]) -> float:
    """Items per second of ``step(i)`` (which returns the items it did), best of its windows.

    Calls run for TARGET_SECONDS, grouped into windows of at least a fifth of that; the best
    window's rate is kept, as timeit keeps the fastest repeat: on a shared machine the slow
    windows measure the neighbours, not the encoder.
    """
    window_s = TARGET_SECONDS / WINDOWS
    best = 0.0
    i = 0
    started = time.perf_counter()
    while time.perf_counter() - started < TARGET_SECONDS:
        done, window_start = 0.0, time.perf_counter()
        while True:
            done += step(i)
            i += 1
            elapsed = time.perf_counter() - window_start
            if elapsed >= window_s:
                break
        best = max(best, done / elapsed)
    return best


def measure_encoder(label: str, name: str, options: dict[str, Any], inputs: Any) -> Measured:
    """Start ``name``, warm it up, time it on ``inputs``; run in a fresh process.

    ``inputs``: a video path (image encoders), an audio path (audio) or a list of sentences.
    """
    _import_runtime()
    from autocut_core.plugins import get_registry

    registry = get_registry()
    cls = registry.get("encoder", name).cls
    result = Measured(label, name, modality=cls.modality)
    items: Sequence[Any] = ()
    if cls.modality == "image":
        items = decode_frames(inputs)
    elif cls.modality == "text":
        items = inputs
    reset_peak_rss()
    before = rss_mib()
    started = time.perf_counter()
    encoder = registry.create("encoder", name, options)
    batch = encoder.batch_size
    result.batch, result.dim = batch, encoder.dim
    if cls.modality == "audio":
        from autocut_core.media import decode_audio

        assert encoder.sample_rate is not None
        rate = encoder.sample_rate
        encoder.encode([decode_audio(inputs, rate, max_seconds=5.0)])  # warm-up
        result.startup_s = time.perf_counter() - started
        result.model_mib = rss_mib() - before
        decode_started = time.perf_counter()
        samples = decode_audio(inputs, rate, max_seconds=600.0)
        seconds = samples.size / rate
        result.decode_per_second = seconds / (time.perf_counter() - decode_started)
        result.per_second = _timed_loop(lambda _: len(encoder.encode([samples])) * seconds)
    else:
        encoder.encode(items[:batch])  # warm-up: lazy loading, first-call allocations
        result.startup_s = time.perf_counter() - started
        result.model_mib = rss_mib() - before
        chunks = [items[i : i + batch] for i in range(0, len(items) - batch + 1, batch)]

        def step(i: int) -> int:
            chunk = chunks[i % len(chunks)]
            encoder.encode(chunk)
            return len(chunk)

        result.per_second = _timed_loop(step)
    result.peak_mib = peak_rss_mib() - before
    return result


def _safely(label: str, name: str, options: dict[str, Any], inputs: Any) -> Measured:
    try:
        return run_isolated(measure_encoder, label, name, options, inputs)
    except Exception as error:  # one broken encoder is a row that says so, not a crash
        return Measured(label, name, error=f"{type(error).__name__}: {error}".splitlines()[0])


def plan() -> list[tuple[str, str, dict[str, Any]]]:
    """(label, encoder, options) for every registered encoder, plus production sizes."""
    from autocut_core.plugins import get_registry

    registry = get_registry()
    rows = []
    for name in registry.names("encoder"):
        cls = registry.get("encoder", name).cls
        example = cls.example_options() if hasattr(cls, "example_options") else {}
        shown = ", ".join(f"{k}={v}" for k, v in example.items()) or "defaults"
        rows.append((f"{name} ({shown})", name, example))
        if name in PRODUCTION_SIZE:
            extra = PRODUCTION_SIZE[name]
            shown = ", ".join(f"{k}={v}" for k, v in extra.items())
            rows.append((f"{name} ({shown}: production size)", name, extra))
    return rows


# --- tables ---------------------------------------------------------------------------------


def _memory(m: Measured) -> list[str]:
    return [fmt(m.model_mib, 0), fmt(m.peak_mib, 0)]


def image_table(results: list[Measured], decode: dict[str, float]) -> str:
    """Image encoders next to decoding, with what indexing would sustain on such footage."""
    reader = decode["reader_fps"]
    histogram = next((m for m in results if m.name == "histogram" and not m.error), None)
    rows: list[list[str]] = [
        ["ffmpeg decode via iter_frames (baseline)", "—", "—", "—", fmt(reader, 1),
         fmt(1000 / reader, 2), "1.00", fmt(reader / DENSE_PER_SECOND, 1), "—", "—"],
        ["ffmpeg decode alone, CLI to /dev/null", "—", "—", "—", fmt(decode["cli_fps"], 1),
         fmt(1000 / decode["cli_fps"], 2), fmt(reader / decode["cli_fps"], 2), "—", "—", "—"],
    ]  # fmt: skip
    for m in results:
        if m.error:
            rows.append([m.label, *["—"] * 8, f"error: {m.error}"][:10])
            continue
        # Seconds of wall time per second of footage: 10 decoded + 10 cut-encoded frames, and
        # one main-encoder frame (none extra when the main encoder is the cut encoder).
        cost = DENSE_PER_SECOND / reader
        if histogram is not None:
            cost += DENSE_PER_SECOND / histogram.per_second
        if m.name != "histogram" or histogram is None:
            cost += 1 / m.per_second
        rows.append(
            [
                m.label,
                str(m.batch),
                str(m.dim),
                fmt(m.startup_s, 2),
                fmt(m.per_second, 1),
                fmt(1000 / m.per_second, 2),
                fmt(reader / m.per_second, 2),
                fmt(1 / cost, 1),
                *_memory(m),
            ]
        )
    headers = ["image encoder (options)", "batch", "dim", "start-up s", "frames/s", "ms/frame"]
    headers += ["cost vs decode", "index x realtime (est.)", "RSS +MiB loaded", "peak +MiB"]
    return markdown_table(headers, rows)


def audio_table(results: list[Measured]) -> str:
    """Audio encoders: seconds of audio per second, against decoding the track at their rate."""
    rows = []
    for m in results:
        if m.error:
            rows.append([m.label, "—", "—", "—", "—", "—", "—", f"error: {m.error}"])
            continue
        rows.append(
            [
                m.label,
                str(m.dim),
                fmt(m.startup_s, 2),
                fmt(m.decode_per_second, 0),
                fmt(m.per_second, 0),
                fmt(m.decode_per_second / m.per_second, 2),
                *_memory(m),
            ]
        )
    headers = ["audio encoder (options)", "dim", "start-up s", "decode audio-s/s (baseline)"]
    headers += ["encode audio-s/s", "cost vs decode", "RSS +MiB loaded", "peak +MiB"]
    return markdown_table(headers, rows)


def text_table(results: list[Measured]) -> str:
    rows = []
    for m in results:
        if m.error:
            rows.append([m.label, "—", "—", "—", "—", "—", "—", f"error: {m.error}"])
            continue
        rows.append(
            [
                m.label,
                str(m.batch),
                str(m.dim),
                fmt(m.startup_s, 2),
                fmt(m.per_second, 0),
                fmt(1000 / m.per_second, 2),
                *_memory(m),
            ]
        )
    headers = ["text encoder (options)", "batch", "dim", "start-up s", "sentences/s", "ms each"]
    headers += ["RSS +MiB loaded", "peak +MiB"]
    return markdown_table(headers, rows)


# --- the run --------------------------------------------------------------------------------


def main() -> None:
    started = time.perf_counter()
    print(f"Encoders, {machine_line()}")
    print()
    if not VIDEO.is_file():
        print(f"{VIDEO} is missing (apt-get install opencv-doc): nothing to measure.")
        return
    from autocut_core.plugins import get_registry

    texts = sentences()
    with tempfile.TemporaryDirectory(prefix="autocut-bench-enc-") as tmp:
        track, track_text = music_track(Path(tmp))
        note("decoding ...")
        decode = run_isolated(run_decode, VIDEO)
        by_modality: dict[str, list[Measured]] = {"image": [], "audio": [], "text": []}
        for label, name, options in plan():
            modality = get_registry().get("encoder", name).cls.modality
            inputs = {"image": VIDEO, "audio": track, "text": texts}.get(modality)
            if inputs is None:
                continue
            note(f"{label} ...")
            by_modality[modality].append(_safely(label, name, options, inputs))
    try:
        import torch

        threads = f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU"
    except ImportError:
        threads = "torch not installed"
    print(
        f"Image encoders on {VIDEO.name} ({decode['seconds']:.1f} s, {decode['source']}) "
        f"decoded as `autocut index` does: {decode['frames']:.0f} frames of "
        f"{decode['width']:.0f}x{decode['height']:.0f} at 10 fps; batches of the encoder's "
        f"batch_size, timed {TARGET_SECONDS:g} s after one warm-up batch, best of "
        f"{WINDOWS} windows; {threads}. "
        f"Baseline: decoding through iter_frames (best of {DECODE_REPEATS}). Cost vs decode = "
        "decode frames/s / encoder frames/s. Index x realtime (est.) = seconds of such footage "
        "indexed per second with this main encoder: 10 decoded + 10 histogram frames + 1 "
        "main-encoder frame per second."
    )
    print()
    print(image_table(by_modality["image"], decode))
    print()
    print(
        f"Audio encoders on {track_text}, decoded to mono at each encoder's rate (the "
        "baseline, per row), then the whole track encoded as one item, as indexing does."
    )
    print()
    print(audio_table(by_modality["audio"]))
    print()
    print(f"Text encoders on {SENTENCES} generated ad sentences (8-12 words).")
    print()
    print(text_table(by_modality["text"]))
    print()
    print(
        "RSS +MiB loaded: resident memory added by creating the encoder and one warm-up batch; "
        "peak +MiB: the highest it reached while encoding. Both over a process that has "
        "already imported torch and holds the decoded frames."
    )
    note(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
