"""The VSC and SQ judges against a loopback chat server: valid, out-of-range, malformed."""

from __future__ import annotations

import base64
import json

import pytest

from autocut_core.llm.chat import ChatClient
from autocut_core.llm.judges import (
    Judge,
    JudgeError,
    LengthStatistic,
    judge_prompt,
    length_statistic,
    read_sq,
    read_vsc,
)
from autocut_core.testing.chat_server import Reply
from autocut_core.types import Product

PRODUCT = Product(name="Trail Runner 2", brand="Acme", selling_points=("light", "waterproof"))
REFERENCE = ["Light as air.", "Rain? No problem at all.", "Run further."]
GENERATED = ["So light.", "Rain? Never a problem for these shoes.", "Run further today."]
SQ_ANSWER = {
    "basic_quality": 27,
    "expression": 31,
    "length_rhythm": 22,
    "total": 80,
    "justification": "Accurate and lively; line 2 runs long.",
}


@pytest.fixture
def judge(fast_settings) -> Judge:
    return Judge(ChatClient(fast_settings), reask=False)


@pytest.fixture
def frame(tmp_path, tiny_video):
    from autocut_core.media.frame_grab import frame_jpeg

    path = tmp_path / "frame.jpg"
    path.write_bytes(frame_jpeg(tiny_video, 1.0, 96))
    return path


def test_prompt_files_are_packaged():
    assert "0, 1 or 2" in judge_prompt("vsc")
    assert '"basic_quality": <0-30>' in judge_prompt(
        "sq"
    ) and "length_rhythm (0-30)" in judge_prompt("sq")


# --- VSC -------------------------------------------------------------------------------------


def test_vsc_sends_the_frame_and_the_line(server, judge, frame):
    server.push(Reply.text("2"))
    assert judge.vsc(frame, "  A runner   laces up. ") == 2
    request = server.requests[0]
    assert request.messages[0] == {"role": "system", "content": judge_prompt("vsc")}
    assert request.text().endswith("Script line: A runner laces up.\nFrame:")
    (url,) = request.images()
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == frame.read_bytes()  # small JPEG: as it is
    assert judge.last_flags == ()


def test_vsc_of_a_clip_uses_its_middle_frame(server, judge, tiny_video):
    server.push(Reply.text("1"))
    assert judge.vsc_clip(tiny_video, 1.0, 3.0, "The product in the rain.") == 1
    assert len(server.requests[0].images()) == 1


@pytest.mark.parametrize(
    ("answer", "score", "flags"),
    [
        ("0", 0, ()),
        ("2.", 2, ()),
        ("Score: 1", 1, ("ignored the text around the score",)),
        ("```\n2\n```", 2, ("took the answer out of its code fence",)),
    ],
)
def test_vsc_answers_read(answer, score, flags):
    assert read_vsc(answer) == (score, flags)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("3", "score 3 is out of range 0..2"),
        ("1 or 2", "2 numbers found (1, 2), one wanted"),
        ("strong alignment", "no score found"),
    ],
)
def test_vsc_invalid_answers(server, judge, frame, answer, reason):
    server.push(Reply.text(answer))
    with pytest.raises(JudgeError) as caught:
        judge.vsc(frame, "A line.")
    assert caught.value.reason == reason
    assert str(caught.value) == (
        f"{judge.client.label}: VSC judge: {reason}; expected a single digit 0, 1 or 2; "
        f"got {answer!r}"
    )


def test_vsc_reask_once(server, fast_settings, frame):
    server.push(Reply.text("3"), Reply.text("1"))
    judge = Judge(ChatClient(fast_settings), reask=True)
    assert judge.vsc(frame, "A line.") == 1
    assert server.requests[1].messages[-1]["content"] == (
        "That answer cannot be used: score 3 is out of range 0..2. Answer again with only a "
        "single digit 0, 1 or 2."
    )


# --- SQ --------------------------------------------------------------------------------------


def test_sq_valid(server, judge):
    server.push(Reply.text(json.dumps(SQ_ANSWER)))
    result = judge.sq(PRODUCT, REFERENCE, GENERATED)

    assert (result.basic_quality, result.expression, result.length_rhythm) == (27, 31, 22)
    assert result.total == 80 and result.reported_total is None and result.flags == ()
    assert result.justification == "Accurate and lively; line 2 runs long."
    request = server.requests[0]
    assert request.messages[0]["content"] == judge_prompt("sq")
    user = request.text()
    assert "Product facts:\nProduct: Trail Runner 2" in user
    assert "Reference script (3 lines):\n1. Light as air." in user
    assert "Generated script (3 lines):\n1. So light.\n2. Rain? Never a problem" in user
    assert "Line 2: reference 5, generated 7, difference +2" in user
    assert "Mean absolute difference per line: 1.33 over 3 lines." in user


