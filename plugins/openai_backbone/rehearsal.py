"""A stand-in model on loopback, so the backbone's contract runs without a network or a key.

The contract suite instantiates every backbone with its ``example_options()`` and calls all
four tasks. A real chat model is out of reach offline, so ``example_options`` points the
backbone at a :class:`~autocut_core.testing.chat_server.LocalChatServer` whose responder follows the
prompt's closing request sentence (:func:`.task_prompts.requested`, either language): the
first ``count`` clips, the clips in the order shown, one plain line per clip, the first track.
The answers are dull on purpose; what the contract exercises is the real path: prompt
building, HTTP, the response format and the strict answer readers.
"""

from __future__ import annotations

import threading
from typing import Any

from autocut_core.testing import LocalChatServer

from .task_prompts import requested

_lock = threading.Lock()
_server: LocalChatServer | None = None


def rehearsal_answer(request: dict[str, Any]) -> str:
    """A well-formed answer to the task the request's last user turn asks for."""
    content = request["messages"][-1]["content"]
    text = (
        content
        if isinstance(content, str)
        else "".join(part.get("text", "") for part in content if part.get("type") == "text")
    )
    if asked := requested("select", text):
        return "[" + ", ".join(str(asked["lo"] + i) for i in range(asked["count"])) + "]"
    if asked := requested("sort", text):
        return "[" + ", ".join(str(asked["lo"] + i) for i in range(asked["n"])) + "]"
    if asked := requested("script", text):
        return "\n".join(f"Line {i + 1} for this clip." for i in range(asked["n"]))
    if asked := requested("music", text):
        return str(asked["lo"])
    raise ValueError("the rehearsal model does not recognise this request")


def rehearsal_url() -> str:
    """The API root of this process's rehearsal server (started on first use, never stopped)."""
    global _server
    with _lock:
        if _server is None:
            _server = LocalChatServer(responder=rehearsal_answer).start()
        return _server.url
