"""The chat client against a loopback server: answers, retries, timeouts, cache, accounting."""

from __future__ import annotations

import base64
import json
import random
import socket
import time

import pytest

from autocut_core.llm.chat import (
    ChatClient,
    ChatConnectionError,
    ChatError,
    ChatHTTPError,
    ChatResponseError,
    ChatSettings,
    ChatTimeoutError,
    ResponseCache,
    _retry_after,
    image_part,
    user_message,
)
from autocut_core.testing.chat_server import LocalChatServer, Reply

HELLO = [user_message("Say hi.")]


def test_answer_usage_and_request_body(server, fast_settings):
    server.responder = lambda request: "hi there"
    client = ChatClient(fast_settings)

    response = client.complete(HELLO)

    assert response.text == "hi there"
    assert (response.prompt_tokens, response.cached, response.finish_reason) == (10, False, "stop")
    body = server.requests[0].body
    assert body["model"] == "gpt-4o"
    assert body["temperature"] == 0.0
    assert body["messages"] == [{"role": "user", "content": "Say hi."}]
    assert "max_tokens" not in body and "logprobs" not in body
    assert "authorization" not in server.requests[0].headers  # no key configured, none sent


def test_key_from_the_named_environment_variable(monkeypatch, fast_options):
    monkeypatch.setenv("MY_CHAT_KEY", "sk-secret-123")
    with LocalChatServer(api_key="sk-secret-123") as server:
        options = {**fast_options, "base_url": server.url, "api_key_env": "MY_CHAT_KEY"}
        client = ChatClient(ChatSettings(**options))
        assert client.complete(HELLO).text == "ok"
        assert server.requests[0].headers["authorization"] == "Bearer sk-secret-123"
        assert "sk-secret" not in repr(client.settings)


def test_wrong_key_fails_at_once_and_never_shows_the_key(fast_options):
    with LocalChatServer(api_key="right") as server:
        options = {**fast_options, "base_url": server.url, "api_key": "sk-wrong-456"}
        client = ChatClient(ChatSettings(**options))
        with pytest.raises(ChatHTTPError) as caught:
            client.complete(HELLO)
    assert caught.value.status == 401
    assert len(server.requests) == 1  # a 4xx other than 429 is not retried
    message = str(caught.value)
    assert server.url in message and "HTTP 401" in message and "Incorrect API key" in message
    assert "sk-wrong-456" not in message


