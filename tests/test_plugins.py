"""Plugin loading: every hook, allow/block lists, and plugins that are broken in various ways.

There is one ``test_hook_<name>`` per hook in ``hookspecs.py``; ``test_docs.py`` fails when
a hook has none.
"""

from __future__ import annotations

import json
import os
from importlib import metadata
from pathlib import Path

import pytest
import typer
from autocut_plugins.exact_retriever import ExactRetriever

from autocut_core import hookimpl, plugins
from autocut_core.plugins import get_host, get_registry, inline_plugin
from autocut_core.testing import (
    FakeBackbone,
    FakeCaptioner,
    FakeEncoder,
    FakeEvaluator,
    FakePipeline,
    FakeRenderer,
    FakeSeparator,
    FakeTokenizer,
    FakeTranscriber,
    FakeVoice,
)


def _registers(hook_name: str, cls: type, new_name: str) -> object:
    """A plugin object whose ``hook_name`` registers a renamed subclass of ``cls``."""
    renamed = type(f"Hooked{cls.__name__}", (cls,), {"name": new_name})

    def hook(register):
        register(renamed)

    return type("HookPlugin", (), {hook_name: staticmethod(hookimpl(hook))})


def _check_hook(hook_name: str, kind: str, cls: type) -> None:
    with inline_plugin(_registers(hook_name, cls, "hooked"), name=f"p-{kind}", package="autocut-p"):
        registration = get_registry().get(kind, "hooked")
        assert registration.kind == kind
        assert registration.plugin.package == "autocut-p"
        assert get_registry().create(kind, "hooked").kind == kind
    assert "hooked" not in get_registry().names(kind)


def test_hook_register_encoders():
    _check_hook("register_encoders", "encoder", FakeEncoder)


def test_hook_register_tokenizers():
    _check_hook("register_tokenizers", "tokenizer", FakeTokenizer)


def test_hook_register_backbones():
    _check_hook("register_backbones", "backbone", FakeBackbone)


def test_hook_register_retrievers():
    _check_hook("register_retrievers", "retriever", ExactRetriever)


def test_hook_register_renderers():
    _check_hook("register_renderers", "renderer", FakeRenderer)


def test_hook_register_evaluators():
    _check_hook("register_evaluators", "evaluator", FakeEvaluator)


def test_hook_register_voices():
    _check_hook("register_voices", "voice", FakeVoice)


def test_hook_register_captioners():
    _check_hook("register_captioners", "captioner", FakeCaptioner)


def test_hook_register_transcribers():
    _check_hook("register_transcribers", "transcriber", FakeTranscriber)


def test_hook_register_separators():
    _check_hook("register_separators", "separator", FakeSeparator)


def test_hook_register_pipelines():
    _check_hook("register_pipelines", "pipeline", FakePipeline)


class _CommandPlugin:
    @staticmethod
    @hookimpl
    def register_commands(app: typer.Typer):
        @app.command(name="hello-world")
        def hello_world(name: str = "ads") -> None:
            """Say hello."""
            typer.echo(f"Hello, {name}!")


def test_hook_register_commands(cli):
    with inline_plugin(_CommandPlugin, name="commands"):
        code, out, _ = cli("hello-world", "--name", "AutoCut")
        assert code == 0
        assert out == "Hello, AutoCut!\n"
        code, out, _ = cli("--help")
        assert "hello-world" in out
    code, _, err = cli("hello-world")
    assert code == 2
    assert "No such command 'hello-world'" in err


class _MisspeltHook:
    @staticmethod
    @hookimpl
    def register_encoder(register):  # missing the final "s"
        register(FakeEncoder)


def test_misspelt_hook_is_reported_with_suggestion():
    host = get_host()
    assert not host.add(_MisspeltHook, plugins.PluginInfo("typo", "autocut-typo", "1.0", "x"))
    (failure,) = host.failures
    assert failure.package == "autocut-typo"
    assert (
        "'register_encoder' is not an AutoCut hook; did you mean 'register_encoders'?"
        in failure.error
    )
    assert "typo" not in host.plugins
    assert "histogram" in get_registry().names("encoder")


class _WrongArgument:
    @staticmethod
    @hookimpl
    def register_encoders(registrar):  # the hook passes `register`
        registrar(FakeEncoder)


def test_hook_with_wrong_argument_name_is_reported():
    host = get_host()
    assert not host.add(_WrongArgument, plugins.PluginInfo("args", "autocut-args", "1.0", "x"))
    assert "registrar" in host.failures[0].error


class _RaisesWhileRegistering:
    @staticmethod
    @hookimpl
    def register_encoders(register):
        register(FakeEncoder)
        raise RuntimeError("weights folder is not configured")


def test_plugin_that_raises_while_registering_is_dropped_whole():
    with inline_plugin(_RaisesWhileRegistering, name="raiser", package="autocut-raiser"):
        registry = get_registry()
        assert "fake" not in registry.names("encoder")  # nothing half-registered
        assert "histogram" in registry.names("encoder")
        (failure,) = get_host().failures
        assert failure.package == "autocut-raiser"
        assert failure.error == "RuntimeError: weights folder is not configured"


def test_disable_list_blocks_a_builtin_plugin(monkeypatch):
    monkeypatch.setenv("AUTOCUT_DISABLE_PLUGINS", "histogram, espeak")
    plugins.reset()
    registry = get_registry()
    assert "histogram" not in registry.names("encoder")
    assert registry.names("voice") == []
    assert "exact" in registry.names("retriever")
    blocked = {b.name: b.reason for b in get_host().blocked}
    assert blocked == {
        "histogram": "listed in AUTOCUT_DISABLE_PLUGINS",
        "espeak": "listed in AUTOCUT_DISABLE_PLUGINS",
    }


