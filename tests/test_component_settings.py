"""Component[SettingsT]: the settings model comes from the class's type argument, once."""

from __future__ import annotations

import pytest
from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import ComponentSettings, Encoder
from autocut_core.errors import ComponentSettingsError
from autocut_core.plugins import get_host, get_registry, inline_plugin
from autocut_core.settings import load_settings
from autocut_core.testing import FakeEncoder


class _GridSettings(ComponentSettings):
    grid: int = Field(2, ge=1)


class _WiderGridSettings(_GridSettings):
    border: int = 0


class _OtherSettings(ComponentSettings):
    other: str = "x"


class _GridEncoder(FakeEncoder, Encoder[_GridSettings]):
    name = "grid-test"


class _WiderGridEncoder(_GridEncoder):
    name = "wider-grid-test"
    Settings = _WiderGridSettings


class _ChildOfWider(_WiderGridEncoder):
    name = "child-of-wider-test"


class _Mismatched(FakeEncoder, Encoder[_GridSettings]):
    name = "mismatched-test"
    Settings = _OtherSettings  # type: ignore[assignment]  # the mistake under test


def test_the_type_argument_is_the_options_model():
    encoder = _GridEncoder.from_options({"grid": "3"})
    assert _GridEncoder.Settings is _GridSettings
    assert isinstance(encoder.settings, _GridSettings)
    assert encoder.settings.grid == 3
    with pytest.raises(ComponentSettingsError, match="Known options: grid"):
        _GridEncoder.from_options({"gird": 3})


def test_a_bare_base_class_takes_no_options():
    assert FakeEncoder.Settings is ComponentSettings
    assert FakeEncoder().settings == ComponentSettings()


def test_an_explicit_narrower_model_is_kept_by_subclasses():
    # A subclass that names no model inherits its parent's, not the type argument further up.
    assert _WiderGridEncoder.Settings is _WiderGridSettings
    assert _ChildOfWider.Settings is _WiderGridSettings
    assert _ChildOfWider.from_options({"border": 1}).settings.border == 1
    assert _WiderGridEncoder.class_problems() == []


def test_a_model_that_contradicts_the_type_argument_is_refused():
    problem = (
        "Settings is _OtherSettings, which does not subclass _GridSettings, "
        "the settings type argument of the class"
    )
    assert _Mismatched.class_problems() == [problem]

    class _Plugin:
        @staticmethod
        @hookimpl
        def register_encoders(register):
            register(_Mismatched)

    with inline_plugin(_Plugin, name="mismatched"):
        assert "mismatched-test" not in get_registry().names("encoder")
        (failure,) = [f for f in get_host().failures if f.name == "mismatched"]
        assert problem in failure.error


def test_settings_create_builds_the_configured_kind(tmp_path, monkeypatch):
    class _Plugin:
        @staticmethod
        @hookimpl
        def register_encoders(register):
            register(_GridEncoder)

    monkeypatch.chdir(tmp_path)
    (tmp_path / "autocut.toml").write_text(
        'encoder = "grid-test"\n[encoders.grid-test]\ngrid = 4\n'
    )
    with inline_plugin(_Plugin, name="grid"):
        encoder = load_settings().create("encoder")
    assert isinstance(encoder, _GridEncoder)
    assert isinstance(encoder.settings, _GridSettings)
    assert encoder.settings.grid == 4
