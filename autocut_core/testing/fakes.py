"""Deterministic fake components and helpers for testing plugins and pipelines.

Plugin authors: register your plugin for one test with the ``autocut_plugin`` pytest fixture
(installed with autocut), or with :func:`autocut_core.plugins.inline_plugin` anywhere::

    def test_my_encoder(autocut_plugin):
        autocut_plugin(my_plugin_module)
        encoder = get_registry().create("encoder", "mine")

The fakes (``FakePlugin``, registered with the ``autocut_fakes`` fixture) give every kind a
component named ``fake`` that is instant and deterministic, so a pipeline test runs in
milliseconds with ``--encoder fake --retriever fake``.
"""

from __future__ import annotations

import hashlib
import math
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autocut_core.components import (
    Backbone,
    Captioner,
    Encoder,
    Evaluator,
    Pipeline,
    Renderer,
    RenderResult,
    Separator,
    Tokenizer,
    Transcriber,
    Voice,
)
from autocut_core.hookspecs import hookimpl
from autocut_core.serde import dumps
from autocut_core.types import (
    Candidate,
    EditPlan,
    MusicCandidate,
    MusicChoice,
    Ordering,
    Product,
    Script,
    Selection,
    SpeechLine,
)

FAKE_DIM = 8


def hash_vector(data: bytes, dim: int = FAKE_DIM) -> Any:
    """A unit vector determined by ``data``: equal inputs give equal vectors, others differ."""
    import numpy as np

    digest = hashlib.sha256(data).digest()
    values = np.frombuffer(digest[: dim * 2], dtype=np.uint16).astype(np.float32) - 32767.5
    return values / np.linalg.norm(values)


def _item_bytes(item: Any) -> bytes:
    import numpy as np

    if isinstance(item, str):
        return item.encode("utf-8")
    return np.ascontiguousarray(item).tobytes()


class FakeEncoder(Encoder):
    """Image encoder: a hash of the frame's bytes as an 8-D unit vector."""

    name = "fake"
    description = "Test double: hash of the input as an 8-D unit vector"

    @property
    def dim(self) -> int:
        return FAKE_DIM

    def encode_batch(self, items: Sequence[Any]) -> Any:
        import numpy as np

        return np.stack([hash_vector(_item_bytes(item)) for item in items])


class FakeAudioEncoder(FakeEncoder):
    name = "fake-audio"
    modality = "audio"
    sample_rate = 16000


class FakeTextEncoder(FakeEncoder):
    name = "fake-text"
    modality = "text"