def test_load_list_allows_only_named_plugins(monkeypatch):
    monkeypatch.setenv("AUTOCUT_LOAD_PLUGINS", "exact")
    plugins.reset()
    assert sorted(get_host().plugins) == ["exact"]
    assert len(get_registry()) == 1


def test_load_list_accepts_distribution_names(monkeypatch):
    monkeypatch.setenv("AUTOCUT_LOAD_PLUGINS", "autocut")
    plugins.reset()
    assert "histogram" in get_registry().names("encoder")


def test_empty_load_list_loads_nothing(monkeypatch):
    monkeypatch.setenv("AUTOCUT_LOAD_PLUGINS", "")
    plugins.reset()
    assert len(get_registry()) == 0
    assert len(get_host().blocked) >= 5


def test_inline_plugin_is_removed_even_when_the_block_raises():
    with (
        pytest.raises(ZeroDivisionError),
        inline_plugin(_registers("register_encoders", FakeEncoder, "tmp"), name="tmp"),
    ):
        assert "tmp" in get_registry().names("encoder")
        _ = 1 / 0
    assert "tmp" not in get_registry().names("encoder")


def test_autocut_plugin_fixture_registers_for_one_test(autocut_plugin, autocut_fakes):
    assert "fake" in get_registry().names("backbone")
    autocut_plugin(_registers("register_voices", FakeVoice, "whisper-voice"), name="wv")
    assert "whisper-voice" in get_registry().names("voice")


class _CommandThatRaises:
    @staticmethod
    @hookimpl
    def register_commands(app):
        raise RuntimeError("cannot import click-extra")


class _CommandThatShadowsDoctor:
    @staticmethod
    @hookimpl
    def register_commands(app):
        @app.command(name="doctor")
        def fake_doctor() -> None:
            typer.echo("all good, trust me")


@pytest.mark.parametrize(
    ("plugin", "error"),
    [
        (_CommandThatRaises, "RuntimeError: cannot import click-extra"),
        (_CommandThatShadowsDoctor, "command name(s) already taken: ['doctor']"),
    ],
)
def test_bad_plugin_commands_are_left_out_and_reported(cli, plugin, error):
    with inline_plugin(plugin, name="bad-commands"):
        code, out, _ = cli("doctor", "--json")
        assert code in (0, 1)
        assert "trust me" not in out
        assert any(
            c["name"] == "plugin bad-commands" and error in c["detail"] for c in json.loads(out)
        )


def test_inline_plugin_failures_do_not_outlive_the_block():
    with inline_plugin(_RaisesWhileRegistering, name="raiser"):
        get_registry()
        assert get_host().failures
    assert get_host().failures == []


class _FakeDistribution(metadata.Distribution):
    """A distribution in memory that counts how often its metadata file is read."""

    def __init__(self, name: str, version: str, entry_points: dict[str, str]) -> None:
        self.metadata_reads = 0
        self._texts = {
            "METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nLong text.\n",
            "entry_points.txt": "[autocut]\n"
            + "".join(f"{key} = {value}\n" for key, value in entry_points.items()),
        }

    def read_text(self, filename: str) -> str | None:
        if filename in ("METADATA", "PKG-INFO"):
            self.metadata_reads += 1
        return self._texts.get(filename)

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return Path(path)


def _install(monkeypatch: pytest.MonkeyPatch, *dists: _FakeDistribution) -> None:
    def entry_points(group: str) -> list[metadata.EntryPoint]:
        return [ep for dist in dists for ep in dist.entry_points if ep.group == group]

    monkeypatch.setattr(plugins.metadata, "entry_points", entry_points)
    plugins.reset()


def test_entry_points_read_each_distribution_once_dedupe_and_put_core_first(monkeypatch):
    extra = _FakeDistribution(
        "Autocut-Extra", "2.0", {"zeta": "autocut_plugins.histogram", "alpha": "x.y"}
    )
    again = _FakeDistribution("autocut-extra", "1.0", {"zeta": "autocut_plugins.histogram"})
    core = _FakeDistribution("autocut", "0.1.0", {"exact": "autocut_plugins.exact_retriever"})
    _install(monkeypatch, extra, again, core)

    found = [(ep.name, package, version) for ep, package, version in plugins._entry_points()]

    assert found == [
        ("exact", "autocut", "0.1.0"),  # the core distribution first
        ("alpha", "Autocut-Extra", "2.0"),  # then by name; the display name, not the folder's
        ("zeta", "Autocut-Extra", "2.0"),  # the second copy of the distribution is left out
    ]
    assert [dist.metadata_reads for dist in (extra, again, core)] == [1, 1, 1]


def test_loaded_plugins_carry_their_distribution(monkeypatch):
    extra = _FakeDistribution("autocut-extra", "2.0", {"hist": "autocut_plugins.histogram"})
    core = _FakeDistribution("autocut", "0.1.0", {"exact": "autocut_plugins.exact_retriever"})
    _install(monkeypatch, extra, core)
    monkeypatch.setenv("AUTOCUT_DISABLE_PLUGINS", "autocut")

    host = get_host()

    assert list(host.plugins) == ["hist"]
    info = host.plugins["hist"]
    assert (info.package, info.version, info.builtin) == ("autocut-extra", "2.0", False)
    assert host.blocked == [
        plugins.BlockedPlugin("exact", "autocut", "listed in AUTOCUT_DISABLE_PLUGINS")
    ]
