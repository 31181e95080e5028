"""A client for any OpenAI-compatible chat-completions endpoint.

The ``openai`` backbone and the LLM judges (VSC, SQ; paper §4.2, §7.3) both ask a chat model
questions over HTTP: OpenAI itself, or a local vLLM / llama.cpp / Ollama server that speaks the
same protocol (``POST {base_url}/chat/completions``). This module is the one place that knows
that protocol, so the backbone and the judges share:

- **retries** with exponential back-off and jitter on what is worth retrying (timeouts,
  dropped connections, HTTP 429 and 5xx), honouring ``Retry-After``; any other 4xx fails at
  once, because asking again cannot fix a bad request or a bad key;
- **a response cache on disk** keyed by a hash of (base URL, model, messages, parameters):
  an evaluation re-run, or a pipeline re-run with the same inputs, costs nothing;
- **usage and cost accounting** (prompt and completion tokens, optional prices per 1k tokens);
- **image parts** (base64 data URLs) for vision models.

The API key comes from the ``api_key`` option, else from the environment variable named by
``api_key_env`` (``OPENAI_API_KEY``). It is sent only in the ``Authorization`` header and is
removed from every message this module writes.

Only the standard library is used (``urllib.request``), so the core keeps no HTTP dependency.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, SecretStr, field_validator

from autocut_core.components import ComponentSettings
from autocut_core.errors import AutocutError

if TYPE_CHECKING:
    import urllib.error
    import urllib.request

DEFAULT_BASE_URL = "https://api.openai.com/v1"
#: Bump when the cache file layout changes, so old entries are ignored instead of misread.
CACHE_FORMAT = 1
_EXCERPT = 300
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
_NONE_WORDS = {"", "none", "null"}

Message = dict[str, Any]


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/autocut/chat`` (``~/.cache/autocut/chat``)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(root).expanduser() / "autocut" / "chat"


class ChatSettings(ComponentSettings):
    """How to reach a chat model. The ``openai`` backbone's options extend these."""

    base_url: str = Field(
        DEFAULT_BASE_URL,
        description="OpenAI-compatible API root; requests go to {base_url}/chat/completions "
        "(e.g. http://localhost:8000/v1 for vLLM or llama.cpp server)",
    )
    model: str = Field("gpt-4o", description="Model name sent with every request")
    api_key: SecretStr | None = Field(
        None, description="API key; prefer api_key_env so the key stays out of config files"
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY",
        description="Environment variable holding the API key when api_key is unset",
    )
    timeout: float = Field(60.0, gt=0, description="Seconds to wait for each HTTP attempt")
    max_retries: int = Field(
        4, ge=0, description="Extra attempts after timeouts, dropped connections, 429 and 5xx"
    )
    backoff: float = Field(1.0, ge=0, description="First retry delay in seconds (doubles per try)")
    backoff_max: float = Field(
        60.0, ge=0, description="Longest wait between tries, Retry-After included"
    )
    temperature: float | None = Field(
        0.0,
        description="Sampling temperature (0 = as deterministic as the server allows; "
        "None = leave it to the server, for models that refuse the parameter)",
    )
    max_tokens: int | None = Field(
        None, gt=0, description="Cap on answer tokens (None: server default)"
    )
    seed: int | None = Field(None, description="Sampling seed, for servers that honour one")
    cache: bool = Field(True, description="Reuse stored answers to identical requests")
    cache_dir: Path | None = Field(
        None, description="Where answers are stored (default ~/.cache/autocut/chat)"
    )
    price_per_1k_prompt: float | None = Field(
        None, ge=0, description="Price of 1,000 prompt tokens, for the cost summary"
    )
    price_per_1k_completion: float | None = Field(
        None, ge=0, description="Price of 1,000 completion tokens, for the cost summary"
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description='Extra request fields for a particular server (e.g. {"top_k": 1} for vLLM)',
    )

    @field_validator(
        "temperature", "max_tokens", "seed", "cache_dir", "price_per_1k_prompt",
        "price_per_1k_completion", mode="before",
    )  # fmt: skip
    @classmethod
    def _none_words(cls, value: Any) -> Any:
        # TOML has no null and `--backbone-opt temperature=none` arrives as a string.
        if isinstance(value, str) and value.strip().lower() in _NONE_WORDS:
            return None
        return value


# --- errors ----------------------------------------------------------------------------------


class ChatError(AutocutError):
    """A chat request that failed; the message names the endpoint and what went wrong."""

    def __init__(self, endpoint: str, problem: str):
        self.endpoint = endpoint
        self.problem = problem
        super().__init__(f"chat endpoint {endpoint}: {problem}")


