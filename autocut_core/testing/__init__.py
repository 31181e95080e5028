"""Test helpers for AutoCut and for plugin authors.

``fakes`` (deterministic fake components; re-exported here, so ``from autocut_core.testing
import FakePlugin`` works), ``pytest_plugin`` (the ``autocut_plugin`` and ``autocut_fakes``
fixtures), ``samples`` (synthetic media with known facts), ``synthetic_ads`` (finished ads for
the dataset and the demo world) and ``chat_server`` (a loopback chat-completions server).
"""

from autocut_core.testing.fakes import (
    FAKE_DIM,
    FakeAudioEncoder,
    FakeBackbone,
    FakeEncoder,
    FakeEvaluator,
    FakePipeline,
    FakePlugin,
    FakeRenderer,
    FakeTextEncoder,
    FakeTokenizer,
    FakeVoice,
    hash_vector,
)

__all__ = [
    "FAKE_DIM",
    "FakeAudioEncoder",
    "FakeBackbone",
    "FakeEncoder",
    "FakeEvaluator",
    "FakePipeline",
    "FakePlugin",
    "FakeRenderer",
    "FakeTextEncoder",
    "FakeTokenizer",
    "FakeVoice",
    "hash_vector",
]
