"""Lazy package exports: a name's module loads on first use, never at import."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    ("package", "name", "module"),
    [
        ("autocut_plugins.ffmpeg_render", "FfmpegRenderer", "autocut_plugins.ffmpeg_render.renderer"),
        ("autocut_plugins.openai_backbone", "OpenAIBackbone", "autocut_plugins.openai_backbone.backbone"),
        ("autocut_plugins.similarity", "SimilaritySettings", "autocut_plugins.similarity.settings"),
        ("autocut_plugins.metrics", "MusicEvaluator", "autocut_plugins.metrics.music"),
        ("autocut_core.testing", "FakePlugin", "autocut_core.testing.fakes"),
        ("autocut_core.cli", "build_app", "autocut_core.cli.app"),
        ("autocut_core", "Encoder", "autocut_core.components"),
        ("autocut_core", "check_component", "autocut_core.contracts"),
        ("autocut_core.testing", "LocalChatServer", "autocut_core.testing.chat_server"),
        ("autocut_core.pipelines", "ScriptDrivenPipeline", "autocut_core.pipelines.script_driven"),
    ],
)  # fmt: skip
def test_a_name_loads_its_module_only_when_looked_up(package, name, module):
    code = (
        f"import sys, importlib; package = importlib.import_module({package!r});"
        f"before = {module!r} in sys.modules; value = getattr(package, {name!r});"
        f"print(before, {module!r} in sys.modules, value is getattr(sys.modules[{module!r}], {name!r}),"
        f" {name!r} in vars(package))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True", "True", "True"]  # loaded late, then kept


def test_an_unknown_name_is_an_attribute_error():
    from autocut_plugins import similarity

    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        similarity.Nope  # noqa: B018
    assert not hasattr(similarity, "Nope")