class ChatHTTPError(ChatError):
    """The server answered with an HTTP error status."""

    def __init__(self, endpoint: str, status: int, body: str, attempts: int = 1):
        self.status = status
        self.body = body
        tries = f" after {attempts} tries" if attempts > 1 else ""
        super().__init__(endpoint, f"HTTP {status}{tries}: {body or '(empty body)'}")


class ChatTimeoutError(ChatError):
    """No answer within ``timeout`` seconds, on every try."""


class ChatConnectionError(ChatError):
    """The server could not be reached, on every try."""


class ChatResponseError(ChatError):
    """The server answered 200 with a body that is not a chat completion."""


# --- messages --------------------------------------------------------------------------------


def image_part(data: bytes, mime: str = "image/jpeg", detail: str = "auto") -> dict[str, Any]:
    """An ``image_url`` content part holding ``data`` as a base64 data URL."""
    encoded = base64.b64encode(data).decode("ascii")
    return {
        "type": "image_url",
        "image_url": {"url": f"data:{mime};base64,{encoded}", "detail": detail},
    }


def text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def user_message(content: str | Sequence[str | dict[str, Any]]) -> Message:
    """A user turn: plain text, or text and image parts in order (strings become text parts)."""
    if isinstance(content, str):
        return {"role": "user", "content": content}
    parts = [text_part(item) if isinstance(item, str) else item for item in content]
    if all(part["type"] == "text" for part in parts):
        return {"role": "user", "content": "".join(part["text"] for part in parts)}
    return {"role": "user", "content": _merge_text(parts)}


#: The English re-ask after an unreadable answer: the reader's exact complaint, then what to give.
REASK = "That answer cannot be used: {reason}. Answer again with only {expected}."


def reask_messages(messages: Sequence[Message], answer: str, instruction: str) -> list[Message]:
    """The conversation asked again: the first answer kept as the model's turn, then
    ``instruction`` (what was wrong, what to answer), so the model corrects its own words
    instead of starting over."""
    return [*messages, {"role": "assistant", "content": answer},
            {"role": "user", "content": instruction}]  # fmt: skip


