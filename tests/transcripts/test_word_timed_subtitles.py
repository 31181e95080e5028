"""Subtitles timed from the voice-over's own words: the script aligned to the heard words,
a long line split where its words are spoken."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocut_core.output.subtitles import Cue, cues_for
from autocut_core.output.word_timing import align, split_points, tokens_of
from autocut_core.pipelines.steps import time_words
from autocut_core.progress import SILENT
from autocut_core.testing import FakeTranscriber
from autocut_core.types import EditPlan, Slot, Word

LONG = "Fresh apples from the orchard, crisp and sweet, picked this very morning for your family."
#: What a recogniser heard: 'very' dropped, 'your' misheard as 'you', 0.3 s per word.
HEARD = "fresh apples from the orchard crisp and sweet picked this morning for you family"


def _heard(offset: float = 0.0) -> tuple[Word, ...]:
    return tuple(Word(f" {word}", offset + 0.3 * i, offset + 0.3 * i + 0.25)
                 for i, word in enumerate(HEARD.split()))  # fmt: skip


def test_script_words_take_the_times_of_the_words_heard():
    timed = align(LONG, _heard())
    starts = {token.text: round(token.start, 2) for token in timed}
    assert starts["Fresh"] == 0.0 and starts["sweet,"] == 2.1 and starts["picked"] == 2.4
    assert starts["very"] == 2.7 and starts["morning"] == 3.0  # dropped: its neighbour's
    assert starts["your"] == 3.6  # misheard: still the word spoken there
    assert split_points(timed) == [8]  # 16 words: two cues, cut after "sweet,"


def test_a_long_line_is_two_cues_split_where_the_words_are_spoken():
    slot = Slot("c0", "/footage.mp4", 0.0, 5.0, sentence=LONG, voice_words=_heard())
    short = Slot("c1", "/footage.mp4", 0.0, 2.0, sentence="Order now.",
                 voice_words=(Word(" Order", 0.1, 0.4), Word(" now.", 0.4, 0.8)))  # fmt: skip
    cues = cues_for(EditPlan(slots=(slot, short)))
    assert cues == [
        Cue(0, 0.0, pytest.approx(2.4), "Fresh apples from the orchard, crisp and sweet,"),
        Cue(0, pytest.approx(2.4), 5.0, "picked this very morning for your family."),
        Cue(1, 5.0, 7.0, "Order now."),
    ]
    # Without timed words the same line is one cue, as before.
    untimed = cues_for(EditPlan(slots=(Slot("c0", "/f.mp4", 0.0, 5.0, sentence=LONG),)))
    assert untimed == [Cue(0, 0.0, 5.0, LONG)]


def test_chinese_is_split_between_characters_after_punctuation():
    sentence = "新鲜的苹果来自阳光果园，又脆又甜，今天早上刚刚采摘。"
    heard = tuple(Word(char, 0.2 * i, 0.2 * i + 0.2)
                  for i, char in enumerate(c for c in sentence if c not in "，。"))  # fmt: skip
    assert tokens_of("新鲜，OK。")[-1] == "OK。"
    cues = cues_for(EditPlan(slots=(Slot("c0", "/f.mp4", 0.0, 6.0, sentence=sentence,
                                         voice_words=heard),)))  # fmt: skip
    assert [cue.text for cue in cues] == [
        "新鲜的苹果来自阳光果园，",
        "又脆又甜，今天早上刚刚采摘。",
    ]
    assert cues[1].start == pytest.approx(2.2)  # 又 is the 12th character heard


def test_time_words_fills_each_voice_lines_words(tmp_path: Path):
    from .conftest import speak

    line = speak(tmp_path / "line.wav", ("Fresh apples from the orchard.", "Order now."))
    slots = (Slot("c0", "/f.mp4", 0.0, 5.0, sentence="x", voice_path=str(line)),
             Slot("c1", "/f.mp4", 0.0, 5.0, sentence="y"))  # fmt: skip
    timed = time_words(slots, FakeTranscriber(), SILENT)
    assert len(timed[0].voice_words) >= 4 and timed[1].voice_words == ()
    assert timed[0].voice_words[0].start < 0.3  # espeak starts speaking at once
