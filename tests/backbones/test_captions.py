"""What a clip says without a model: timed and whole-file sidecars, else the file name."""

from __future__ import annotations

import json
import os

import pytest

from autocut_core.errors import InputError
from autocut_core.materials import captions
from autocut_core.materials.captions import caption_for, words_from_filename


@pytest.fixture
def footage(tmp_path):
    """A footage file name; sidecars are written beside it (the video bytes are never read)."""
    path = tmp_path / "red-sneakers_closeup-01.mp4"
    path.write_bytes(b"not read")
    return path


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("red-sneakers_closeup-01.mp4", "red sneakers closeup"),
        ("红色跑鞋_特写.mp4", "红色跑鞋 特写"),
        ("スニーカー-雨の日.mov", "スニーカー 雨の日"),
        ("IMG_0042.MOV", ""),
        ("PXL_20240101_123456.mp4", ""),
        ("GOPR0001.MP4", ""),
        ("RedSneakers-take3_v2_1080p.mov", "Red Sneakers"),
        ("ＲＥＤ－shoe.mp4", "RED shoe"),
        ("shoe.red.mp4", "shoe red"),
        ("unboxing (final copy) 4k.mp4", "unboxing"),
    ],
)
def test_words_from_the_file_name(name, words):
    assert words_from_filename(name) == words


def test_without_sidecars_the_file_name_speaks(footage):
    assert caption_for(footage, 0.0, 2.0) == "red sneakers closeup"
    assert caption_for(str(footage)) == "red sneakers closeup"


@pytest.mark.parametrize(
    "sidecar", ["red-sneakers_closeup-01.txt", "red-sneakers_closeup-01.mp4.txt"]
)
def test_a_text_sidecar_describes_the_whole_file(footage, sidecar):
    _write(footage.with_name(sidecar), "A pair of red running shoes\non a white table.\n\n")
    assert caption_for(footage, 3.0, 5.0) == "A pair of red running shoes on a white table."


def test_timed_json_gives_the_cues_overlapping_the_clip(footage):
    cues = [
        {"start": 4, "end": 6.5, "text": "a runner laces up"},
        {"start": 0, "end": 2.5, "text": "red sneakers on a white table"},
        {"start": 2.5, "end": 4, "text": "close-up of the mesh"},
    ]
    _write(footage.with_name("red-sneakers_closeup-01.captions.json"), json.dumps(cues))
    _write(footage.with_name("red-sneakers_closeup-01.txt"), "the whole file")
    assert caption_for(footage, 0.0, 2.0) == "red sneakers on a white table"
    # Cues come in time order, whatever the file's order; a cue ending at the clip's start
    # does not overlap it.
    assert caption_for(footage, 2.5, 5.0) == "close-up of the mesh a runner laces up"
    # No cue overlaps: the next source (the .txt) speaks.
    assert caption_for(footage, 7.0, 9.0) == "the whole file"


def test_timed_json_may_be_an_object_with_a_captions_list(footage):
    data = {"captions": [{"start": 0, "end": 10, "text": "雨中奔跑的跑者"}]}
    _write(footage.with_name("red-sneakers_closeup-01.captions.json"), json.dumps(data))
    assert caption_for(footage, 1.0, 2.0) == "雨中奔跑的跑者"


def test_srt_cues_with_markup_and_windows_line_ends(footage):
    srt = (
        "1\r\n00:00:00,000 --> 00:00:02,000\r\n<i>Red sneakers</i> on a table\r\n\r\n"
        "2\r\n00:00:02,000 --> 00:00:04,500\r\nA runner\r\nin the rain\r\n\r\n"
        "3\r\n00:00:04,500 --> 00:00:06,000\r\nA runner\r\nin the rain\r\n"
    )
    _write(footage.with_name("red-sneakers_closeup-01.srt"), srt)
    assert caption_for(footage, 0.5, 1.5) == "Red sneakers on a table"
    assert caption_for(footage, 3.0, 6.0) == "A runner in the rain"  # a repeated cue once


