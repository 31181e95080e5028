"""Token strings: formatting, the vocabulary list, and the strict parser's error messages."""

from __future__ import annotations

import contextlib
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocut_core.errors import AutocutError, InputError
from autocut_core.tokens.strings import (
    MARKERS,
    TokenParseError,
    format_audio,
    format_codes,
    format_frames,
    iter_tokens,
    parse_codes,
    token,
    token_strings,
)


def test_markers_are_the_reference_vocabulary():
    assert MARKERS == (
        "<|ad_start|>", "<|ad_end|>", "<|clip_start|>", "<|clip_end|>",
        "<|video_start|>", "<|video_end|>", "<|frame_start|>", "<|frame_end|>",
        "<|audio_start|>", "<|audio_end|>", "<|text_start|>", "<|text_end|>",
    )  # fmt: skip


def test_token_spelling():
    assert token("v", 3, 17) == "<v_3_17>"
    assert token("a", 0, 0) == "<a_0_0>"
    with pytest.raises(ValueError, match="prefix"):
        token("x", 0, 0)
    with pytest.raises(ValueError, match="non-negative"):
        token("v", 0, -1)


def test_format_codes_one_vector_and_many():
    assert format_codes(np.array([5, 0, 255]), "v") == "<v_0_5><v_1_0><v_2_255>"
    assert format_codes([[1, 2], [3, 4]], "a") == "<a_0_1><a_1_2><a_0_3><a_1_4>"
    assert format_codes(np.zeros((0, 8), dtype=np.int64), "v") == ""
    with pytest.raises(ValueError, match="non-negative"):
        format_codes([1, -2], "v")
    with pytest.raises(ValueError, match="integers"):
        format_codes([1.5, 2.0], "v")
    with pytest.raises(ValueError, match="shape"):
        format_codes(np.zeros((2, 2, 2), dtype=int), "v")


def test_format_frames_and_audio():
    assert format_frames(np.array([[1, 2], [3, 4]])) == (
        "<|frame_start|><v_0_1><v_1_2><|frame_end|><|frame_start|><v_0_3><v_1_4><|frame_end|>"
    )
    assert format_audio([7, 8]) == "<|audio_start|><a_0_7><a_1_8><|audio_end|>"
    assert format_audio([[7, 8]]) == format_audio([7, 8])
    with pytest.raises(ValueError, match="one track"):
        format_audio([[1, 2], [3, 4]])


def test_vocabulary_lists_every_code_token_then_the_markers():
    vocabulary = token_strings("v", 8, 256)
    assert len(vocabulary) == 8 * 256 + len(MARKERS) == len(set(vocabulary))
    assert vocabulary[:2] == ["<v_0_0>", "<v_0_1>"]
    assert vocabulary[255:257] == ["<v_0_255>", "<v_1_0>"]
    assert vocabulary[8 * 256 - 1] == "<v_7_255>"
    assert tuple(vocabulary[-len(MARKERS) :]) == MARKERS
    assert list(iter_tokens("a", 2, 3))[:6] == [
        "<a_0_0>", "<a_0_1>", "<a_0_2>", "<a_1_0>", "<a_1_1>", "<a_1_2>",
    ]  # fmt: skip


def test_parse_skips_markers_and_whitespace():
    text = "<|video_start|>\n<|frame_start|> <v_0_1><v_1_2> <|frame_end|>\n<v_0_3>\t<v_1_4><|video_end|>"
    codes = parse_codes(text, "v", 2, 8)
    assert codes.dtype == np.int64
    assert codes.tolist() == [[1, 2], [3, 4]]
    assert parse_codes(format_audio([5, 6]), "a", 2, 8).tolist() == [[5, 6]]


# (text, prefix, heads, codebook_size, offset, offending text, words of the reason)
ERRORS = [
    ("<v_0_x>", "v", 2, 8, 0, "<v_0_x>", "code 'x' is not a plain decimal"),
    ("<v_0_1><v_1_>", "v", 2, 8, 7, "<v_1_>", "empty code"),
    ("<v_0_1><v__1>", "v", 2, 8, 7, "<v__1>", "empty head"),
    ("<v_0_1><v_1_2><v_0_1", "v", 2, 8, 14, "<v_0_1", "unclosed token"),
    ("<v_0_1 <v_1_2>", "v", 2, 8, 0, "<v_0_1", "unclosed token"),
    ("<v_0_1><a_1_2>", "v", 2, 8, 7, "<a_1_2>", "audio token where video tokens"),
    ("<a_0_1><v_1_2>", "a", 2, 8, 7, "<v_1_2>", "video token where audio tokens"),
    ("<v_0_1><v_0_2>", "v", 2, 8, 7, "<v_0_2>", "head 0 out of order: expected head 1"),
    ("<v_1_1><v_0_2>", "v", 2, 8, 0, "<v_1_1>", "head 1 out of order: expected head 0"),
    ("<v_0_1><v_8_2>", "v", 2, 8, 7, "<v_8_2>", "head 8 out of range"),
    ("<v_0_1><v_1_8>", "v", 2, 8, 7, "<v_1_8>", "code 8 out of range"),
    ("<v_0_1><v_1_-3>", "v", 2, 8, 7, "<v_1_-3>", "negative code -3"),
    ("<v_0_-1>", "v", 2, 8, 0, "<v_0_-1>", "negative code"),
    ("<v_-1_0>", "v", 2, 8, 0, "<v_-1_0>", "negative head"),
    ("<v_01_1>", "v", 2, 8, 0, "<v_01_1>", "head '01' is not a plain decimal"),
    ("<v_0_1_2>", "v", 2, 8, 0, "<v_0_1_2>", "malformed token"),
    ("<x_0_1>", "v", 2, 8, 0, "<x_0_1>", "unknown prefix 'x'"),
    ("<v_0_1>, <v_1_2>", "v", 2, 8, 7, ",", "unexpected text between tokens"),
    ("<v_0_1>hello<v_1_2>", "v", 2, 8, 7, "hello", "unexpected text between tokens"),
    ("<|frame_start|><v_0_1><|frame_end|>", "v", 2, 8, 22, "<|frame_end|>", "marker inside a vector"),
    ("<|frame_begin|>", "v", 2, 8, 0, "<|frame_begin|>", "unknown marker"),
    ("", "v", 2, 8, 0, "", "no <v_HEAD_CODE> tokens in the input (empty)"),
    ("  \n ", "v", 2, 8, 0, "  \n ", "no <v_HEAD_CODE> tokens"),
    ("<|frame_start|><|frame_end|>", "v", 2, 8, 0, "<|frame_start|><|frame_end|>", "only markers"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "prefix", "heads", "size", "offset", "found", "reason"), ERRORS)
