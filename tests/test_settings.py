"""Settings layers: defaults < autocut.toml < AUTOCUT_* environment < flags."""

from __future__ import annotations

import pytest

from autocut_core.errors import SettingsError
from autocut_core.settings import load_settings, parse_option_flags, with_component_options


def test_defaults_without_any_file(in_tmp):
    settings = load_settings()
    assert settings.encoder == "histogram"
    assert settings.config_file is None
    assert settings.options_for("encoder", "clip") == {}


def test_each_layer_overrides_the_one_below(in_tmp, monkeypatch):
    (in_tmp / "autocut.toml").write_text(
        'encoder = "clip"\nretriever = "annoy"\njobs = 3\n'
        '[encoders.clip]\nmodel = "ViT-B-32"\ncheckpoint = "/m/clip.pt"\n',
        encoding="utf-8",
    )
    settings = load_settings()
    assert (settings.encoder, settings.retriever, settings.jobs) == ("clip", "annoy", 3)
    assert settings.config_file == in_tmp / "autocut.toml"

    monkeypatch.setenv("AUTOCUT_RETRIEVER", "faiss")
    monkeypatch.setenv("AUTOCUT_ENCODERS__CLIP__MODEL", "ViT-L-14")
    settings = load_settings()
    assert settings.retriever == "faiss"
    # the environment changes one option; the file's other options stay
    assert settings.options_for("encoder", "clip") == {
        "model": "ViT-L-14",
        "checkpoint": "/m/clip.pt",
    }

    settings = load_settings(retriever="exact", jobs=1)
    assert (settings.retriever, settings.jobs, settings.encoder) == ("exact", 1, "clip")


def test_config_file_from_flag_and_environment(tmp_path, in_tmp, monkeypatch):
    other = tmp_path / "elsewhere.toml"
    other.write_text('voice = "fake"\n', encoding="utf-8")
    assert load_settings(other).voice == "fake"
    monkeypatch.setenv("AUTOCUT_CONFIG", str(other))
    assert load_settings().voice == "fake"
    with pytest.raises(SettingsError, match=r"missing\.toml: config file not found"):
        load_settings(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('encodr = "clip"\n', "field 'encodr': unknown field"),
        ("jobs = 'many'\n", "field 'jobs'"),
        ("encoder = \n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_file_and_field(in_tmp, text, expected):
    (in_tmp / "autocut.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "autocut.toml" in str(info.value)
    assert expected in str(info.value)


def test_option_flags_parse_and_merge():
    options = parse_option_flags(["model=ViT-B-32", "dims=[128, 64]", "note=a=b"], "--encoder-opt")
    assert options == {"model": "ViT-B-32", "dims": [128, 64], "note": "a=b"}
    with pytest.raises(SettingsError, match="--encoder-opt 'model': expected KEY=VALUE"):
        parse_option_flags(["model"], "--encoder-opt")
    with pytest.raises(SettingsError, match="not valid JSON"):
        parse_option_flags(["dims=[1,"], "--encoder-opt")


def test_flag_options_win_over_file_options(in_tmp):
    (in_tmp / "autocut.toml").write_text(
        "[encoders.histogram]\nedge_weight = 2.0\ncolour_weight = 0.5\n", encoding="utf-8"
    )
    settings = with_component_options(load_settings(), "encoder", "histogram", {"edge_weight": "3"})
    encoder = settings.create("encoder")
    assert (encoder.settings.edge_weight, encoder.settings.colour_weight) == (3.0, 0.5)


def test_creating_an_unconfigured_component_says_how_to_configure_it(in_tmp):
    with pytest.raises(
        SettingsError, match="No text encoder is configured: pass --text-encoder NAME"
    ):
        load_settings().create("text_encoder")


def test_misspelt_environment_variable_is_an_error(in_tmp, monkeypatch):
    monkeypatch.setenv("AUTOCUT_ENCODR", "clip")
    with pytest.raises(
        SettingsError,
        match=r"AUTOCUT_ENCODR is not an AutoCut setting\. Did you mean AUTOCUT_ENCODER\?",
    ):
        load_settings()


def test_plugin_control_variables_are_not_settings_errors(in_tmp, monkeypatch):
    monkeypatch.setenv("AUTOCUT_DISABLE_PLUGINS", "x")
    monkeypatch.setenv("AUTOCUT_ENCODERS__HISTOGRAM__EDGE_WEIGHT", "2")
    assert load_settings().options_for("encoder", "histogram") == {"edge_weight": "2"}
