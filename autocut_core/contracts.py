"""What every component of a kind must do, as checks a test suite can run.

AutoCut's own contract suite runs these against every registered component; a plugin author
runs them against theirs (``check_component(get_registry().get("encoder", "mine"))``). Each
check instantiates the component with its ``example_options()`` (tiny, weight-free sizes).
"""

from __future__ import annotations

import itertools
import tempfile
import wave
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_core.components import (
    Backbone,
    Captioner,
    Component,
    Encoder,
    Evaluator,
    Pipeline,
    Renderer,
    Retriever,
    Separator,
    Tokenizer,
    Transcriber,
    Voice,
)
from autocut_core.errors import (
    CapabilityError,
    CaptionError,
    SeparationError,
    TranscriptionError,
)
from autocut_core.registry import Registration
from autocut_core.types import (
    Candidate,
    Clip,
    EditPlan,
    MusicCandidate,
    Product,
    Script,
    Slot,
    Track,
)

if TYPE_CHECKING:
    import numpy as np


class ContractError(AssertionError):
    """A component broke its kind's contract."""


def _expect(condition: bool, component: Component[Any], message: str) -> None:
    if not condition:
        raise ContractError(f"{component.kind} '{component.name}': {message}")


def sample_inputs(encoder: Encoder) -> list[Any]:
    """Small inputs of the encoder's modality, deliberately of mixed sizes and scripts."""
    import numpy as np

    generator = np.random.default_rng(0)
    if encoder.modality == "image":
        return [
            generator.integers(0, 256, size=shape, dtype=np.uint8)
            for shape in ((48, 64, 3), (64, 48, 3), (37, 53, 3))
        ]
    if encoder.modality == "audio":
        rate = encoder.sample_rate or 16000
        t = np.arange(rate, dtype=np.float32) / rate
        return [
            (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32),
            (0.1 * generator.standard_normal(rate // 2)).astype(np.float32),
        ]
    return ["A red running shoe on a white table.", "轻薄透气，一整天都舒适。", "x"]


def check_encoder(encoder: Encoder) -> None:
    import numpy as np

    items = sample_inputs(encoder)
    vectors = encoder.encode(items)
    _expect(vectors.shape == (len(items), encoder.dim), encoder, f"shape {vectors.shape}")
    _expect(vectors.dtype == np.float32, encoder, f"dtype {vectors.dtype}, expected float32")
    _expect(bool(np.isfinite(vectors).all()), encoder, "returned NaN or infinity")
    again = encoder.encode(items)
    _expect(bool(np.allclose(vectors, again, atol=1e-5)), encoder, "is not deterministic")
    one_by_one = np.concatenate([encoder.encode([item]) for item in items])
    _expect(
        bool(np.allclose(vectors, one_by_one, atol=1e-4)),
        encoder,
        "gives different vectors in a batch than one at a time",
    )
    _expect(encoder.encode([]).shape == (0, encoder.dim), encoder, "empty input must give (0, dim)")


def check_tokenizer(tokenizer: Tokenizer) -> None:
    import numpy as np

    vectors = np.random.default_rng(0).standard_normal((16, tokenizer.dim)).astype(np.float32)
    codes = np.asarray(tokenizer.encode_batch(vectors))
    _expect(codes.shape == (16, tokenizer.heads), tokenizer, f"codes of shape {codes.shape}")
    _expect(np.issubdtype(codes.dtype, np.integer), tokenizer, f"codes of dtype {codes.dtype}")
    _expect(
        bool(((codes >= 0) & (codes < tokenizer.codebook_size)).all()),
        tokenizer,
        "codes outside 0..codebook_size-1",
    )
    decoded = np.asarray(tokenizer.decode_batch(codes))
    _expect(decoded.shape == (16, tokenizer.dim), tokenizer, f"decoded shape {decoded.shape}")
    _expect(bool(np.isfinite(decoded).all()), tokenizer, "decoded NaN or infinity")
    _expect(
        bool(np.array_equal(codes, np.asarray(tokenizer.encode_batch(vectors)))),
        tokenizer,
        "is not deterministic",
    )


#: Backbones that read tokens (``needs_tokens``) get codes of this grid: 2 heads x 8 codes,
#: the grid of the rqvae tokenizers' example options. Their example options must read it.
SAMPLE_GRID = (2, 8)


def sample_candidates(count: int = 6, tokens: bool = False) -> list[Candidate]:
    return [
        Candidate(
            clip=Clip(source_id=f"src{i:03d}", start=float(i), end=float(i) + 2.5),
            tokens=_sample_codes("v", i, frame=True) if tokens else "",
            caption=f"Shot {i}: the product from angle {i}.",
        )
        for i in range(count)
    ]


def _sample_codes(prefix: str, seed: int, frame: bool = False) -> str:
    heads, size = SAMPLE_GRID
    codes = "".join(f"<{prefix}_{h}_{(seed * (2 * h + 3) + h) % size}>" for h in range(heads))
    return f"<|frame_start|>{codes}<|frame_end|>" if frame else codes


SAMPLE_PRODUCT = Product(name="Trail Runner 2", brand="Acme", category="shoes",
                         selling_points=("light", "waterproof"))  # fmt: skip


def check_backbone(backbone: Backbone) -> None:
    candidates = sample_candidates(tokens=backbone.needs_tokens)
    script = Script(sentences=("Light as air.", "Rain? No problem.", "Run further."))
    abilities = {
        "select": lambda: _check_selection(backbone, script, candidates),
        "sort": lambda: _check_sort(backbone, script, candidates[:3]),
        "write_script": lambda: _check_script(backbone, candidates[:4]),
        "pick_music": lambda: _check_music(backbone, script, candidates[:3]),
    }
    for ability, check in abilities.items():
        if ability in backbone.capabilities:
            check()
        else:
            try:
                check()
            except CapabilityError:
                continue
            raise ContractError(f"backbone '{backbone.name}' did {ability} without declaring it")


def _check_selection(backbone: Backbone, script: Script, candidates: list[Candidate]) -> None:
    selection = backbone.select(SAMPLE_PRODUCT, script, candidates, len(script))
    chosen = list(selection.indices)
    _expect(len(chosen) == len(script), backbone, f"selected {len(chosen)} of {len(script)}")
    _expect(len(set(chosen)) == len(chosen), backbone, "selected a candidate twice")
    _expect(all(0 <= i < len(candidates) for i in chosen), backbone, "selected out of range")


def _check_sort(backbone: Backbone, script: Script, candidates: list[Candidate]) -> None:
    ordering = backbone.sort(SAMPLE_PRODUCT, script, candidates)
    _expect(
        sorted(ordering.order) == list(range(len(candidates))),
        backbone,
        "order is not a permutation",
    )


def _check_script(backbone: Backbone, candidates: list[Candidate]) -> None:
    script = backbone.write_script(SAMPLE_PRODUCT, candidates)
    _expect(
        len(script) == len(candidates),
        backbone,
        f"wrote {len(script)} lines for {len(candidates)} clips",
    )
    _expect(all(line.strip() for line in script.sentences), backbone, "wrote an empty line")


def _check_music(backbone: Backbone, script: Script, clips: list[Candidate]) -> None:
    tracks = [
        MusicCandidate(
            track=Track(track_id=f"t{i}", path=f"t{i}.ogg", duration=30.0),
            tokens=_sample_codes("a", i) if backbone.needs_tokens else "",
        )
        for i in range(3)
    ]
    choice = backbone.pick_music(SAMPLE_PRODUCT, script, clips, tracks)
    _expect(
        choice.track_id in {t.track.track_id for t in tracks},
        backbone,
        "picked a track not offered",
    )


def check_retriever(retriever: Retriever) -> None:
    import numpy as np

    generator = np.random.default_rng(0)
    vectors = generator.standard_normal((64, 16)).astype(np.float32)
    ids = [f"clip{i:03d}" for i in range(64)]
    retriever.build(ids, vectors)
    _expect(retriever.size == 64, retriever, f"size {retriever.size} after indexing 64")
    hits = retriever.search(vectors[:8], k=5)
    _expect(all(len(h) == 5 for h in hits), retriever, "did not return k hits")
    top1 = sum(h[0].id == ids[i] for i, h in enumerate(hits))
    _expect(top1 >= 7, retriever, f"found itself as top-1 for only {top1} of 8 queries")
    _expect(
        all(a.score >= b.score for h in hits for a, b in itertools.pairwise(h)),
        retriever,
        "hits are not sorted best first",
    )
    pool = ids[10:20]
    restricted = retriever.search(vectors[:4], k=3, candidates=pool)
    _expect(
        all(hit.id in pool for h in restricted for hit in h), retriever, "left the candidate set"
    )
    for bad in (lambda: retriever.search(vectors[:1], k=11, candidates=pool),
                lambda: retriever.search(vectors[:1], k=1, candidates=[])):  # fmt: skip
        try:
            bad()
        except (ValueError, KeyError):
            continue
        raise ContractError(f"retriever '{retriever.name}' accepted an impossible search")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "index.bin"
        retriever.save(path)
        reloaded = type(retriever)(retriever.settings)
        reloaded.load(path)
        again = reloaded.search(vectors[:8], k=5)
        _expect([[x.id for x in h] for h in again] == [[x.id for x in h] for h in hits],
                retriever, "gives different results after save/load")  # fmt: skip


def check_voice(voice: Voice) -> None:
    texts = ["Hello there.", "Rain? No problem: 100% waterproof -- $HOME `ls`", "轻薄透气。"]
    with tempfile.TemporaryDirectory() as folder:
        lines = voice.synthesize_batch(texts, Path(folder))
        _expect(len(lines) == len(texts), voice, f"{len(lines)} lines for {len(texts)} texts")
        for line in lines:
            _expect(Path(line.path).is_file(), voice, f"no file at {line.path}")
            _expect(line.duration > 0, voice, f"duration {line.duration} for {line.text!r}")
            with wave.open(line.path, "rb") as handle:
                seconds = handle.getnframes() / handle.getframerate()
            _expect(
                abs(seconds - line.duration) < 0.05,
                voice,
                "reported duration differs from the file",
            )


def check_captioner(captioner: Captioner) -> None:
    """Two different pictures as one clip's frames: a plain caption, the same one when
    asked again (captions are cached by clip, model and prompt, so a captioner that answers
    differently each time would make the cache a lottery), and no caption without frames."""
    frames = [sample_jpeg(source, captioner.settings.max_side) for source in SAMPLE_PICTURES]
    first = captioner.describe(frames)
    _expect(isinstance(first, str) and first.strip() == first and first != "", captioner,
            f"wrote {first!r}, not a plain caption")  # fmt: skip
    _expect(captioner.describe(frames) == first, captioner, "is not deterministic")
    _expect(":" in captioner.cache_key and captioner.model != "", captioner,
            f"has no model to key its captions by ({captioner.cache_key!r})")  # fmt: skip
    try:
        captioner.describe([])
    except CaptionError:
        pass
    else:
        _expect(False, captioner, "described a clip without frames")


def check_transcriber(transcriber: Transcriber) -> None:
    """Two bursts of sound between silences: a checked transcript (times inside the audio,
    a language), the same one when asked again (transcripts are stored by model, so one
    that changes run to run would make the cache a lottery), and no transcript of nothing."""
    import numpy as np

    audio = sample_speechlike(transcriber.sample_rate)
    first = transcriber.transcribe(audio)
    _expect(first.duration == audio.size / transcriber.sample_rate, transcriber,
            f"reported {first.duration} s for {audio.size / transcriber.sample_rate} s")  # fmt: skip
    _expect(transcriber.transcribe(audio) == first, transcriber, "is not deterministic")
    _expect(":" in transcriber.cache_key and transcriber.model != "", transcriber,
            f"has no model to key its transcripts by ({transcriber.cache_key!r})")  # fmt: skip
    try:
        transcriber.transcribe(np.zeros(0, dtype=np.float32))
    except TranscriptionError:
        pass
    else:
        _expect(False, transcriber, "transcribed empty audio")


def sample_speechlike(sample_rate: int, seconds: float = 3.0) -> np.ndarray:
    """``seconds`` of float32 audio: silence, two 0.6 s bursts of a voiced-like harmonic
    tone (120 Hz and its overtones, amplitude-modulated at syllable rate), silence."""
    import numpy as np

    times = np.arange(int(seconds * sample_rate)) / sample_rate
    tone = sum(np.sin(2 * np.pi * 120 * k * times) / k for k in range(1, 8))
    envelope = np.zeros_like(times)
    for start in (0.5, 1.7):
        inside = (times >= start) & (times < start + 0.6)
        envelope[inside] = 0.5 + 0.5 * np.sin(2 * np.pi * 4 * (times[inside] - start))
    return (0.2 * tone * envelope).astype(np.float32)


def check_separator(separator: Separator) -> None:
    """Speech-like bursts over a repeating tune: two stems as long as the mix at the
    separator's rate, the same ones when asked again (stems are stored by model), the same
    length from audio at another rate (resampled), and no stems of nothing."""
    import numpy as np

    rate = separator.sample_rate
    mix = sample_mix(rate)[0]
    first = separator.separate(mix)
    _expect(first.sample_rate == rate and first.voice.shape == first.music.shape == mix.shape,
            separator, f"returned stems of {first.voice.shape} and {first.music.shape} at "
            f"{first.sample_rate} Hz for {mix.shape} at {rate} Hz")  # fmt: skip
    _expect(first.voice.dtype == first.music.dtype == np.float32, separator,
            "returned stems that are not float32")  # fmt: skip
    again = separator.separate(mix)
    _expect(np.array_equal(again.voice, first.voice) and np.array_equal(again.music, first.music),
            separator, "is not deterministic")  # fmt: skip
    _expect(":" in separator.cache_key and separator.model != "", separator,
            f"has no model to key its stems by ({separator.cache_key!r})")  # fmt: skip
    other_rate = sample_mix(16_000)[0]
    resampled = separator.separate(other_rate, 16_000)
    _expect(abs(resampled.voice.size - mix.size) <= 1, separator,
            f"returned {resampled.voice.size} samples of 3 s at 16 kHz, not {mix.size}")  # fmt: skip
    try:
        separator.separate(np.zeros(0, dtype=np.float32))
    except SeparationError:
        pass
    else:
        _expect(False, separator, "separated empty audio")


def sample_mix(sample_rate: int, seconds: float = 3.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mix, voice, music)``, float32: :func:`sample_speechlike` over a tune that repeats
    every half second (two 0.25 s chords, A minor and C major, three partials each), the
    structure a voice/music separator learns or assumes (music repeats, speech does not)."""
    import numpy as np

    times = np.arange(int(seconds * sample_rate)) / sample_rate
    chords = ((220.0, 261.6, 329.6), (261.6, 329.6, 392.0))
    which = (times // 0.25).astype(int) % 2
    music = np.zeros_like(times)
    for index, chord in enumerate(chords):
        tone = sum(np.sin(2 * np.pi * f * times) for f in chord) / len(chord)
        music += np.where(which == index, tone, 0.0)
    music = (0.1 * music).astype(np.float32)
    voice = sample_speechlike(sample_rate, seconds)
    return (voice + music).astype(np.float32), voice, music


def check_evaluator(evaluator: Evaluator) -> None:
    import math

    predictions = [[0, 1], [1, 0], [2, 0]]
    references = [[0, 1], [0, 1], [0, 1]]
    per_sample = evaluator.score_batch(predictions, references)
    _expect(len(per_sample) == 3, evaluator, f"{len(per_sample)} results for 3 samples")
    for sample in per_sample:
        _expect(all(math.isfinite(v) for v in sample.values()), evaluator, "non-finite metric")
    summary = evaluator.aggregate(per_sample)
    _expect(set(summary) >= set(per_sample[0]), evaluator, "aggregate lost a metric")


#: Two different pictures from ffmpeg's test sources (what a captioner's contract shows it).
SAMPLE_PICTURES = ("testsrc2=size=320x240:rate=1", "smptebars=size=320x240:rate=1")


def sample_jpeg(source: str, max_side: int = 320) -> bytes:
    """One frame of an ffmpeg test source (``SAMPLE_PICTURES``) as JPEG bytes."""
    import shutil
    import subprocess

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ContractError("ffmpeg is needed to make a sample picture: apt-get install ffmpeg")
    side = min(max_side, 320)
    command = [
        ffmpeg, "-v", "error", "-nostdin", "-f", "lavfi", "-i", source, "-frames:v", "1",
        "-vf", f"scale={side}:-2,format=yuvj420p", "-c:v", "mjpeg", "-f", "image2pipe", "pipe:1",
    ]  # fmt: skip
    return subprocess.run(command, check=True, capture_output=True).stdout


def make_sample_video(path: Path, seconds: float = 2.0) -> Path:
    """A small real H.264 + AAC file made with ffmpeg's test sources (for renderer checks)."""
    import shutil
    import subprocess

    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise ContractError("ffmpeg is needed to make a sample video: apt-get install ffmpeg")
    command = [
        ffmpeg, "-v", "error", "-y",
        "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return path


def check_renderer(renderer: Renderer) -> None:
    with tempfile.TemporaryDirectory() as folder:
        source = make_sample_video(Path(folder) / "source.mp4")
        slots = (
            Slot(clip_id="src00000001", source_path=str(source), source_in=0.0, source_out=1.0,
                 sentence="First: 'quoted', {braced} 100%."),
            Slot(clip_id="src00010001", source_path=str(source), source_in=1.0, source_out=2.0,
                 sentence="第二句。"),
        )  # fmt: skip
        plan = EditPlan(slots=slots)
        output = Path(folder) / "out" / "ad.mp4"
        result = renderer.render(plan, output)
        _expect(result.video.is_file(), renderer, f"wrote no file at {result.video}")
        _expect(result.video.stat().st_size > 0, renderer, "wrote an empty file")
        _expect(abs(result.duration - plan.duration) < 0.5, renderer,
                f"reports {result.duration:.2f} s for a {plan.duration:.2f} s plan")  # fmt: skip
        leftovers = [p.name for p in output.parent.iterdir() if p.name.endswith(".part")]
        _expect(not leftovers, renderer, f"left temporary files behind: {leftovers}")


def check_pipeline(pipeline: Pipeline) -> None:
    _expect(callable(pipeline.run), pipeline, "has no run method")


CHECKS: dict[type[Component], Callable[[Any], None]] = {
    Encoder: check_encoder,
    Tokenizer: check_tokenizer,
    Backbone: check_backbone,
    Retriever: check_retriever,
    Voice: check_voice,
    Captioner: check_captioner,
    Transcriber: check_transcriber,
    Separator: check_separator,
    Evaluator: check_evaluator,
    Renderer: check_renderer,
    Pipeline: check_pipeline,
}


def check_component(registration: Registration) -> Component:
    """Instantiate a registered component with its example options and run its kind's checks."""
    component = registration.cls.from_options(registration.cls.example_options())
    for base, check in CHECKS.items():
        if isinstance(component, base):
            check(component)
    return component
