"""The transcriber kind: the base class's checks, the fake's contract, word error rate, and
sentences (with their times) from a transcript."""

from __future__ import annotations

import numpy as np
import pytest

from autocut_core.components import Transcriber
from autocut_core.contracts import check_transcriber, sample_speechlike
from autocut_core.dataset.transcripts import (
    CHARACTER_TIMES,
    WORD_TIMES,
    Sentence,
    sentences_from_transcript,
)
from autocut_core.errors import TranscriptionError
from autocut_core.materials.transcription import transcript_srt
from autocut_core.testing import FakeTranscriber
from autocut_core.text import units, word_error_rate
from autocut_core.types import Transcript, TranscriptSegment, Word


def test_the_fake_hears_the_bursts_where_they_are():
    transcript = FakeTranscriber().transcribe(sample_speechlike(16_000))
    assert [(s.text, s.start, s.end) for s in transcript.segments] == [
        ("sound 1.", 0.5, 1.1), ("sound 2.", 1.7, 2.3),
    ]  # fmt: skip
    assert transcript.duration == 3.0 and transcript.model == "fake:fake:v1"
    check_transcriber(FakeTranscriber())


class _Returns(Transcriber):
    name = "returns"
    answer: Transcript

    def _transcribe(self, audio):
        return self.answer


def _returning(segments: tuple[TranscriptSegment, ...], language: str = "en") -> _Returns:
    transcriber = _Returns()
    transcriber.answer = Transcript(language=language, segments=segments, duration=0.0)
    return transcriber


@pytest.mark.parametrize(
    ("segments", "language", "message"),
    [
        ((TranscriptSegment("late", 1.0, 9.0),), "en", r"spans 1-9 s of 3 s of audio"),
        ((TranscriptSegment("b", 2.0, 2.5), TranscriptSegment("a", 0.5, 1.0)), "en",
         r"segment 2 \('a'\) starts before the previous segment ends"),
        ((TranscriptSegment("w", 0.0, 1.0, (Word(" w", 2.0, 2.5),)),), "en",
         r"word ' w' at 2-2.5 s lies outside its segment"),
        ((), "", r"named no language"),
    ],
)  # fmt: skip
def test_impossible_times_are_refused_by_name(segments, language, message):
    with pytest.raises(TranscriptionError, match=message):
        _returning(segments, language).transcribe(np.zeros(48_000, dtype=np.float32))


def test_audio_must_be_mono_float32_and_not_empty():
    transcriber = FakeTranscriber()
    with pytest.raises(TranscriptionError, match=r"mono float32 samples, got float64"):
        transcriber.transcribe(np.zeros(100))
    with pytest.raises(TranscriptionError, match=r"mono float32 samples, got float32 of shape"):
        transcriber.transcribe(np.zeros((2, 100), dtype=np.float32))
    with pytest.raises(TranscriptionError, match="no audio"):
        transcriber.transcribe(np.zeros(0, dtype=np.float32))


def test_a_settings_model_of_another_kind_is_a_class_problem():
    from autocut_core.components import ComponentSettings

    class Wrong(Transcriber):
        name = "wrong"
        Settings = ComponentSettings

        def _transcribe(self, audio):
            raise AssertionError

    assert "Settings must subclass autocut_core.components.TranscriberSettings" in (
        Wrong.class_problems()
    )


@pytest.mark.parametrize(
    ("reference", "hypothesis", "expected"),
    [
        ("Fresh apples from the orchard.", "fresh apples from the orchard", 0.0),
        ("Crisp, sweet and ready to eat.", " Crisp, sweet and levity.", 3 / 6),  # 1 sub, 2 del
        ("one two three", "one two three four", 1 / 3),  # an insertion
        ("新鲜的苹果", "新鲜苹果", 1 / 5),  # Chinese counts characters
        ("Don't stop", "do not stop", 2 / 2),  # don't is one word
    ],
)
def test_word_error_rate_of_known_strings(reference, hypothesis, expected):
    assert word_error_rate(reference, hypothesis) == pytest.approx(expected)


def test_units_split_chinese_characters_and_keep_words_whole():
    assert units("Don't stop, 新鲜苹果 OK-go 3.5kg!") == [
        "don't", "stop", "新", "鲜", "苹", "果", "ok-go", "3.5", "kg",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="no words"):
        word_error_rate("...", "a")


def test_sentences_take_their_words_times_across_segments():
    transcript = Transcript("en", (
        TranscriptSegment("Fresh apples. Crisp and", 0.0, 2.0, (
            Word(" Fresh", 0.0, 0.3), Word(" apples.", 0.3, 0.8),
            Word(" Crisp", 1.0, 1.3), Word(" and", 1.3, 2.0))),
        TranscriptSegment("sweet.", 2.2, 3.0, (Word(" sweet.", 2.2, 3.0),)),
    ), duration=3.0)  # fmt: skip
    assert sentences_from_transcript(transcript) == (
        [Sentence("Fresh apples.", 0.0, 0.8), Sentence("Crisp and sweet.", 1.0, 3.0)], WORD_TIMES,
    )  # fmt: skip


def test_unpunctuated_chinese_ends_a_sentence_per_segment():
    transcript = Transcript("zh", (
        TranscriptSegment("新鲜苹果", 0.0, 1.0, (Word("新鲜", 0.0, 0.5), Word("苹果", 0.5, 1.0))),
        TranscriptSegment("又脆又甜", 1.2, 2.0, (Word("又脆", 1.2, 1.6), Word("又甜", 1.6, 2.0))),
    ), duration=2.0)  # fmt: skip
    assert sentences_from_transcript(transcript)[0] == [
        Sentence("新鲜苹果", 0.0, 1.0), Sentence("又脆又甜", 1.2, 2.0),
    ]  # fmt: skip


def test_without_word_times_the_segments_are_shared_by_characters():
    transcript = Transcript("en", (TranscriptSegment("One. Two three.", 0.0, 2.0),), 2.0)
    sentences, how = sentences_from_transcript(transcript)
    assert how == CHARACTER_TIMES
    # "One." has 4 of the 13 characters ("Two three." 9, spaces not counted)
    assert [s.text for s in sentences] == ["One.", "Two three."]
    assert sentences[0].end == pytest.approx(2.0 * 4 / 13, abs=1e-3)


def test_the_srt_has_one_cue_per_segment():
    transcript = Transcript("en", (TranscriptSegment("Hello there.", 0.5, 1.25),
                                   TranscriptSegment(" ", 1.3, 1.4),
                                   TranscriptSegment("Bye.", 61.0, 62.5)), 63.0)  # fmt: skip
    assert transcript_srt(transcript) == (
        "1\n00:00:00,500 --> 00:00:01,250\nHello there.\n\n2\n00:01:01,000 --> 00:01:02,500\nBye.\n"
    )
