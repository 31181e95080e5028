"""Transcript sidecars -> sentences -> clip spans and their frames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocut_core.dataset.clips import ClipSpan, cut_at_sentences
from autocut_core.dataset.transcripts import Sentence, load_sentences, sentences_from_cues
from autocut_core.errors import InputError
from autocut_core.materials.captions import TimedCaption
from autocut_core.testing.synthetic_ads import subtitle_text
from autocut_core.tokens.frames import frames_in_span, thin

CUES = [
    (0.5, 2.5, "Here you see a red apple."),
    (3.0, 4.0, "It is crisp"),
    (4.0, 5.0, "and sweet. Buy it"),
    (5.5, 6.0, "today!"),
]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".srt", ".vtt", ".json"])
def test_every_format_gives_the_same_sentences(tmp_path, suffix):
    if suffix == ".json":
        text = json.dumps([{"start": s, "end": e, "text": t} for s, e, t in CUES])
    else:
        text = subtitle_text(CUES, webvtt=suffix == ".vtt")
    sentences = load_sentences(write(tmp_path, f"ad{suffix}", text))
    assert [s.text for s in sentences] == [
        "Here you see a red apple.",
        "It is crisp and sweet.",
        "Buy it today!",
    ]
    # "and sweet. Buy it" is shared by characters (spaces aside): 9 of 14 to "and sweet.".
    assert sentences[1] == Sentence("It is crisp and sweet.", 3.0, 4.643)
    assert sentences[2] == Sentence("Buy it today!", 4.643, 6.0)


def test_chinese_pieces_join_without_spaces():
    cues = [
        TimedCaption(0, 1, "这是一颗"),
        TimedCaption(1, 2, "红苹果。真甜"),
        TimedCaption(2, 3, "啊！"),
    ]
    assert [s.text for s in sentences_from_cues(cues)] == ["这是一颗红苹果。", "真甜啊！"]


def test_a_transcript_without_final_punctuation_ends_its_last_sentence_there():
    cues = [
        TimedCaption(0, 1, "Fresh juice."),
        TimedCaption(1.5, 3, "made daily"),
        TimedCaption(3, 3, ""),
    ]
    assert sentences_from_cues(cues)[-1] == Sentence("made daily", 1.5, 3.0)


def test_a_broken_srt_is_an_error_naming_the_file_and_line(tmp_path):
    text = subtitle_text(CUES).replace(" --> ", " -> ", 2).replace(" -> ", " --> ", 1)
    path = write(tmp_path, "ad.srt", text)
    with pytest.raises(InputError, match=r"ad\.srt: line 5: expected a 'start --> end' line"):
        load_sentences(path)


def test_a_bad_time_and_bad_json_are_errors_naming_the_place(tmp_path):
    path = write(tmp_path, "ad.srt", "1\n00:00:01,000 --> 00:00:61,000\nHello.\n")
    with pytest.raises(InputError, match=r"ad\.srt: line 2: .*over 59"):
        load_sentences(path)
    path = write(tmp_path, "ad.json", '[{"start": 0, "end": 1, "text": "Hi."},\n {"start": 1}]')
    with pytest.raises(InputError, match=r"ad\.json: cue 1: 'end' must be a number"):
        load_sentences(path)


def test_overlapping_and_instant_cues_are_refused(tmp_path):
    overlapping = json.dumps([[0, 3, "One."], [2, 4, "Two."]])
    overlapping = json.dumps(
        [{"start": s, "end": e, "text": t} for s, e, t in json.loads(overlapping)]
    )
    with pytest.raises(InputError, match=r"cue 2 \('Two\.'\) starts at 2 s, before the previous"):
        load_sentences(write(tmp_path, "a.json", overlapping))
    instant = json.dumps([{"start": 1, "end": 1, "text": "Blink."}])
    with pytest.raises(InputError, match="has no duration"):
        load_sentences(write(tmp_path, "b.json", instant))


def test_an_empty_json_transcript_has_no_sentences(tmp_path):
    assert load_sentences(write(tmp_path, "quiet.json", "[]")) == []


# --- clips ---------------------------------------------------------------------------------


def test_clips_tile_the_ad_between_sentences():
    sentences = [
        Sentence("One.", 2.0, 4.0),
        Sentence("Two.", 5.0, 7.0),
        Sentence("Three.", 7.2, 9.0),
    ]
    spans = cut_at_sentences(sentences, duration=30.0)
    # Pauses are split in the middle; the edges reach one second into the silence.
    assert spans == [
        ClipSpan("One.", 1.0, 4.5),
        ClipSpan("Two.", 4.5, 7.1),
        ClipSpan("Three.", 7.1, 10.0),
    ]
    assert cut_at_sentences(sentences, duration=9.5)[-1].end == 9.5
    assert cut_at_sentences([], 10.0) == []


def test_speech_beyond_the_video_means_the_wrong_transcript():
    with pytest.raises(InputError, match="speech runs to 12 s but the video lasts 8 s"):
        cut_at_sentences([Sentence("Late.", 10.0, 12.0)], duration=8.0, where="ad.srt")


def test_a_clip_takes_the_frames_inside_it_or_the_nearest_one():
    seconds = list(range(10))
    assert frames_in_span(seconds, 1.0, 4.5) == [1, 2, 3, 4]
    assert frames_in_span(seconds, 1.6, 3.0) == [2]  # frame 2 stands for 1.5..2.5
    assert frames_in_span(seconds, 2.55, 2.95) == [3]  # none inside: the nearest to 2.75
    assert frames_in_span([], 0.0, 1.0) == []


def test_long_clips_are_thinned_evenly_keeping_both_ends():
    assert thin(list(range(10)), 0) == list(range(10))
    assert thin(list(range(10)), 4) == [0, 3, 6, 9]
    assert thin([5, 6, 7], 1) == [6]
    assert thin([5, 6], 4) == [5, 6]