def test_no_key_for_openai_fails_before_sending(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    client = ChatClient(ChatSettings(cache_dir=tmp_path))  # default base_url: api.openai.com
    with pytest.raises(ChatError, match="no API key: set the OPENAI_API_KEY environment"):
        client.complete(HELLO)
    assert client.usage.http_requests == 0


def test_a_key_echoed_in_an_error_body_is_redacted(server, fast_options):
    server.push(Reply.status_code(400, "bad request from key sk-echo-789"))
    client = ChatClient(ChatSettings(**{**fast_options, "api_key": "sk-echo-789"}))
    with pytest.raises(ChatHTTPError) as caught:
        client.complete(HELLO)
    assert "sk-echo-789" not in str(caught.value) and "[API key]" in str(caught.value)


def test_429_waits_at_least_retry_after(server, fast_settings):
    server.push(Reply.status_code(429, "slow down", retry_after="0.3"))
    client = ChatClient(fast_settings)

    started = time.monotonic()
    assert client.complete(HELLO).text == "ok"

    assert time.monotonic() - started >= 0.3
    assert client.delays[0] >= 0.3
    assert (len(server.requests), client.usage.retries, client.usage.http_requests) == (2, 1, 2)


def test_500_then_success_backs_off_once(server, fast_settings):
    server.push(Reply.status_code(500, "boom"))
    client = ChatClient(fast_settings)
    assert client.complete(HELLO).text == "ok"
    assert len(server.requests) == 2
    assert len(client.delays) == 1 and 0.005 <= client.delays[0] <= 0.01


def test_back_off_doubles_with_jitter_then_gives_up(server, fast_options):
    server.push(*[Reply.status_code(503, "overloaded")] * 4)
    slept: list[float] = []
    settings = ChatSettings(
        **{**fast_options, "max_retries": 3, "backoff": 1.0, "backoff_max": 3.0}
    )
    client = ChatClient(settings, sleep=slept.append, rng=random.Random(7))

    with pytest.raises(ChatHTTPError) as caught:
        client.complete(HELLO)

    assert caught.value.status == 503
    assert "HTTP 503 after 4 tries" in str(caught.value) and "overloaded" in str(caught.value)
    assert len(server.requests) == 4 and client.usage.retries == 3
    jitter = random.Random(7)
    expected = [c / 2 + jitter.random() * c / 2 for c in (1.0, 2.0, 3.0)]  # capped at backoff_max
    assert slept == pytest.approx(expected)
    assert slept[0] < slept[1] < slept[2] <= 3.0


def test_retry_after_is_capped_by_backoff_max(server, fast_options):
    server.push(Reply.status_code(429, retry_after="3600"))
    slept: list[float] = []
    client = ChatClient(ChatSettings(**{**fast_options, "backoff_max": 1.5}), sleep=slept.append)
    assert client.complete(HELLO).text == "ok"
    assert slept == [1.5]


def test_other_client_errors_are_not_retried(server, fast_settings):
    server.push(Reply.status_code(404, "model 'nope' not found"))
    client = ChatClient(fast_settings)
    with pytest.raises(ChatHTTPError, match=r"HTTP 404: .*model 'nope' not found"):
        client.complete(HELLO)
    assert len(server.requests) == 1 and client.usage.retries == 0


def test_a_hang_times_out_then_the_retry_succeeds(server, fast_options):
    server.push(Reply.hang(5))
    client = ChatClient(ChatSettings(**{**fast_options, "timeout": 0.3}))
    started = time.monotonic()
    assert client.complete(HELLO).text == "ok"
    assert 0.3 <= time.monotonic() - started < 2.0
    assert len(server.requests) == 2


def test_hanging_on_every_try_is_a_timeout_error(server, fast_options):
    server.push(*[Reply.hang(5)] * 2)
    client = ChatClient(ChatSettings(**{**fast_options, "timeout": 0.2, "max_retries": 1}))
    started = time.monotonic()
    with pytest.raises(ChatTimeoutError) as caught:
        client.complete(HELLO)
    assert 0.4 <= time.monotonic() - started < 2.0
    assert str(caught.value) == (
        f"chat endpoint {server.url}/chat/completions: timed out after 2 tries "
        "(no answer within 0.2 s)"
    )


def test_nothing_listening_is_a_connection_error(fast_options):
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    options = {**fast_options, "base_url": f"http://127.0.0.1:{port}/v1", "max_retries": 1}
    with pytest.raises(ChatConnectionError, match=rf"127.0.0.1:{port}.*gave up after 2 tries"):
        ChatClient(ChatSettings(**options)).complete(HELLO)


def test_malformed_json_body_is_named_and_not_retried(server, fast_settings):
    server.push(Reply.raw('{"choices": [{"message": '))
    client = ChatClient(fast_settings)
    with pytest.raises(ChatResponseError, match=r"the body is not valid JSON: '\{\"choices\""):
        client.complete(HELLO)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"choices": []}, "expected a non-empty 'choices' list, got an object with keys [choices]"),
        ({"error": "x"}, "expected a non-empty 'choices' list, got an object with keys [error]"),
        ({"choices": [{"message": {"role": "assistant"}}]}, "no text in choices[0].message"),
        ({"choices": [{"message": {"content": None, "refusal": "I can't"}}]}, "refused: I can't"),
        ([1, 2], "expected a JSON object, got '[1, 2]'"),
    ],
)
def test_bodies_of_the_wrong_shape(server, fast_settings, body, problem):
    server.push(Reply.json(body))
    with pytest.raises(ChatResponseError) as caught:
        ChatClient(fast_settings).complete(HELLO)
    assert problem in str(caught.value)


def test_cache_hit_sends_no_request_and_survives_a_new_client(server, fast_settings):
    client = ChatClient(fast_settings)
    first = client.complete(HELLO)
    second = client.complete(HELLO)
    again = ChatClient(fast_settings).complete(HELLO)

    assert len(server.requests) == 1
    assert (first.cached, second.cached, again.cached) == (False, True, True)
    assert second.text == first.text and second.prompt_tokens == first.prompt_tokens
    assert (client.usage.calls, client.usage.cached, client.usage.http_requests) == (2, 1, 1)
    assert client.usage.prompt_tokens == 10 and client.usage.cached_prompt_tokens == 10


