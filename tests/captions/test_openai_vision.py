"""``openai-vision`` against a real HTTP server on loopback: what it sends, retries, parsing."""

from __future__ import annotations

import base64

import pytest
from autocut_plugins.openai_vision import OpenAIVisionCaptioner, parse_caption

from autocut_core.contracts import SAMPLE_PICTURES, sample_jpeg
from autocut_core.errors import CaptionError
from autocut_core.llm.chat import ChatError
from autocut_core.testing import LocalChatServer
from autocut_core.testing.chat_server import Reply


@pytest.fixture(scope="module")
def frames() -> list[bytes]:
    return [sample_jpeg(source, 320) for source in SAMPLE_PICTURES]


def _captioner(server: LocalChatServer, **options) -> OpenAIVisionCaptioner:
    base = {"base_url": server.url, "model": "qwen2.5-vl", "cache": False, "backoff": 0.0}
    return OpenAIVisionCaptioner.from_options({**base, **options})


def test_frames_go_as_jpeg_data_urls_with_the_prompt(frames):
    with LocalChatServer(responder=lambda request: "A red apple on a table.") as server:
        caption = _captioner(server, prompt="What is in the shot?").describe(frames)
        seen = server.requests[-1]
    assert caption == "A red apple on a table."
    urls = seen.images()
    assert len(urls) == 2 and all(url.startswith("data:image/jpeg;base64,") for url in urls)
    assert [base64.b64decode(url.split(",", 1)[1]) for url in urls] == frames
    assert seen.text().endswith("What is in the shot?")
    assert seen.body["model"] == "qwen2.5-vl" and seen.body["max_tokens"] == 96


def test_a_busy_server_is_retried_with_backoff(frames):
    with LocalChatServer(responder=lambda request: "A butterfly.") as server:
        server.push(Reply.status_code(503, "busy"), Reply.status_code(429, retry_after="0"))
        assert _captioner(server, max_retries=2).describe(frames) == "A butterfly."
        assert len(server.requests) == 3


def test_a_server_that_keeps_failing_is_an_error_naming_it(frames):
    """`autocut caption` turns it into that clip's line of the summary."""
    server = LocalChatServer(responder=lambda request: Reply.status_code(500, "boom"))
    with server, pytest.raises(ChatError, match=r"HTTP 500 after 2 tries") as caught:
        _captioner(server, max_retries=1).describe(frames)
    assert server.url in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "caption"),
    [
        ('"A squirrel on a branch."', "A squirrel on a branch."),
        ("Caption: a grey office\n building", "a grey office building"),
        ("\u201cAn orange.\u201d", "An orange."),
    ],
)
def test_wrapped_answers_are_unwrapped(answer, caption):
    assert parse_caption(answer, "m") == caption


@pytest.mark.parametrize("answer", ["", "   ", '""', "Caption:"])
def test_an_answer_without_a_caption_is_refused(answer):
    with pytest.raises(CaptionError, match="no caption"):
        parse_caption(answer, "m")


def test_a_truncated_or_runaway_answer_is_refused(frames):
    truncated = Reply.json({"choices": [{"index": 0, "finish_reason": "length",
                                         "message": {"role": "assistant", "content": "A red"}}]})  # fmt: skip
    with LocalChatServer(responder=lambda request: "word " * 200) as server:
        server.push(truncated)
        captioner = _captioner(server)
        with pytest.raises(CaptionError, match="cut off at max_tokens"):
            captioner.describe(frames)
        with pytest.raises(CaptionError, match="more than one caption"):
            captioner.describe(frames)


def test_an_oversized_request_is_refused_before_it_is_sent(frames):
    with LocalChatServer(responder=lambda request: "x") as server:
        with pytest.raises(CaptionError, match="over max_request_bytes"):
            _captioner(server, max_request_bytes=10_000).describe([frames[0]] * 8 * 40)
        assert server.requests == []
