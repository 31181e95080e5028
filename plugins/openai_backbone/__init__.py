"""``openai``: the four editing tasks asked of any OpenAI-compatible chat model.

The general-model baseline of the paper (GPT-4o, §4.3): clips are shown as captions or, with
``images = true``, as their middle frames; answers are read strictly (:mod:`.answers`).
``base_url`` points it at OpenAI or at a local server (vLLM, llama.cpp, Ollama); the HTTP
client, its retries, cache and cost accounting are :mod:`autocut_core.llm.chat`.

Importing this package registers nothing and sends nothing; the client connects on the first
task. It does not import :mod:`.backbone` either: that loads when the registry is built or a
name below is first looked up, so ``autocut --help`` does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocut_core import hookimpl
from autocut_core.lazy import lazy_exports

if TYPE_CHECKING:
    from .backbone import OpenAIBackbone, OpenAISettings

__all__ = ["OpenAIBackbone", "OpenAISettings"]


__getattr__ = lazy_exports(__name__, {"OpenAIBackbone": ".backbone", "OpenAISettings": ".backbone"})


@hookimpl
def register_backbones(register):
    from .backbone import OpenAIBackbone

    register(OpenAIBackbone)