def test_parse_errors_say_what_and_where(text, prefix, heads, size, offset, found, reason):
    with pytest.raises(TokenParseError) as caught:
        parse_codes(text, prefix, heads, size)
    error = caught.value
    assert (error.offset, error.token) == (offset, found)
    message = str(error)
    assert reason in message
    assert f"at offset {offset}" in message
    if found.strip():
        assert repr(found) in message
        _, excerpt, caret = message.split("\n")[:3]
        column = caret.index("^")
        assert excerpt[column : column + len(found)] == found
        assert caret.strip() == "^" * len(found)


def test_an_incomplete_last_vector_points_at_its_first_token():
    vector = "".join(token("v", h, 1) for h in range(8))
    text = vector + "".join(token("v", h, 2) for h in range(5))
    with pytest.raises(TokenParseError, match="incomplete last vector: 5 of 8 heads") as caught:
        parse_codes(text, "v", 8, 256)
    assert caught.value.offset == len(vector)
    assert "at offset 56" in str(caught.value)


def test_long_input_is_shown_as_an_excerpt_with_line_and_column():
    good = "<|frame_start|>" + format_codes(list(range(8)), "v") + "<|frame_end|>\n"
    text = good * 20 + "<v_0_1><v_1_300>" + good
    with pytest.raises(TokenParseError) as caught:
        parse_codes(text, "v", 8, 256)
    message = str(caught.value)
    assert f"at offset {len(good) * 20 + 7} (line 21, column 8)" in message
    excerpt = message.split("\n")[1]
    assert excerpt.startswith("  ...") and excerpt.endswith("...") and len(excerpt) < 120


def test_parse_errors_are_user_errors():
    with pytest.raises(AutocutError) as caught:
        parse_codes("<v_0_9>", "v", 1, 4)
    assert isinstance(caught.value, InputError) and caught.value.exit_code == 2


@st.composite
def formatted(draw):
    heads = draw(st.integers(1, 8))
    size = draw(st.integers(1, 300))
    prefix = draw(st.sampled_from(["v", "a"]))
    rows = draw(st.integers(1, 12))
    codes = np.array(
        draw(st.lists(st.integers(0, size - 1), min_size=rows * heads, max_size=rows * heads)),
        dtype=np.int64,
    ).reshape(rows, heads)
    separators = st.sampled_from(["", " ", "\n", "\t", "<|frame_end|><|frame_start|>",
                                  " <|clip_end|>\n<|clip_start|> "])  # fmt: skip
    text = draw(separators).join(format_codes(row, prefix) for row in codes)
    if draw(st.booleans()):
        text = format_frames(codes, prefix)
    return text, prefix, heads, size, codes


@settings(max_examples=200)
@given(formatted())
def test_format_then_parse_round_trips(case):
    text, prefix, heads, size, codes = case
    parsed = parse_codes(text, prefix, heads, size)
    assert parsed.shape == codes.shape
    assert np.array_equal(parsed, codes)


PIECES = ["<", ">", "|", "_", "v", "a", "0", "1", "7", "-", " ", "\n", "x", "<v_0_1>",
          "<v_1_2>", "<a_0_1>", "<|frame_start|>", "<|frame_end|>", "<|", "|>", "é", "\x00"]  # fmt: skip


@settings(max_examples=400)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join), st.integers(1, 3))
def test_garbage_never_raises_anything_but_a_token_parse_error(text, heads):
    try:
        codes = parse_codes(text, "v", heads, 4)
    except TokenParseError as error:
        assert 0 <= error.offset <= len(text)
        assert re.search(r"at offset \d+", str(error))
    else:
        assert codes.ndim == 2 and codes.shape[1] == heads and len(codes) >= 1


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_arbitrary_text_never_raises_anything_but_a_token_parse_error(text):
    with contextlib.suppress(TokenParseError):
        parse_codes(text, "a", 2, 16)
