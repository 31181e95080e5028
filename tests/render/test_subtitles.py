"""autocut_core.output.subtitles: cue timing, SRT and ASS text, escaping, wrapping, fonts."""

from __future__ import annotations

import re

import pytest

from autocut_core.errors import InputError
from autocut_core.output.subtitles import (
    WORD_JOINER,
    Cue,
    ass_color,
    ass_text,
    cues_for,
    escape_ass_text,
    font_for_text,
    srt_text,
    text_width,
    wrap_text,
    write_srt,
)
from autocut_core.types import EditPlan, RenderSettings, Slot, SubtitleStyle


def plan(*sentences: str, **render) -> EditPlan:
    slots = tuple(Slot(f"c{i}", "/footage.mp4", 0.0, 2.0, sentence=text)
                  for i, text in enumerate(sentences))  # fmt: skip
    return EditPlan(slots=slots, render=RenderSettings(**render))


def test_cues_follow_the_timeline_and_skip_slots_without_a_sentence():
    cues = cues_for(plan("One.", "", "Three."))
    assert cues == [Cue(0, 0.0, 2.0, "One."), Cue(2, 4.0, 6.0, "Three.")]


def test_with_a_crossfade_a_cue_ends_when_the_next_slot_starts():
    cues = cues_for(plan("One.", "Two.", transition="crossfade", transition_duration=0.5))
    assert [(c.start, c.end) for c in cues] == [(0.0, 1.5), (1.5, 3.5)]


def test_srt_blocks_times_and_text():
    text = srt_text([Cue(0, 0.0, 1.5, "Hello, world"), Cue(1, 61.25, 3725.0041, "Two")])
    assert text == (
        "1\n00:00:00,000 --> 00:00:01,500\nHello, world\n\n2\n00:01:01,250 --> 01:02:05,004\nTwo\n"
    )


def test_srt_keeps_user_text_but_never_a_blank_line_inside_a_cue():
    tricky = (
        "{\\b1}bold <i>tag</i> 100% --> \\N\r\n\r\n\n2\n00:00:00,000 --> 99:00:00,000 \U0001f600"
    )
    text = srt_text([Cue(0, 0.0, 1.0, tricky)])
    blocks = text.strip("\n").split("\n\n")
    assert len(blocks) == 1
    j = "\u2060"  # WORD JOINER: invisible, but no player reads markup or a timing line now
    assert blocks[0].splitlines()[2:] == [
        f"{{{j}\\b1}}bold <{j}i>tag<{j}/i> 100% --{j}> \\N",
        "2",
        f"00:00:00,000 --{j}> 99:00:00,000 \U0001f600",
    ]


def test_srt_markup_is_shown_literally_by_ffmpeg(tmp_path):
    """ffmpeg's SubRip reader (what players built on it do) turns ``<b>`` into bold, honours
    ``{\\an8}``, and drops other ``{\\...}`` blocks with the text in them; escaped, the reader
    keeps every character the user typed as text. (Before: "{\\an8\\c&H0000FF&}"
    vanished and "<b>" became bold.)"""
    import subprocess

    typed = '{\\an8\\c&H0000FF&}Sale <b>now</b> <font color="red">50%</font> {y:i}x {ok}'
    srt = tmp_path / "typed.srt"
    srt.write_text(srt_text([Cue(0, 0.0, 1.0, typed)]), encoding="utf-8")
    converted = tmp_path / "typed.ass"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(srt), str(converted)], check=True)
    dialogue = converted.read_text(encoding="utf-8").splitlines()[-1]
    shown = dialogue.split(",,0,0,0,,", 1)[1].replace("\u2060", "")
    assert shown == typed


def test_write_srt_writes_nothing_without_sentences(tmp_path):
    assert write_srt(plan("", " "), tmp_path / "a.srt") is None
    assert not (tmp_path / "a.srt").exists()
    assert write_srt(plan("Hi"), tmp_path / "a.srt") == tmp_path / "a.srt"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("{\\b1}X", "\\{\\b1\\}X"),
        ("a\\Nb", f"a\\{WORD_JOINER}Nb"),
        ("a\\nb\\hc", f"a\\{WORD_JOINER}nb\\{WORD_JOINER}hc"),
        ("back\\\\slash", "back\\\\slash"),
        ("a\\{b", "a\\\\{b"),
        ("ends with \\", "ends with \\"),
        ("line\nbreak\ttab\x00nul", "line break tabnul"),
        (
            "%{pts} 中文 \U0001f600 'q' \"d\" : , ; [ ]",
            "%\\{pts\\} 中文 \U0001f600 'q' \"d\" : , ; [ ]",
        ),
    ],
)
def test_escape_ass_text(text, escaped):
    assert escape_ass_text(text) == escaped


