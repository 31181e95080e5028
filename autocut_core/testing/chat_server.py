"""A chat-completions server on loopback, for tests and offline contract checks.

It speaks enough of the OpenAI protocol (``POST /v1/chat/completions``) for
:class:`autocut_core.llm.chat.ChatClient`, and can be told to misbehave the ways real servers do:
malformed JSON, bodies of the wrong shape, prose around an answer, 429 with ``Retry-After``,
5xx, hanging past the client's timeout, refusing requests without the right
``Authorization`` header. Plugin authors can test their own chat-based components with it::

    with LocalChatServer(responder=lambda request: "[0, 1]") as server:
        client = ChatClient(ChatSettings(base_url=server.url, cache=False))
        server.push(Reply.status(429, retry_after="0"))   # the next request gets a 429
        assert client.complete([user_message("hi")]).text == "[0, 1]"

Replies pushed with :meth:`LocalChatServer.push` are served first, in order; then the
``responder`` (a function of the request body) answers. Only the standard library is used.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Responder = Callable[[dict[str, Any]], "str | Reply"]


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    #: Seconds to wait before answering (longer than the client's timeout = a hang).
    delay: float = 0.0

    @classmethod
    def text(
        cls,
        content: str,
        *,
        prompt_tokens: int = 10,
        completion_tokens: int | None = None,
        logprobs: list[tuple[str, float]] | None = None,
        model: str = "local-test",
    ) -> Reply:
        """A normal completion whose message content is ``content``."""
        choice: dict[str, Any] = {
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": "stop",
        }
        if logprobs is not None:
            choice["logprobs"] = {
                "content": [
                    {"token": t, "logprob": p, "bytes": None, "top_logprobs": []}
                    for t, p in logprobs
                ]
            }
        completion = (
            completion_tokens if completion_tokens is not None else max(1, len(content) // 4)
        )
        return cls.json(
            {
                "id": "chatcmpl-local",
                "object": "chat.completion",
                "model": model,
                "choices": [choice],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion,
                    "total_tokens": prompt_tokens + completion,
                },
            }
        )

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Reply:
        """Any JSON body (e.g. one of the wrong shape)."""
        return cls(
            status=status,
            body=json.dumps(value).encode("utf-8"),
            headers=(("Content-Type", "application/json"),),
        )

    @classmethod
    def raw(cls, body: bytes | str, status: int = 200) -> Reply:
        """Bytes as they are (e.g. a truncated, malformed JSON body)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        return cls(status=status, body=data, headers=(("Content-Type", "application/json"),))

    @classmethod
    def status_code(cls, status: int, message: str = "", retry_after: str | None = None) -> Reply:
        """An error status with an OpenAI-style error body and, optionally, ``Retry-After``."""
        body = json.dumps({"error": {"message": message or f"status {status}", "code": status}})
        headers = [("Content-Type", "application/json")]
        if retry_after is not None:
            headers.append(("Retry-After", retry_after))
        return cls(status=status, body=body.encode("utf-8"), headers=tuple(headers))

    @classmethod
    def hang(cls, seconds: float, then: Reply | None = None) -> Reply:
        """Wait ``seconds`` before answering ``then`` (default: a normal "ok" completion)."""
        after = then or cls.text("ok")
        return cls(status=after.status, body=after.body, headers=after.headers, delay=seconds)


@dataclass
class Seen:
    """A request the server received: its JSON body and headers."""

    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages", [])

    def text(self) -> str:
        """Every text part of every message, joined: what a test searches for prompt content."""
        chunks = []
        for message in self.messages:
            content = message.get("content")
            if isinstance(content, str):
                chunks.append(content)
            elif isinstance(content, list):
                chunks.extend(p.get("text", "") for p in content if p.get("type") == "text")
        return "\n".join(chunks)

    def images(self) -> list[str]:
        """The data URLs of every image part, in order."""
        return [
            part["image_url"]["url"]
            for message in self.messages
            if isinstance(message.get("content"), list)
            for part in message["content"]
            if part.get("type") == "image_url"
        ]


class LocalChatServer:
    """A threaded HTTP server on 127.0.0.1 with an ephemeral port (see the module docstring)."""

    def __init__(self, responder: Responder | None = None, *, api_key: str | None = None):
        self.responder = responder or (lambda request: "ok")
        self.api_key = api_key
        self.requests: list[Seen] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The API root to give a client as ``base_url``."""
        if self._server is None:
            raise RuntimeError("the server is not running; use it as a context manager or start()")
        host, port = self._server.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}/v1"

    def push(self, *replies: Reply) -> None:
        """Serve these replies, in order, before asking the responder again."""
        with self._lock:
            self._queue.extend(replies)

    def start(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                owner._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers that are "hanging"
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- one request ----------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length)
        if handler.path.rstrip("/") != "/v1/chat/completions":
            self._send(handler, Reply.status_code(404, f"no route {handler.path}"))
            return
        try:
            body = json.loads(raw)
        except ValueError:
            self._send(handler, Reply.status_code(400, "request body is not JSON"))
            return
        headers = {key.lower(): value for key, value in handler.headers.items()}
        with self._lock:
            self.requests.append(Seen(body=body, headers=headers))
            queued = self._queue.popleft() if self._queue else None
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            self._send(handler, Reply.status_code(401, "Incorrect API key provided"))
            return
        if queued is None:
            try:
                answer = self.responder(body)
            except Exception as error:  # a broken responder is the test's bug: show it
                answer = Reply.status_code(500, f"responder raised {error!r}")
            queued = answer if isinstance(answer, Reply) else Reply.text(answer)
        if queued.delay and self._stopping.wait(queued.delay):
            return
        self._send(handler, queued)

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        try:
            handler.send_response(reply.status)
            for key, value in reply.headers:
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out) first
