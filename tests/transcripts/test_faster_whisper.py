"""The ``faster-whisper`` transcriber on a tiny random Whisper that this test converts to
CTranslate2 itself; its model cards through the models mechanism; a real spoken file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from autocut_plugins.faster_whisper import FasterWhisperTranscriber
from autocut_plugins.whisper_tiny import convert_tiny_whisper

from autocut_core.contracts import check_transcriber
from autocut_core.errors import MissingWeightsError
from autocut_core.media.decode import decode_audio
from autocut_core.testing.hub import cache_snapshot, folder_files


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """transformers' WhisperForConditionalGeneration at tiny widths -> CTranslate2."""
    work = tmp_path_factory.mktemp("tiny-whisper")
    return convert_tiny_whisper(work / "ct2", work / "hf")


def _transcriber(model: Path | str, **options) -> FasterWhisperTranscriber:
    return FasterWhisperTranscriber.from_options({"model": str(model), **options})


def test_the_converted_tiny_whisper_is_a_multilingual_ctranslate2_model(tiny):
    config = json.loads((tiny / "config.json").read_text())
    assert len(config["lang_ids"]) == 99 and config["alignment_heads"]
    assert (tiny / "model.bin").stat().st_size > 1_000_000  # the 51 865-token embeddings
    assert {"tokenizer.json", "vocabulary.json"} <= {p.name for p in tiny.iterdir()}


def test_it_honours_the_transcriber_contract(tiny):
    check_transcriber(_transcriber(tiny, compute_type="float32"))


def test_it_times_words_of_a_spoken_file_and_detects_a_language(tiny, spoken_video):
    transcriber = _transcriber(tiny)
    audio = decode_audio(spoken_video, transcriber.sample_rate)
    transcript = transcriber.transcribe(audio)
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert transcript.language in _LANGUAGE_CODES  # detected (a random model's guess)
    assert 0.0 <= transcript.language_probability <= 1.0
    assert transcript.duration == pytest.approx(audio.size / 16_000)
    for segment in transcript.segments:  # random words, but where the base class allows
        for word in segment.words:
            assert segment.start - 0.5 <= word.start <= word.end <= segment.end + 0.5
    # Asked for Chinese, it decodes as Chinese (no detection).
    chinese = _transcriber(tiny, language="zh").transcribe(audio)
    assert chinese.language == "zh" and chinese.language_probability == 1.0


def test_an_unknown_language_is_one_line(tiny):
    from autocut_core.errors import TranscriptionError

    with pytest.raises(TranscriptionError, match=r"'xx' is not a valid language code"):
        _transcriber(tiny, language="xx").transcribe(np.zeros(16_000, dtype=np.float32))


def test_the_cards_are_listed_and_an_uncached_one_names_its_pull(tmp_path, monkeypatch):
    from autocut_core import models

    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    names = {card.name for card in models.all_cards()}
    assert {"whisper-tiny", "whisper-base", "whisper-small", "whisper-base-pypi"} <= names
    assert models.find("whisper-tiny").used_by == ("faster-whisper",)
    transcriber = _transcriber("whisper-tiny")
    (check,) = transcriber.diagnose()
    assert check.status == "fail" and "autocut models pull whisper-tiny" in check.fix
    with pytest.raises(MissingWeightsError, match=r"Model whisper-tiny is not in the cache"):
        transcriber.transcribe(np.zeros(16_000, dtype=np.float32))


def test_a_card_in_the_hub_cache_loads_offline(tiny, tmp_path, monkeypatch):
    """whisper-tiny's repository laid out in the hub cache as huggingface_hub does: the card
    resolves to the snapshot and transcribes without a network."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = cache_snapshot(tmp_path / "hf" / "hub", "Systran/faster-whisper-tiny",
                              folder_files(tiny))  # fmt: skip
    transcriber = _transcriber("whisper-tiny")
    assert transcriber.model_folder() == snapshot
    assert transcriber.diagnose()[0].status == "ok"
    assert transcriber.transcribe(np.zeros(32_000, dtype=np.float32)).duration == 2