def _merge_text(parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: list[dict[str, Any]] = []
    for part in parts:
        if part["type"] == "text" and merged and merged[-1]["type"] == "text":
            merged[-1] = text_part(merged[-1]["text"] + part["text"])
        else:
            merged.append(part)
    return merged


# --- responses and usage ---------------------------------------------------------------------


@dataclass(frozen=True)
class TokenLogprob:
    token: str
    logprob: float


@dataclass(frozen=True)
class ChatResponse:
    """One answer: its text, token counts, and whether it came from the cache."""

    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str | None = None
    cached: bool = False
    logprobs: tuple[TokenLogprob, ...] = ()


@dataclass
class Usage:
    """Running totals of one client's requests (thread-safe through its owner's lock)."""

    calls: int = 0
    cached: int = 0
    http_requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0
    price_per_1k_prompt: float | None = None
    price_per_1k_completion: float | None = None

    @property
    def cost(self) -> float | None:
        """What the non-cached tokens cost, when both prices are known."""
        if self.price_per_1k_prompt is None or self.price_per_1k_completion is None:
            return None
        return (
            self.prompt_tokens * self.price_per_1k_prompt
            + self.completion_tokens * self.price_per_1k_completion
        ) / 1000

    def as_dict(self) -> dict[str, Any]:
        data = {key: value for key, value in self.__dict__.items() if not key.startswith("price")}
        data["cost"] = self.cost
        return data

    def summary(self) -> str:
        """One line, e.g. ``12 calls (4 from cache), 2 retries, 3,210 + 450 tokens, $0.0123``."""
        cost = self.cost
        money = f", cost {cost:.4f}" if cost is not None else ""
        saved = (
            f" ({self.cached_prompt_tokens:,} + {self.cached_completion_tokens:,} tokens reused)"
            if self.cached
            else ""
        )
        return (
            f"{self.calls} calls ({self.cached} from cache{saved}), {self.http_requests} HTTP "
            f"requests, {self.retries} retries, {self.prompt_tokens:,} prompt + "
            f"{self.completion_tokens:,} completion tokens{money}"
        )


# --- the cache -------------------------------------------------------------------------------


class ResponseCache:
    """Answers stored as ``<dir>/<key[:2]>/<key>.json``, written atomically.

    An unreadable entry (edited by hand, from another format version) counts as a miss and is
    overwritten: the cache only ever saves requests, it is never the source of truth.
    """

    def __init__(self, directory: Path):
        self.directory = Path(directory).expanduser()

    @staticmethod
    def key(base_url: str, payload: Mapping[str, Any]) -> str:
        material = {"format": CACHE_FORMAT, "base_url": base_url.rstrip("/"), "request": payload}
        canonical = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            entry = json.loads(self.path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
            return None
        body = entry.get("response")
        return body if isinstance(body, dict) else None

    def put(self, key: str, base_url: str, model: str, body: Mapping[str, Any]) -> None:
        from autocut_core.fsutil import atomic_write_text

        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        entry = {
            "format": CACHE_FORMAT,
            "base_url": base_url,
            "model": model,
            "stored": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "response": body,
        }
        atomic_write_text(target, json.dumps(entry, ensure_ascii=False))


# --- the client ------------------------------------------------------------------------------


class _Retryable(Exception):
    """One failed attempt that another attempt may fix."""

    def __init__(self, kind: str, detail: str, retry_after: float | None = None, status: int = 0):
        super().__init__(detail)
        self.kind = kind  # "timeout", "connection" or "http"
        self.detail = detail
        self.retry_after = retry_after
        self.status = status


class ChatClient:
    """Sends chat requests with retries, caching and accounting (see the module docstring).

    ``sleep`` and ``rng`` are injectable so tests can count back-off delays without waiting.
    """

    def __init__(
        self,
        settings: ChatSettings | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        self.settings = settings if settings is not None else ChatSettings()
        self.endpoint = self.settings.base_url.rstrip("/") + "/chat/completions"
        self.cache = (
            ResponseCache(self.settings.cache_dir or default_cache_dir())
            if self.settings.cache
            else None
        )
        self.usage = Usage(
            price_per_1k_prompt=self.settings.price_per_1k_prompt,
            price_per_1k_completion=self.settings.price_per_1k_completion,
        )
        #: Seconds slept before each retry, in order (for reports and tests).
        self.delays: list[float] = []
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._opener = _opener_for(self.endpoint)

    @property
    def label(self) -> str:
        """``model at endpoint``: how error messages name this client."""
        return f"{self.settings.model} at {self.endpoint}"

    def api_key(self) -> str | None:
        if self.settings.api_key is not None:
            return self.settings.api_key.get_secret_value() or None
        name = self.settings.api_key_env
        return (os.environ.get(name) or None) if name else None

    def payload(self, messages: Sequence[Message], *, logprobs: bool = False) -> dict[str, Any]:
        """The JSON body for ``messages``: what is sent, and what the cache key hashes."""
        settings = self.settings
        body: dict[str, Any] = {"model": settings.model, "messages": list(messages)}
        if settings.temperature is not None:
            body["temperature"] = settings.temperature
        if settings.max_tokens is not None:
            body["max_tokens"] = settings.max_tokens
        if settings.seed is not None:
            body["seed"] = settings.seed
        if logprobs:
            body["logprobs"] = True
        body.update(settings.extra_body)
        return body

    def complete(self, messages: Sequence[Message], *, logprobs: bool = False) -> ChatResponse:
        """Ask once (retrying transient failures); the answer comes from the cache if stored."""
        if not messages:
            raise ValueError("complete() needs at least one message")
        payload = self.payload(messages, logprobs=logprobs)
        key = ResponseCache.key(self.settings.base_url, payload) if self.cache else ""
        if self.cache is not None:
            stored = self.cache.get(key)
            if stored is not None:
                try:
                    response = self._read(stored, cached=True)
                except ChatResponseError:
                    response = None  # a damaged entry is a miss
                if response is not None:
                    self._count(response)
                    return response
        body = self._post_with_retries(payload)
        response = self._read(body, cached=False)
        if self.cache is not None:
            self.cache.put(key, self.settings.base_url, self.settings.model, body)
        self._count(response)
        return response

    # -- transport ----------------------------------------------------------------------------

    def _post_with_retries(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = self.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        elif urllib.parse.urlsplit(self.endpoint).hostname == "api.openai.com":
            raise ChatError(
                self.endpoint,
                f"no API key: set the {self.settings.api_key_env or 'OPENAI_API_KEY'} "
                "environment variable (or the api_key option)",
            )
        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return self._post_once(data, headers)
            except _Retryable as failure:
                if attempt == attempts:
                    raise self._final_error(failure, attempts) from None
                delay = self._delay(attempt, failure.retry_after)
                with self._lock:
                    self.usage.retries += 1
                    self.delays.append(delay)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_once(self, data: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        # Imported here: plugin modules load at every `autocut` start, HTTP is rarely needed.
        import http.client
        import urllib.error
        import urllib.request

        request = urllib.request.Request(
            self.endpoint, data=data, headers=dict(headers), method="POST"
        )
        with self._lock:
            self.usage.http_requests += 1
        timeout = self.settings.timeout
        try:
            with self._opener.open(request, timeout=timeout) as reply:
                raw = reply.read()
        except urllib.error.HTTPError as error:
            body = self._excerpt(_read_quietly(error))
            if error.code == 429 or error.code >= 500:
                retry_after = _retry_after(error.headers.get("Retry-After"))
                raise _Retryable("http", body, retry_after, error.code) from None
            if error.code in (401, 403) and not self.api_key():
                body += f" (no API key was sent: set {self.settings.api_key_env} or api_key)"
            raise ChatHTTPError(self.endpoint, error.code, body) from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise _Retryable("timeout", f"no answer within {timeout:g} s") from None
            raise _Retryable("connection", f"cannot connect ({error.reason})") from None
        except TimeoutError:
            raise _Retryable("timeout", f"no answer within {timeout:g} s") from None
        except (ConnectionError, http.client.HTTPException, OSError) as error:
            raise _Retryable(
                "connection", f"connection failed ({error or type(error).__name__})"
            ) from None
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ChatResponseError(
                self.endpoint, f"the body is not valid JSON: {self._excerpt(raw)!r}"
            ) from None
        if not isinstance(body, dict):
            raise ChatResponseError(
                self.endpoint, f"expected a JSON object, got {self._excerpt(raw)!r}"
            )
        return body

    def _final_error(self, failure: _Retryable, attempts: int) -> ChatError:
        tries = f"{attempts} tries" if attempts > 1 else "1 try"
        if failure.kind == "http":
            return ChatHTTPError(self.endpoint, failure.status, failure.detail, attempts)
        if failure.kind == "timeout":
            return ChatTimeoutError(self.endpoint, f"timed out after {tries} ({failure.detail})")
        return ChatConnectionError(self.endpoint, f"{failure.detail}, gave up after {tries}")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential back-off with equal jitter; a server's Retry-After is a lower bound."""
        settings = self.settings
        ceiling = min(settings.backoff_max, settings.backoff * 2 ** (attempt - 1))
        delay = ceiling / 2 + self._rng.random() * ceiling / 2
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, settings.backoff_max)

    # -- reading answers ----------------------------------------------------------------------

    def _read(self, body: Mapping[str, Any], *, cached: bool) -> ChatResponse:
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise ChatResponseError(
                self.endpoint, f"expected a non-empty 'choices' list, got {_shape(body)}"
            )
        choice = choices[0]
        message = choice.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # some servers return content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        if not isinstance(content, str):
            refusal = message.get("refusal") if isinstance(message, dict) else None
            problem = (
                f"refused: {refusal}"
                if refusal
                else f"no text in choices[0].message ({_shape(message)})"
            )
            raise ChatResponseError(self.endpoint, problem)
        usage = body.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        return ChatResponse(
            text=content,
            model=str(body.get("model") or self.settings.model),
            prompt_tokens=_int(usage.get("prompt_tokens")),
            completion_tokens=_int(usage.get("completion_tokens")),
            finish_reason=choice.get("finish_reason"),
            cached=cached,
            logprobs=_logprobs(choice.get("logprobs")),
        )

    def _count(self, response: ChatResponse) -> None:
        with self._lock:
            usage = self.usage
            usage.calls += 1
            if response.cached:
                usage.cached += 1
                usage.cached_prompt_tokens += response.prompt_tokens
                usage.cached_completion_tokens += response.completion_tokens
            else:
                usage.prompt_tokens += response.prompt_tokens
                usage.completion_tokens += response.completion_tokens

    def _excerpt(self, raw: bytes | str) -> str:
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        text = " ".join(text.split())
        key = self.api_key()
        if key:
            text = text.replace(key, "[API key]")
        return text if len(text) <= _EXCERPT else text[:_EXCERPT] + "..."


# --- helpers ---------------------------------------------------------------------------------


def _opener_for(endpoint: str) -> urllib.request.OpenerDirector:
    """Loopback servers are reached directly even when an HTTP proxy is configured."""
    import urllib.request

    host = urllib.parse.urlsplit(endpoint).hostname or ""
    if host in _LOOPBACK_HOSTS:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}))
    return urllib.request.build_opener()


def _read_quietly(error: urllib.error.HTTPError) -> bytes:
    import http.client

    try:
        return error.read() or b""
    except (OSError, http.client.HTTPException):
        return b""


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: a number, or an HTTP date."""
    import email.utils

    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _logprobs(value: Any) -> tuple[TokenLogprob, ...]:
    content = value.get("content") if isinstance(value, dict) else None
    if not isinstance(content, list):
        return ()
    result = []
    for item in content:
        if not isinstance(item, dict):
            return ()
        token, logprob = item.get("token"), item.get("logprob")
        if not isinstance(token, str) or not isinstance(logprob, int | float):
            return ()
        result.append(TokenLogprob(token, float(logprob)))
    return tuple(result)


def _shape(value: Any) -> str:
    """A short description of a JSON value, for 'expected X, got Y' messages."""
    if isinstance(value, dict):
        keys = ", ".join(list(value)[:6])
        return f"an object with keys [{keys}]"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"{type(value).__name__} {str(value)[:40]!r}"