class FakeTokenizer(Tokenizer):
    """Two heads of four codes: the sign pattern of two dimension pairs."""

    name = "fake"
    description = "Test double: sign patterns as 2 heads x 4 codes"

    @property
    def heads(self) -> int:
        return 2

    @property
    def codebook_size(self) -> int:
        return 4

    @property
    def dim(self) -> int:
        return FAKE_DIM

    def encode_batch(self, vectors: Any) -> Any:
        import numpy as np

        vectors = np.asarray(vectors, dtype=np.float32)
        signs = (vectors[:, :4] > 0).astype(np.int64)
        return np.stack([signs[:, 0] * 2 + signs[:, 1], signs[:, 2] * 2 + signs[:, 3]], axis=1)

    def decode_batch(self, codes: Any) -> Any:
        import numpy as np

        codes = np.asarray(codes, dtype=np.int64)
        out = np.zeros((len(codes), FAKE_DIM), dtype=np.float32)
        for head in range(2):
            out[:, head * 2] = np.where(codes[:, head] // 2 == 1, 1.0, -1.0)
            out[:, head * 2 + 1] = np.where(codes[:, head] % 2 == 1, 1.0, -1.0)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


class FakeBackbone(Backbone):
    """Keeps the given order: selects the first ``count``, sorts as given, captions as script."""

    name = "fake"
    description = "Test double: first-come selection, identity order, captions as script"
    capabilities = frozenset({"select", "sort", "write_script", "pick_music"})

    def _select(
        self, product: Product, script: Script, candidates: Sequence[Candidate], count: int
    ) -> Selection:
        return Selection(indices=tuple(range(count)), scores=tuple(1.0 for _ in range(count)))

    def _sort(self, product: Product, script: Script, candidates: Sequence[Candidate]) -> Ordering:
        return Ordering(order=tuple(range(len(candidates))))

    def _write_script(self, product: Product, candidates: Sequence[Candidate]) -> Script:
        lines = [c.caption or f"{product.name}, shot {i + 1}." for i, c in enumerate(candidates)]
        return Script(sentences=tuple(lines))

    def _pick_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> MusicChoice:
        return MusicChoice(track_id=tracks[0].track.track_id, score=1.0)


class FakeRenderer(Renderer):
    """Writes the plan as JSON where the video would go: for testing what reaches a renderer."""

    name = "fake"
    description = "Test double: writes the EditPlan as JSON instead of a video"

    def render(self, plan: EditPlan, output: Path) -> RenderResult:
        from autocut_core.fsutil import atomic_write_text

        output = Path(output)
        atomic_write_text(output, dumps(plan))
        return RenderResult(video=output, duration=plan.duration)


class FakeEvaluator(Evaluator):
    name = "fake"
    description = "Test double: exact match"
    task = "select"

    def score_batch(
        self, predictions: Sequence[Any], references: Sequence[Any]
    ) -> list[dict[str, float]]:
        return [{"exact": float(p == r)} for p, r in zip(predictions, references, strict=True)]


class FakeVoice(Voice):
    """Silent 16 kHz WAV files, 60 ms per character: durations that depend on the text."""

    name = "fake"
    description = "Test double: silence, 60 ms per character"

    def synthesize_batch(self, texts: Sequence[str], out_dir: Path) -> list[SpeechLine]:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        lines = []
        for index, text in enumerate(texts):
            path = out_dir / f"line_{index:03d}.wav"
            frames = max(1, math.ceil(16000 * 0.06 * max(len(text), 1)))
            with wave.open(str(path), "wb") as handle:
                handle.setnchannels(1)
                handle.setsampwidth(2)
                handle.setframerate(16000)
                handle.writeframes(b"\0\0" * frames)
            lines.append(SpeechLine(text=text, path=str(path), duration=frames / 16000))
        return lines


#: The colour words of :class:`FakeCaptioner`, by the channel that dominates.
_COLOUR_WORDS = ("red", "green", "blue")


class FakeCaptioner(Captioner):
    """Names the dominant colour of the frames (``a mostly red shot, bright``): instant,
    deterministic, and different for different pictures, as a pipeline test needs."""

    name = "fake"
    description = "Test double: the frames' dominant colour and brightness in words"

    def _describe(self, frames: list[bytes]) -> str:
        import io

        import numpy as np
        from PIL import Image

        means = np.mean(
            [np.asarray(Image.open(io.BytesIO(frame)).convert("RGB"), dtype=np.float64)
             .reshape(-1, 3).mean(axis=0) for frame in frames],
            axis=0,
        )  # fmt: skip
        colour = _COLOUR_WORDS[int(np.argmax(means))]
        light = "bright" if means.mean() >= 128 else "dark"
        return f"a mostly {colour} shot, {light}"


class FakeTranscriber(Transcriber):
    """Hears sound, not words: every stretch of audio louder than -40 dBFS (20 ms frames,
    stretches split at 0.2 s of quiet) is one segment ``sound N.`` with the words ``sound``
    and ``N.`` in its halves. Instant and deterministic, and its times are the audio's own,
    as a test of what consumes a transcript's times needs."""

    name = "fake"
    description = "Test double: each loud stretch of the audio is a segment 'sound N.'"

    def _transcribe(self, audio: Any) -> Any:
        import numpy as np

        from autocut_core.types import Transcript, TranscriptSegment, Word

        hop = self.sample_rate // 50
        frames = audio[: audio.size // hop * hop].reshape(-1, hop)
        loud = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)) > 10 ** (-40 / 20)
        segments: list[TranscriptSegment] = []
        start: int | None = None
        quiet = 0
        for index, is_loud in enumerate([*loud.tolist(), False] + [False] * 10):
            if is_loud:
                start = index if start is None else start
                quiet = 0
            elif start is not None:
                quiet += 1
                if quiet == 10 or index >= loud.size:
                    begin, end = (
                        start * hop / self.sample_rate,
                        (index - quiet + 1) * hop / self.sample_rate,
                    )
                    middle = round((begin + end) / 2, 3)
                    number = len(segments) + 1
                    segments.append(
                        TranscriptSegment(
                            f"sound {number}.", round(begin, 3), round(end, 3),
                            (Word("sound", round(begin, 3), middle),
                             Word(f" {number}.", middle, round(end, 3))),
                        )
                    )  # fmt: skip
                    start, quiet = None, 0
        return Transcript(language="en", segments=tuple(segments), duration=0.0)


class FakeSeparator(Separator):
    """Splits at 300 Hz: what lies below is "music", what lies above "voice" (one FFT per
    chunk). Instant, deterministic, and its stems add up to the mix exactly, as a test of
    what consumes stems needs; it separates nothing a listener would call voice."""

    name = "fake"
    description = "Test double: below 300 Hz is music, above is voice"
    sample_rate = 16_000

    def _separate(self, audio: Any) -> Any:
        import numpy as np

        spectrum = np.fft.rfft(audio.astype(np.float64))
        low = np.fft.rfftfreq(audio.size, 1 / self.sample_rate) < 300.0
        music = np.fft.irfft(np.where(low, spectrum, 0), n=audio.size).astype(np.float32)
        return (audio - music).astype(np.float32), music


class FakePipeline(Pipeline):
    name = "fake"
    description = "Test double: returns its request"

    def run(self, request: Any) -> Any:
        return request


class FakePlugin:
    """A plugin that registers every fake component (the retriever fake is ``exact``'s job)."""

    @staticmethod
    @hookimpl
    def register_encoders(register):
        for cls in (FakeEncoder, FakeAudioEncoder, FakeTextEncoder):
            register(cls)

    @staticmethod
    @hookimpl
    def register_tokenizers(register):
        register(FakeTokenizer)

    @staticmethod
    @hookimpl
    def register_backbones(register):
        register(FakeBackbone)

    @staticmethod
    @hookimpl
    def register_renderers(register):
        register(FakeRenderer)

    @staticmethod
    @hookimpl
    def register_evaluators(register):
        register(FakeEvaluator)

    @staticmethod
    @hookimpl
    def register_voices(register):
        register(FakeVoice)

    @staticmethod
    @hookimpl
    def register_captioners(register):
        register(FakeCaptioner)

    @staticmethod
    @hookimpl
    def register_transcribers(register):
        register(FakeTranscriber)

    @staticmethod
    @hookimpl
    def register_separators(register):
        register(FakeSeparator)

    @staticmethod
    @hookimpl
    def register_pipelines(register):
        register(FakePipeline)