def test_no_user_text_can_open_an_override_block():
    hostile = "{\\pos(0,0)\\fs200}x{\\r}\\{\\}{{}}\\\\{"
    escaped = escape_ass_text(hostile)
    # Every brace is preceded by a backslash that itself is not escaped-away.
    assert not re.search(r"(?<!\\)[{}]", escaped)


def test_ass_file_geometry_style_and_events():
    style = SubtitleStyle(font="DejaVu Sans", size=60, color="#FFCC00", outline_color="#102030",
                          outline=4, position="top", margin=0.1)  # fmt: skip
    text = ass_text(cues_for(plan("Hello {there}", "中文")), RenderSettings(subtitle_style=style))
    assert "PlayResX: 1080\nPlayResY: 1920" in text
    default = next(line for line in text.splitlines() if line.startswith("Style: Default,"))
    fields = default.removeprefix("Style: ").split(",")
    assert fields[1:5] == ["DejaVu Sans", "60", "&H0000CCFF", "&H0000CCFF"]
    assert fields[5] == "&H00302010"
    assert fields[16:] == ["4", "0", "8", "86", "86", "192", "1"]  # top, 8 % sides, 10 % margin
    events = [line for line in text.splitlines() if line.startswith("Dialogue:")]
    assert events[0] == "Dialogue: 0,0:00:00.00,0:00:02.00,Default,,0,0,0,,Hello \\{there\\}"
    # DejaVu Sans has no Chinese: that cue gets a style with a font that has.
    assert events[1].split(",")[3] == "Font1"
    assert "Style: Font1,Noto Sans CJK SC,60," in text


def test_default_size_and_bottom_margin_scale_with_the_frame():
    text = ass_text(cues_for(plan("Hi")), RenderSettings(width=1920, height=1080))
    fields = next(line for line in text.splitlines() if line.startswith("Style:")).split(",")
    assert fields[2] == "45"  # 1080 / 24
    assert fields[18:22] == ["2", "96", "96", "194"]  # bottom, 5 % sides, 18 % margin


def test_long_text_wraps_and_very_long_text_is_set_smaller():
    render = RenderSettings(width=720, height=1280)
    short = ass_text(cues_for(plan("A fairly short line")), render)
    assert "\\N" not in short.split("Dialogue:")[1]
    long = ass_text(cues_for(plan("word " * 20)), render)
    body = long.split("Dialogue: ")[1].split(",", 9)[9]
    assert body.startswith("{\\fs")
    assert body.count("\\N") == 2  # three lines


def test_bad_font_names_and_colours_are_refused():
    with pytest.raises(InputError, match="font"):
        ass_text(cues_for(plan("x")), RenderSettings(subtitle_style=SubtitleStyle(font="A,B")))
    with pytest.raises(InputError, match="colour 'white'"):
        ass_color("white")
    assert ass_color("#FF8000") == "&H000080FF"
    assert ass_color("#FF800080") == "&H7F0080FF"  # half transparent


def test_latin_wraps_at_spaces_within_the_width():
    lines = wrap_text("The quick brown fox jumps over the lazy dog again and again", 300, 30)
    assert len(lines) > 1
    assert all(text_width(line, 30) <= 300 for line in lines)
    assert " ".join(lines) == "The quick brown fox jumps over the lazy dog again and again"


def test_cjk_wraps_between_characters_but_not_before_closing_punctuation():
    text = "这是一个很长的中文句子，需要自动换行。然后继续说下去，直到结束。"
    lines = wrap_text(text, 200, 30)
    assert "".join(lines) == text
    assert all(text_width(line, 30) <= 200 for line in lines)
    assert not any(line[0] in "，。" for line in lines)


def test_a_word_wider_than_the_frame_is_split_and_newlines_are_kept():
    lines = wrap_text("x" * 50 + "\nshort", 200, 30)
    assert lines[-1] == "short"
    assert "".join(lines[:-1]) == "x" * 50


def test_cjk_text_gets_a_font_that_covers_its_language():
    assert font_for_text("Hello", "DejaVu Sans") == "DejaVu Sans"
    assert font_for_text("你好", "DejaVu Sans") == "Noto Sans CJK SC"
    assert font_for_text("こんにちは世界", "Noto Sans CJK SC") == "Noto Sans CJK JP"
    assert font_for_text("안녕하세요", "Noto Sans CJK SC") == "Noto Sans CJK KR"
    assert font_for_text("你好", "Noto Sans CJK TC") == "Noto Sans CJK SC"