def test_cache_key_covers_model_messages_and_parameters(server, fast_options):
    ChatClient(ChatSettings(**fast_options)).complete(HELLO)
    ChatClient(ChatSettings(**{**fast_options, "temperature": 0.7})).complete(HELLO)
    ChatClient(ChatSettings(**{**fast_options, "model": "other"})).complete(HELLO)
    ChatClient(ChatSettings(**fast_options)).complete([user_message("Say bye.")])
    ChatClient(ChatSettings(**{**fast_options, "timeout": 3.0})).complete(HELLO)  # not in key
    assert len(server.requests) == 4


def test_a_damaged_cache_entry_is_a_miss_and_is_rewritten(server, fast_settings):
    client = ChatClient(fast_settings)
    client.complete(HELLO)
    key = ResponseCache.key(fast_settings.base_url, client.payload(HELLO))
    client.cache.path(key).write_text("{not json", encoding="utf-8")

    assert client.complete(HELLO).cached is False
    assert client.complete(HELLO).cached is True
    assert len(server.requests) == 2
    stored = json.loads(client.cache.path(key).read_text(encoding="utf-8"))
    assert stored["model"] == "gpt-4o" and stored["response"]["choices"]


def test_cache_off_always_asks(server, fast_options):
    client = ChatClient(ChatSettings(**{**fast_options, "cache": False}))
    client.complete(HELLO)
    client.complete(HELLO)
    assert len(server.requests) == 2 and client.cache is None


def test_usage_summary_and_cost(server, fast_options):
    server.responder = lambda request: Reply.text("fine", prompt_tokens=1000, completion_tokens=500)
    settings = ChatSettings(
        **fast_options, price_per_1k_prompt=0.005, price_per_1k_completion=0.015
    )
    client = ChatClient(settings)
    client.complete(HELLO)
    client.complete(HELLO)  # from the cache: costs nothing
    server.push(Reply.status_code(502))
    client.complete([user_message("again")])

    usage = client.usage
    assert usage.cost == pytest.approx(2 * 0.0125)
    assert usage.as_dict()["cost"] == pytest.approx(0.025)
    assert usage.summary() == (
        "3 calls (1 from cache (1,000 + 500 tokens reused)), 3 HTTP requests, 1 retries, "
        "2,000 prompt + 1,000 completion tokens, cost 0.0250"
    )


def test_no_prices_no_cost(server, fast_settings):
    client = ChatClient(fast_settings)
    client.complete(HELLO)
    assert client.usage.cost is None and "cost" not in client.usage.summary()


def test_image_parts_travel_as_data_urls(server, fast_settings):
    jpeg = b"\xff\xd8\xff\xe0 tiny jpeg"
    message = user_message(["Look: ", "here", image_part(jpeg, detail="low"), "What is it?"])
    ChatClient(fast_settings).complete([message])

    content = server.requests[0].body["messages"][0]["content"]
    assert [part["type"] for part in content] == ["text", "image_url", "text"]
    assert content[0]["text"] == "Look: here"
    url = content[1]["image_url"]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == jpeg
    assert content[1]["image_url"]["detail"] == "low"


def test_extra_body_and_logprobs_are_sent(server, fast_options):
    options = {**fast_options, "extra_body": {"top_k": 1}, "max_tokens": 20, "seed": 3}
    server.responder = lambda request: Reply.text(
        "[1]", logprobs=[("[", -0.1), ("1", -0.2), ("]", 0.0)]
    )
    response = ChatClient(ChatSettings(**options)).complete(HELLO, logprobs=True)
    body = server.requests[0].body
    assert (body["top_k"], body["max_tokens"], body["seed"], body["logprobs"]) == (1, 20, 3, True)
    assert [t.token for t in response.logprobs] == ["[", "1", "]"]


def test_retry_after_parsing():
    assert _retry_after("2") == 2.0
    assert _retry_after("0.25") == 0.25
    assert _retry_after("-3") == 0.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    in_a_minute = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 60))
    assert 55 <= _retry_after(in_a_minute) <= 61


def test_none_words_unset_optional_parameters(server, fast_options):
    # TOML has no null: `temperature = "none"` leaves the parameter to the server.
    settings = ChatSettings(**{**fast_options, "temperature": "none", "max_tokens": "null"})
    ChatClient(settings).complete(HELLO)
    assert "temperature" not in server.requests[0].body
    assert "max_tokens" not in server.requests[0].body
