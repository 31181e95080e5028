"""The prompt templates and the one definition of the answers: round trips and refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autocut_core.editing.prompts import (
    ANSWER_KEYS,
    TASKS,
    AnswerParseError,
    build_prompt,
    clip_block,
    format_answer,
    leaked_sentences,
    parse_answer,
    prompt_language,
    system_prompt,
)
from autocut_core.tokens.strings import parse_codes
from autocut_core.types import Candidate, Clip, Product

PRODUCT = Product("sparkling juice", "Luma", "drinks", ("light and fresh", "no added sugar"))
SCRIPT = ["A shiny red apple.", "A ripe orange."]


def candidates(count: int) -> list[Candidate]:
    return [
        Candidate(
            Clip(f"src{i}", 0.0, 2.0),
            tokens=f"<|frame_start|><v_0_{i}><v_1_{i + 1}><|frame_end|>",
            caption=f"sentence number {i}",
        )
        for i in range(count)
    ]


# --- round trips ---------------------------------------------------------------------------

indices = st.lists(st.integers(0, 500), min_size=1, max_size=30, unique=True).map(sorted)
permutations = st.integers(1, 30).flatmap(lambda n: st.permutations(list(range(n))))
line_text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and len(s.splitlines()) == 1 and s == s.splitlines()[0]
)
lines = st.lists(line_text, min_size=1, max_size=12)
audio = st.lists(st.integers(0, 300), min_size=1, max_size=16).map(
    lambda codes: "".join(f"<a_{head}_{code}>" for head, code in enumerate(codes))
)


@given(indices)
def test_select_answers_round_trip(value):
    text = format_answer("select", value)
    assert parse_answer("select", text) == value
    assert parse_answer("select", text, candidates=max(value) + 1, count=len(value)) == value


@given(permutations)
def test_sort_answers_round_trip(value):
    assert parse_answer("sort", format_answer("sort", value), candidates=len(value)) == value


@given(lines)
def test_script_answers_round_trip(value):
    assert parse_answer("script", format_answer("script", value), lines=len(value)) == value


@given(audio)
def test_music_answers_round_trip(value):
    text = format_answer("music", value)
    assert text.startswith("<|audio_start|>") and text.endswith("<|audio_end|>")
    assert parse_answer("music", text) == value


@given(st.lists(st.integers(0, 7), min_size=8, max_size=8))
def test_music_answers_check_heads_and_codebook(codes):
    tokens = "".join(f"<a_{head}_{code}>" for head, code in enumerate(codes))
    parsed = parse_answer("music", format_answer("music", tokens), heads=8, codebook_size=8)
    assert parsed == tokens
    assert parse_codes(parsed, "a", 8, 8).tolist() == [codes]


@given(st.sampled_from(TASKS), st.text(max_size=80))
def test_any_text_either_parses_or_raises_a_located_answer_error(task, text):
    try:
        parse_answer(task, text)
    except AnswerParseError as error:
        assert str(error).startswith(f"{task} answer: ")


def test_whitespace_around_an_answer_and_its_items_is_tolerated():
    assert parse_answer("select", " [ 3 ,1, 2 ]\n") == [1, 2, 3]
    assert parse_answer("sort", "[1,0]") == [1, 0]
    assert parse_answer("script", "\r\n first line \r\nsecond\n") == ["first line", "second"]
    assert parse_answer("music", " <|audio_start|><a_0_1><|audio_end|> ") == "<a_0_1>"


# --- refusals ------------------------------------------------------------------------------

GARBAGE = [
    ("select", "", "empty"),
    ("select", "2, 5, 7", "expected a list"),
    ("select", "The clips are [2, 5].", "expected a list"),
    ("select", "[2, 5] and more", "unexpected text after the list"),
    ("select", "[]", "the list is empty"),
    ("select", "[2, 2]", "appears twice"),
    ("select", "[2, -1]", "is not an index"),
    ("select", "[02]", "is not an index"),
    ("select", "[1.5]", "is not an index"),
    ("select", "[1,,2]", "an empty item"),
    ("select", "[1, 2", "no closing"),
    ("sort", "[0, 2]", "not a permutation"),
    ("sort", "[1, 1, 0]", "appears twice"),
    ("script", "   \n  ", "empty"),
    ("script", "one\n\nthree", "line 2 is blank"),
    ("music", "<a_0_1><a_1_2>", "expected <|audio_start|> first"),
    ("music", "<|audio_start|><a_0_1>", "expected <|audio_end|> last"),
    ("music", "<|audio_start|><|audio_end|>", "no audio tokens"),
    ("music", "<|audio_start|><a_0_1><v_1_2><|audio_end|>", "only <a_HEAD_CODE>"),
    ("music", "<|audio_start|><a_0_1> hello<|audio_end|>", "only <a_HEAD_CODE>"),
    ("music", "<|audio_start|><a_0_01><|audio_end|>", "only <a_HEAD_CODE>"),
]


@pytest.mark.parametrize(("task", "text", "reason"), GARBAGE)
def test_garbage_answers_are_refused_with_the_reason(task, text, reason):
    with pytest.raises(AnswerParseError, match=f"^{task} answer: .*{_escape(reason)}"):
        parse_answer(task, text)


def _escape(text: str) -> str:
    import re

    return re.escape(text)


@pytest.mark.parametrize(
    ("task", "text", "kwargs", "reason"),
    [
        ("select", "[0, 4]", {"candidates": 4}, "index 4 out of range"),
        ("select", "[0, 1]", {"count": 3}, "2 clips chosen, 3 wanted"),
        ("sort", "[1, 0]", {"candidates": 3}, "not a permutation of 0..2"),
        ("script", "a\nb", {"lines": 3}, "2 lines written, 3 wanted"),
        ("music", "<|audio_start|><a_0_1><a_1_9><|audio_end|>",
         {"heads": 2, "codebook_size": 4}, "code 9 out of range"),
        ("music", "<|audio_start|><a_0_1><a_2_1><|audio_end|>",
         {"heads": 2, "codebook_size": 4}, "head 2 out of range"),
        ("music", "<|audio_start|><a_0_1><a_1_1><a_0_1><a_1_1><|audio_end|>",
         {"heads": 2, "codebook_size": 4}, "one track is one vector"),
        ("music", "<|audio_start|><a_0_1><|audio_end|>",
         {"heads": 2, "codebook_size": 4}, "incomplete last vector"),
    ],
)  # fmt: skip
def test_answers_are_checked_against_the_task(task, text, kwargs, reason):
    with pytest.raises(AnswerParseError, match=_escape(reason)):
        parse_answer(task, text, **kwargs)


@pytest.mark.parametrize(
    ("task", "answer"),
    [
        ("select", []), ("select", [1, 1]), ("select", [-1]), ("select", [True]),
        ("select", "[1]"), ("sort", [0, 2]), ("script", []), ("script", ["ok", "  "]),
        ("script", ["two\nlines"]), ("script", "one line"), ("music", "<v_0_1>"),
        ("music", "<|audio_start|><a_0_1><|audio_end|>"), ("music", ""),
    ],
)  # fmt: skip
def test_format_answer_refuses_invalid_answers(task, answer):
    with pytest.raises(ValueError, match=f"{task} answer"):
        format_answer(task, answer)


def test_unknown_tasks_and_languages_are_refused():
    with pytest.raises(ValueError, match="unknown task 'edit'"):
        parse_answer("edit", "[1]")
    with pytest.raises(ValueError, match="unknown prompt language 'fr'"):
        system_prompt("select", "fr")


# --- prompts -------------------------------------------------------------------------------


def test_chinese_prompts_follow_the_bracketed_layout():
    system, human = build_prompt("select", PRODUCT, SCRIPT, candidates(4), "zh")
    for label in ("【商品】sparkling juice", "【品牌】Luma", "【类目】drinks", "【卖点】light and fresh；no added sugar", "【脚本】共2句", "【候选片段】共4个"):  # fmt: skip
        assert label in human
    assert "请选出属于这条广告的2个片段" in human
    assert "[0, 2, 5]" in system and "你是 AutoCut" in system


def test_empty_product_fields_are_shown_as_such():
    _, english = build_prompt("script", Product("juice"), None, candidates(1), "en")
    _, chinese = build_prompt("script", Product("果汁"), None, candidates(1), "zh")
    assert "Brand: -" in english and "Selling points: -" in english
    assert "【品牌】无" in chinese and "【卖点】无" in chinese


def test_no_prompt_shows_a_clips_own_sentence():
    for task in TASKS:
        _, human = build_prompt(task, PRODUCT, SCRIPT, candidates(3), "en")
        assert "<|text_start|>" not in human and "sentence number" not in human
        assert "[2] <|clip_start|>" in human
        assert "<|video_start|><|frame_start|><v_0_2><v_1_3><|frame_end|><|video_end|>" in human
        assert ("Script (2 sentences):" in human) == (task != "script")


def test_prompts_say_how_many_clips_and_lines_are_wanted():
    assert (
        "Select the 3 clips" in build_prompt("select", PRODUCT, SCRIPT, candidates(6), count=3)[1]
    )
    assert "Write 4 lines" in build_prompt("script", PRODUCT, None, candidates(4))[1]
    with pytest.raises(ValueError, match="needs the script"):
        build_prompt("sort", PRODUCT, None, candidates(2))
    with pytest.raises(ValueError, match="at least one candidate"):
        build_prompt("music", PRODUCT, SCRIPT, [])


def test_each_task_has_its_own_system_prompt_in_both_languages():
    prompts = {system_prompt(task, lang) for task in TASKS for lang in ("en", "zh")}
    assert len(prompts) == 8
    assert set(ANSWER_KEYS) == set(TASKS)


def test_the_prompt_language_follows_the_script():
    assert prompt_language(["画面里是一颗红亮的苹果。"]) == "zh"
    assert prompt_language(SCRIPT) == "en"
    assert prompt_language("Luma 果汁 is great") == "en"


def test_leaked_sentences_finds_a_clip_that_carries_a_script_line():
    """A select prompt whose positive carries its sentence (the old builder's) is found;
    sentences that appear only in the script section are not leaks."""
    _, clean = build_prompt("select", PRODUCT, SCRIPT, candidates(3), "en")
    assert leaked_sentences(clean, SCRIPT) == []
    old = clean + "\n[3] " + clip_block("<|frame_start|><v_0_1><|frame_end|>", " A  ripe orange. ")
    assert leaked_sentences(old, SCRIPT) == ["A ripe orange."]
