"""``openai``: the four editing tasks asked of any OpenAI-compatible chat model.

The general-model baseline of the paper (GPT-4o, §4.3): clips are shown as captions or, with
``images = true``, as their middle frames; answers are read strictly (:mod:`.answers`).
``base_url`` points it at OpenAI or at a local server (vLLM, llama.cpp, Ollama); the HTTP
client, its retries, cache and cost accounting are :mod:`autocut_core.llm.chat`.

Importing this package registers nothing and sends nothing; the client connects on the first
task.
"""

from __future__ import annotations

from autocut_core import hookimpl

from .backbone import OpenAIBackbone, OpenAISettings

__all__ = ["OpenAIBackbone", "OpenAISettings"]


@hookimpl
def register_backbones(register):
    register(OpenAIBackbone)