def test_sq_total_is_recomputed_and_flagged(server, judge):
    server.push(Reply.text(json.dumps({**SQ_ANSWER, "total": 85})))
    result = judge.sq(PRODUCT, REFERENCE, GENERATED)
    assert result.total == 80 and result.reported_total == 85
    assert result.flags == ("total 85 is not the sum of the categories; recomputed as 80",)


@pytest.mark.parametrize(
    ("answer", "flag"),
    [
        (
            "Here is my evaluation:\n" + json.dumps(SQ_ANSWER) + "\nThanks.",
            "ignored the text around the JSON object",
        ),
        (
            "```json\n" + json.dumps(SQ_ANSWER, indent=2) + "\n```",
            "took the answer out of its code fence",
        ),
        (json.dumps({**SQ_ANSWER, "expression": "31"}), "read expression from the string '31'"),
        (
            json.dumps({k: v for k, v in SQ_ANSWER.items() if k != "total"}),
            "no total given; used the sum of the categories",
        ),
    ],
)
def test_sq_unambiguous_repairs(answer, flag):
    result, flags = read_sq(answer)
    assert result.total == 80 and flag in flags and result.flags == flags


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (json.dumps({**SQ_ANSWER, "expression": 45}), "expression 45 is out of range 0..40"),
        (json.dumps({**SQ_ANSWER, "basic_quality": -1}), "basic_quality -1 is out of range 0..30"),
        (json.dumps({**SQ_ANSWER, "total": 120}), "total 120 is out of range 0..100"),
        (
            json.dumps({k: v for k, v in SQ_ANSWER.items() if k != "length_rhythm"}),
            "'length_rhythm' is missing",
        ),
        (json.dumps({**SQ_ANSWER, "expression": "high"}), "expression is 'high', not a number"),
        (json.dumps({**SQ_ANSWER, "expression": True}), "expression is True, not a number"),
        ('{"basic_quality": 27, "expression": 31,', "the JSON object is malformed"),
        ("I would give it 80 points.", "no JSON object found"),
        ("[27, 31, 22]", "the JSON is a list, not an object"),
        (json.dumps(SQ_ANSWER) + "\n" + json.dumps(SQ_ANSWER), "2 JSON objects found, one wanted"),
    ],
)
def test_sq_invalid_answers(server, judge, answer, reason):
    server.push(Reply.text(answer))
    with pytest.raises(JudgeError) as caught:
        judge.sq(PRODUCT, REFERENCE, GENERATED)
    assert caught.value.reason == reason and caught.value.metric == "SQ"
    assert judge.client.label in str(caught.value)


def test_sq_reask_then_cache_then_summary(server, fast_options):
    from autocut_core.llm.chat import ChatSettings

    settings = ChatSettings(
        **fast_options, price_per_1k_prompt=0.0025, price_per_1k_completion=0.01
    )
    server.push(Reply.text("80/100"), Reply.text(json.dumps(SQ_ANSWER), prompt_tokens=400))
    judge = Judge(ChatClient(settings))
    first = judge.sq(PRODUCT, REFERENCE, GENERATED)
    again = judge.sq(PRODUCT, REFERENCE, GENERATED)  # the same two requests, both cached now

    assert first == again and first.total == 80
    assert len(server.requests) == 2
    assert judge.usage.calls == 4 and judge.usage.cached == 2
    summary = judge.summary()
    assert summary.startswith(
        f"judge gpt-4o at {server.url}/chat/completions: 4 calls (2 from cache"
    )
    assert "cost 0." in summary


def test_sq_needs_scripts(judge):
    with pytest.raises(ValueError, match="generated script"):
        judge.sq(PRODUCT, REFERENCE, ["  "])


def test_length_statistic_counts_like_wcd():
    statistic = length_statistic(
        ["轻如空气。", "Rain? No problem."], ["轻。", "Rain is fine, really.", "Extra."]
    )
    assert statistic.reference == (4, 3) and statistic.generated == (1, 4, 1)
    assert statistic.differences == (-3, 1)
    assert statistic.mean_abs_difference == 2.0
    text = statistic.describe()
    assert "Line 3: reference (no line), generated 1" in text
    assert "Lines: reference 2, generated 3 (different counts)" in text
    assert "nan" not in LengthStatistic((), (1,)).describe()
