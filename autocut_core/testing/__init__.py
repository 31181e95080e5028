"""Test helpers for AutoCut and for plugin authors.

- ``fakes``: deterministic fake components, re-exported here on first use, so ``from
  autocut_core.testing import FakePlugin`` works while the pytest plugin (which every pytest
  run in an environment with autocut loads) imports nothing until a fixture is used;
- ``pytest_plugin``: the ``autocut_plugin`` and ``autocut_fakes`` fixtures;
- ``samples``: synthetic media with known facts;
- ``synthetic_ads``: finished ads for the dataset builder and the demo world;
- ``chat_server``: a loopback chat-completions server;
- ``hub``: a hub cache laid out by hand and a loopback Hugging Face Hub (``LocalHub``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocut_core.lazy import lazy_exports

if TYPE_CHECKING:
    from autocut_core.testing.chat_server import LocalChatServer

__all__ = [
    "FAKE_DIM",
    "FakeAudioEncoder",
    "FakeBackbone",
    "FakeCaptioner",
    "FakeEncoder",
    "FakeEvaluator",
    "FakePipeline",
    "FakePlugin",
    "FakeRenderer",
    "FakeSeparator",
    "FakeTextEncoder",
    "FakeTokenizer",
    "FakeTranscriber",
    "FakeVoice",
    "LocalChatServer",
    "hash_vector",
]


__getattr__ = lazy_exports(
    __name__,
    {name: "autocut_core.testing.fakes" for name in __all__}
    | {"LocalChatServer": "autocut_core.testing.chat_server"},
)
