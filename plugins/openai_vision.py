"""Captioner ``openai-vision``: any OpenAI-compatible endpoint that takes images.

vLLM, llama.cpp's server and Ollama all serve vision-language models (the paper's captions
came from Qwen2.5-VL) behind ``/v1/chat/completions``. Each clip's frames go as JPEG data
URLs in one user turn with the prompt; the reply must be one plain caption. The chat client
(:mod:`autocut_core.llm.chat`) retries timeouts, dropped connections, 429 and 5xx with
exponential back-off and caches answers on disk.

Bounded on purpose: at most 8 frames of at most 1536 px (the common options), and a request
whose images exceed ``max_request_bytes`` is refused before it is sent, since servers answer
oversized bodies with errors that do not say why.

Strict parsing: the answer is the message content, whitespace collapsed; one pair of
surrounding quotes and a leading ``Caption:`` label are dropped (the two ways models wrap a
caption); an empty answer, a truncated one (``finish_reason`` ``length``) or one longer than
a caption (:data:`autocut_core.components.MAX_CAPTION_CHARS`) is a :class:`CaptionError`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import Captioner, CaptionerSettings
from autocut_core.errors import CaptionError
from autocut_core.llm.chat import ChatClient, ChatSettings, image_part, user_message

_LABEL = re.compile(r"^(?:caption|description)\s*:\s*", re.IGNORECASE)
_QUOTES = (('"', '"'), ("'", "'"), ("\u201c", "\u201d"), ("`", "`"))


class OpenAIVisionSettings(CaptionerSettings, ChatSettings):
    max_request_bytes: int = Field(
        4_000_000, ge=10_000, description="Largest total of image bytes sent for one clip"
    )
    max_tokens: int | None = Field(96, gt=0, description="Cap on caption tokens")


class OpenAIVisionCaptioner(Captioner[OpenAIVisionSettings]):
    name = "openai-vision"
    description = "Captions from any OpenAI-compatible vision model (vLLM, llama.cpp, Ollama)"

    def __init__(self, settings: OpenAIVisionSettings | None = None):
        super().__init__(settings)
        self._client: ChatClient | None = None

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # The contract runs offline: a loopback server answering from the images it is sent.
        from autocut_core.testing import LocalChatServer

        server = _rehearsal.get("server")
        if server is None:
            server = _rehearsal["server"] = LocalChatServer(responder=rehearsal_caption).start()
        return {"base_url": server.url, "model": "rehearsal", "cache": False, "max_retries": 0}

    @property
    def model(self) -> str:
        return f"{self.settings.model}@{self.settings.base_url}"

    def _describe(self, frames: list[bytes]) -> str:
        total = sum(len(frame) for frame in frames)
        if total > self.settings.max_request_bytes:
            raise CaptionError(
                f"captioner '{self.name}': {len(frames)} frames are {total:,} bytes, over "
                f"max_request_bytes ({self.settings.max_request_bytes:,}); lower max_side or frames"
            )
        parts: list[str | dict[str, Any]] = [image_part(frame, detail="low") for frame in frames]
        parts.append(self.settings.prompt)
        response = self.client.complete([user_message(parts)])
        if response.finish_reason == "length":
            raise CaptionError(
                f"captioner '{self.name}' ({self.model}): the answer was cut off at max_tokens "
                f"({self.settings.max_tokens}): {response.text[:60]!r}"
            )
        return parse_caption(response.text, self.model)

    @property
    def client(self) -> ChatClient:
        if self._client is None:
            fields = set(ChatSettings.model_fields)
            chat = ChatSettings(
                **{k: v for k, v in self.settings.model_dump().items() if k in fields}
            )
            self._client = ChatClient(chat)
        return self._client


def parse_caption(text: str, model: str) -> str:
    """The caption in a model's answer (see the module docstring), or a CaptionError."""
    caption = " ".join(str(text).split())
    caption = _LABEL.sub("", caption)
    for opening, closing in _QUOTES:
        if len(caption) >= 2 and caption.startswith(opening) and caption.endswith(closing):
            caption = caption[1:-1].strip()
            break
    if not caption:
        raise CaptionError(f"captioner 'openai-vision' ({model}): the answer has no caption")
    return caption


#: The loopback server of the contract check (started once per process, never stopped).
_rehearsal: dict[str, Any] = {}


def rehearsal_caption(request: dict[str, Any]) -> str:
    """What the contract's stand-in model answers: how many pictures it was shown."""
    content = request["messages"][-1]["content"]
    images = [part for part in content if part.get("type") == "image_url"]
    return f'"A test picture, {len(images)} frames."'


@hookimpl
def register_captioners(register):
    register(OpenAIVisionCaptioner)