def test_vtt_with_header_notes_identifiers_and_cue_settings(footage):
    vtt = (
        "WEBVTT - shot list\nKind: captions\n\n"
        "NOTE written by the camera operator\n\n"
        "intro\n00:00.000 --> 00:02.000 align:start position:10%\nthe shoe box opens\n\n"
        "01:00:02.000 --> 01:00:04.000\nlast shot\n"
    )
    _write(footage.with_name("red-sneakers_closeup-01.mp4.vtt"), vtt)
    assert caption_for(footage, 0.0, 1.0) == "the shoe box opens"
    assert caption_for(footage, 3601.0, 3603.0) == "last shot"


def test_json_sidecar_wins_over_srt(footage):
    _write(
        footage.with_name("red-sneakers_closeup-01.captions.json"),
        '[{"start": 0, "end": 5, "text": "from json"}]',
    )
    _write(
        footage.with_name("red-sneakers_closeup-01.srt"),
        "1\n00:00:00,000 --> 00:00:05,000\nfrom srt\n",
    )
    assert caption_for(footage, 0.0, 1.0) == "from json"


def test_an_edited_sidecar_is_read_again(footage):
    sidecar = footage.with_name("red-sneakers_closeup-01.srt")
    _write(sidecar, "1\n00:00:00,000 --> 00:00:05,000\nbefore\n")
    assert caption_for(footage, 0.0, 1.0) == "before"
    _write(sidecar, "1\n00:00:00,000 --> 00:00:05,000\nafter the edit\n")
    stat = sidecar.stat()
    os.utime(sidecar, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert caption_for(footage, 0.0, 1.0) == "after the edit"


@pytest.mark.parametrize(
    ("suffix", "content", "problem"),
    [
        (".captions.json", '[{"start": 0, "end": 2, "text": "ok"},', r"not valid JSON .*line 1"),
        (".captions.json", '[{"start": 0, "text": "no end"}]', r"cue 0: 'end' must be a number"),
        (
            ".captions.json",
            '[{"start": 3, "end": 1, "text": "x"}]',
            r"cue 0: needs 0 <= start <= end",
        ),
        (
            ".captions.json",
            '[{"start": 0, "end": 1, "txt": "x"}]',
            r"cue 0: unknown field\(s\) txt",
        ),
        (".captions.json", '{"cues": []}', r'an object with a "captions" list'),
        (".srt", "1\n00:00:01,000 -> 00:00:02,000\nhello\n", r"line 1: expected a 'start --> end'"),
        (".srt", "1\n00:00:01.000 --> 00:00:2\nhello\n", r"line 2: '00:00:2' is not a time"),
        (".srt", "1\n00:00:05,000 --> 00:00:02,000\nhello\n", r"line 2: needs 0 <= start <= end"),
        (".srt", "\n\n", r"no captions found"),
        (".vtt", "00:00.000 --> 00:01.000\nhello\n", r"line 1: a WebVTT file must start"),
    ],
)
def test_a_broken_sidecar_is_an_error_naming_the_file(footage, suffix, content, problem):
    sidecar = _write(footage.with_name("red-sneakers_closeup-01" + suffix), content)
    with pytest.raises(InputError, match=problem) as info:
        caption_for(footage, 0.0, 1.0)
    assert str(info.value).startswith(str(sidecar))


def test_a_sidecar_that_is_not_utf8_is_an_error(footage):
    sidecar = footage.with_name("red-sneakers_closeup-01.txt")
    sidecar.write_bytes("caf\xe9 au lait".encode("latin-1"))
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 3\)") as info:
        caption_for(footage)
    assert str(sidecar) in str(info.value)


def test_cjk_file_names_and_sidecars(tmp_path):
    video = tmp_path / "轻风跑鞋_雨天测试.mp4"
    video.write_bytes(b"")
    assert caption_for(video, 0.0, 1.0) == "轻风跑鞋 雨天测试"
    _write(
        tmp_path / "轻风跑鞋_雨天测试.srt", "1\n00:00:00,000 --> 00:00:03,000\n跑者在雨中踩过水坑\n"
    )
    assert caption_for(video, 0.0, 1.0) == "跑者在雨中踩过水坑"


def test_an_instant_takes_the_cue_covering_it():
    cues = (captions.TimedCaption(0, 2, "a"), captions.TimedCaption(2, 4, "b"))
    assert [c.text for c in captions.cues_between(cues, 2.0, 2.0)] == ["b"]
    with pytest.raises(ValueError, match="start <= end"):
        captions.cues_between(cues, 3.0, 1.0)
