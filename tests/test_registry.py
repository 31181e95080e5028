"""The registry: names, aliases, provenance, unknown and duplicate names, invalid classes."""

from __future__ import annotations

import pytest

from autocut_core import hookimpl
from autocut_core.errors import DuplicateComponentError, UnknownComponentError, UnknownKindError
from autocut_core.plugins import get_host, get_registry, inline_plugin
from autocut_core.testing import FakeEncoder


def test_unknown_name_lists_available_and_suggests_closest():
    with pytest.raises(UnknownComponentError) as info:
        get_registry().get("encoder", "histogramm")
    message = str(info.value)
    assert "Unknown encoder 'histogramm'" in message
    assert f"Available: {', '.join(get_registry().names('encoder'))}." in message
    assert "Did you mean 'histogram'?" in message
    assert info.value.exit_code == 2


def test_unknown_name_without_close_match_points_at_plugins():
    with pytest.raises(UnknownComponentError, match="Is the plugin that provides it installed"):
        get_registry().get("retriever", "zzz")


def test_unknown_kind_is_an_error_with_suggestion():
    with pytest.raises(UnknownKindError, match="Did you mean 'encoder'"):
        get_registry().names("encodr")


def test_builtin_components_record_their_provider():
    registration = get_registry().get("encoder", "histogram")
    assert registration.plugin.package == "autocut"
    assert registration.plugin.builtin
    assert registration.plugin.version == "0.1.0"


class _Renamed(FakeEncoder):
    name = "renamed"


class _AliasPlugin:
    @staticmethod
    @hookimpl
    def register_encoders(register):
        register(_Renamed, aliases=("also-renamed",))


def test_aliases_resolve_to_the_same_component():
    with inline_plugin(_AliasPlugin, name="alias"):
        registry = get_registry()
        assert registry.get("encoder", "also-renamed").cls is _Renamed
        assert registry.create("encoder", "also-renamed").name == "renamed"


class _Histogram(FakeEncoder):
    name = "histogram"


class _DuplicatePlugin:
    @staticmethod
    @hookimpl
    def register_encoders(register):
        register(_Histogram)


def test_duplicate_name_fails_naming_both_providers():
    with (
        inline_plugin(_DuplicatePlugin, name="copycat", package="autocut-copycat"),
        pytest.raises(DuplicateComponentError) as info,
    ):
        get_registry()
    message = str(info.value)
    assert "encoder 'histogram' is provided twice" in message
    assert "plugin 'histogram' (autocut 0.1.0)" in message
    assert "plugin 'copycat' (autocut-copycat)" in message
    assert "AUTOCUT_DISABLE_PLUGINS=copycat" in message


class _NotAComponent:
    name = "thing"


class _BadClassPlugin:
    @staticmethod
    @hookimpl
    def register_retrievers(register):
        register(_NotAComponent)


class _WrongKindPlugin:
    @staticmethod
    @hookimpl
    def register_retrievers(register):
        register(FakeEncoder)  # an encoder offered as a retriever


class _BadNamePlugin:
    @staticmethod
    @hookimpl
    def register_encoders(register):
        register(type("Shouty", (FakeEncoder,), {"name": "Bad Name"}))


@pytest.mark.parametrize(
    ("plugin", "expected"),
    [
        (_BadClassPlugin, "not a subclass of autocut_core.components.Retriever"),
        (_WrongKindPlugin, "not a subclass of autocut_core.components.Retriever"),
        (_BadNamePlugin, "names are lower-case"),
    ],
)
def test_invalid_registration_drops_only_that_plugin(plugin, expected):
    with inline_plugin(plugin, name="bad"):
        registry = get_registry()
        assert "histogram" in registry.names("encoder")
        failures = [f for f in get_host().failures if f.name == "bad"]
        assert len(failures) == 1
        assert expected in failures[0].error


def test_abstract_component_is_rejected():
    from autocut_core.components import Encoder

    class Half(Encoder):
        name = "half"

    class HalfPlugin:
        @staticmethod
        @hookimpl
        def register_encoders(register):
            register(Half)

    with inline_plugin(HalfPlugin, name="half"):
        assert "half" not in get_registry().names("encoder")
        (failure,) = [f for f in get_host().failures if f.name == "half"]
        assert "does not implement: dim, encode_batch" in failure.error


def test_component_options_are_validated():
    from autocut_core.errors import ComponentSettingsError

    registry = get_registry()
    encoder = registry.create("encoder", "histogram", {"edge_weight": "0.5"})
    assert encoder.settings.edge_weight == 0.5
    with pytest.raises(ComponentSettingsError) as info:
        registry.create("encoder", "histogram", {"edge_wieght": 1})
    assert "Invalid options for encoder 'histogram'" in str(info.value)
    assert "Known options: colour_weight, layout_weight, edge_weight" in str(info.value)


def _plugin_registering(hook_name: str, cls: type) -> type:
    def hook(register):
        register(cls)

    return type("P", (), {hook_name: staticmethod(hookimpl(hook))})


def test_class_problems_are_reported_at_registration():
    from autocut_core.testing import FakeAudioEncoder, FakeEvaluator

    no_task = type("NoTask", (FakeEvaluator,), {"name": "no-task", "task": "guess"})
    no_rate = type("NoRate", (FakeAudioEncoder,), {"name": "no-rate", "sample_rate": None})
    with (
        inline_plugin(_plugin_registering("register_evaluators", no_task), name="p1"),
        inline_plugin(_plugin_registering("register_encoders", no_rate), name="p2"),
    ):
        get_registry()
        errors = {failure.name: failure.error for failure in get_host().failures}
    assert "task must be one of select, sort, script, music, not 'guess'" in errors["p1"]
    assert "an audio encoder must set sample_rate" in errors["p2"]
