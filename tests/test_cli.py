"""The command line as users call it: exit codes, JSON output, errors on stderr."""

from __future__ import annotations

import subprocess
import sys

import pytest

from autocut_core import plugins
from autocut_core.plugins import get_registry


def test_version(cli):
    assert cli("--version") == (0, "autocut 0.1.0\n", "")
    assert plugins._host is None  # answered without loading a plugin


def test_version_with_other_arguments_goes_through_the_app(cli):
    assert cli("--version", "plugins") == (0, "autocut 0.1.0\n", "")


def test_plugins_json_lists_builtins_by_kind_and_provider(cli_json):
    report = cli_json("plugins", "--json")
    encoders = {entry["name"]: entry for entry in report["components"]["encoder"]}
    assert encoders["histogram"]["package"] == "autocut"
    assert encoders["histogram"]["builtin"] is True
    assert encoders["histogram"]["modality"] == "image"
    assert {e["name"] for e in report["components"]["evaluator"]} >= {"selection", "ordering"}
    assert report["failures"] == []
    assert set(report["components"]) == {
        "encoder", "tokenizer", "backbone", "retriever", "renderer", "evaluator", "voice",
        "captioner", "transcriber", "separator", "pipeline",
    }  # fmt: skip


def test_plugins_all_adds_plugins_and_options(cli_json, cli):
    report = cli_json("plugins", "--all", "--json")
    assert {p["name"] for p in report["plugins"]} >= {"histogram", "exact", "espeak"}
    histogram = next(e for e in report["components"]["encoder"] if e["name"] == "histogram")
    assert histogram["options"]["edge_weight"] == {
        "type": "float", "default": 1.0, "required": False,
        "description": "Weight of the edge-orientation block",
    }  # fmt: skip
    code, out, _ = cli("plugins", "--all")
    assert code == 0 and "plugins:" in out and "histogram" in out


def test_plugins_all_shows_real_defaults_and_how_each_option_is_set(cli_json, cli):
    """A default made by a factory is shown as its value, and evaluators (which no command
    takes a flag for) are shown with their autocut.toml table."""
    report = cli_json("plugins", "--all", "--json")
    openai = next(e for e in report["components"]["backbone"] if e["name"] == "openai")
    assert openai["options"]["extra_body"]["default"] == {}
    code, out, _ = cli("plugins", "--all")
    assert code == 0 and "PydanticUndefined" not in out and "--evaluator-opt" not in out
    assert "--backbone-opt extra_body (dict = {})" in out
    assert "[evaluators.music] ks" in out


def test_plugins_table(cli):
    code, out, _ = cli("plugins")
    assert code == 0
    assert "encoders:" in out and "histogram" in out and "autocut 0.1.0" in out


def test_unknown_component_exits_2_with_suggestion(cli):
    code, out, err = cli("plugins", "show", "encoder", "histgram")
    available = ", ".join(get_registry().names("encoder"))
    assert code == 2
    assert out == ""
    assert (
        err.strip()
        == f"Error: Unknown encoder 'histgram'. Available: {available}. Did you mean 'histogram'?"
    )


def test_unknown_kind_exits_2(cli):
    code, _, err = cli("plugins", "show", "encodr", "clip")
    assert code == 2 and "Did you mean 'encoder'?" in err


def test_plugins_show_details(cli_json):
    detail = cli_json("plugins", "show", "voice", "espeak", "--json")
    assert detail["options"]["voice"]["default"] == "auto"
    assert detail["package"] == "autocut"


def test_config_show_reflects_layers(cli, cli_json, in_tmp, monkeypatch):
    (in_tmp / "autocut.toml").write_text(
        'encoder = "clip"\n[encoders.clip]\nmodel = "RN50"\n', encoding="utf-8"
    )
    monkeypatch.setenv("AUTOCUT_JOBS", "4")
    shown = cli_json("config", "show", "--json")
    assert shown["config_file"] == str(in_tmp / "autocut.toml")
    assert shown["settings"]["encoder"] == "clip"
    assert shown["settings"]["encoders"] == {"clip": {"model": "RN50"}}
    assert shown["settings"]["jobs"] == 4
    code, out, _ = cli("config", "show")
    assert code == 0 and 'encoder = "clip"' in out and "[encoders.clip]" in out


def test_config_errors_exit_2(cli, in_tmp):
    (in_tmp / "autocut.toml").write_text("jobs = 'x'\n", encoding="utf-8")
    code, _, err = cli("config", "show")
    assert (
        code == 2 and err.startswith(f"Error: {in_tmp / 'autocut.toml'}") and "field 'jobs'" in err
    )


def test_doctor_reports_every_check(cli_json, cli, in_tmp):
    checks = {check["name"]: check for check in cli_json("doctor", "--json")}
    assert checks["python"]["status"] == "ok"
    for name in (
        "ffmpeg",
        "ffprobe",
        "ffmpeg filters",
        "ffmpeg encoders",
        "font (Latin)",
        "voice espeak",
    ):
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["plugins"]["detail"].endswith("components")


def test_doctor_warns_only_for_a_missing_optional_transcriber(cli, in_tmp):
    (in_tmp / "autocut.toml").write_text('transcriber = "nobody"\n', encoding="utf-8")
    _, out, _ = cli("doctor")
    assert "WARN  transcriber 'nobody': Unknown transcriber 'nobody'" in out
    assert "optional: without it, ads without a transcript are skipped" in out
    assert "FAIL  transcriber" not in out


def test_doctor_warns_for_a_missing_separator_and_says_none_is_the_mix(cli, in_tmp):
    (in_tmp / "autocut.toml").write_text('separator = "nobody"\n', encoding="utf-8")
    _, out, _ = cli("doctor")
    assert "WARN  separator 'nobody': Unknown separator 'nobody'" in out
    assert "dataset build embeds the mix as the music of ads without a .bgm sidecar" in out
    (in_tmp / "autocut.toml").write_text('separator = "none"\n', encoding="utf-8")
    _, out, _ = cli("doctor")
    assert "OK    separator 'none': separation turned off: dataset build embeds the mix" in out


def test_doctor_fails_for_a_configured_component_that_does_not_exist(cli, in_tmp):
    (in_tmp / "autocut.toml").write_text('retriever = "faiss2"\n', encoding="utf-8")
    code, out, _ = cli("doctor")
    assert code == 1
    assert "FAIL  retriever 'faiss2': Unknown retriever 'faiss2'" in out


def test_building_the_app_imports_nothing_heavy():
    """Start-up time is measured by bench/bench_cli_startup.py; what a test can hold on every
    machine is that building the app (every plugin loaded) imports no heavy library."""
    code = (
        "import sys; from autocut_core.cli import build_app; build_app();"
        "heavy = ('torch', 'faiss', 'annoy', 'transformers', 'cv2', 'numpy', 'scipy', 'PIL',"
        " 'opentimelineio', 'matplotlib');"
        "print([m for m in heavy if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_component_flags_are_the_top_layer(cli_json, in_tmp, monkeypatch):
    (in_tmp / "autocut.toml").write_text(
        "[encoders.histogram]\nedge_weight = 2.0\n", encoding="utf-8"
    )
    monkeypatch.setenv("AUTOCUT_RETRIEVER", "faiss")
    shown = cli_json(
        "config", "show", "--json", "--retriever", "exact",
        "--encoder-opt", "edge_weight=3", "--encoder-opt", "colour_weight=0.5",
    )["settings"]  # fmt: skip
    assert shown["retriever"] == "exact"
    assert shown["encoders"]["histogram"] == {"edge_weight": "3", "colour_weight": "0.5"}


def test_option_for_an_unchosen_component_is_an_error(cli, in_tmp):
    code, _, err = cli("config", "show", "--text-encoder-opt", "seed=1")
    assert code == 2
    assert "--text-encoder-opt was given but no encoder is chosen" in err


def test_doctor_checks_options_given_as_flags(cli, in_tmp):
    code, out, _ = cli("doctor", "--encoder-opt", "edge_wieght=3")
    assert code == 1
    assert "Invalid options for encoder 'histogram'" in out


def test_config_show_masks_credentials(cli, in_tmp):
    (in_tmp / "autocut.toml").write_text(
        '[backbones.openai]\napi_key = "sk-very-secret"\napi_key_env = "MY_KEY"\n'
    )
    code, out, err = cli("config", "show")
    assert code == 0, err
    assert "sk-very-secret" not in out
    assert 'api_key = "***"' in out and 'api_key_env = "MY_KEY"' in out


def test_ctrl_c_says_the_work_can_be_finished(monkeypatch, capsys):
    """Typer turns Ctrl-C into a silent exit 130; the user is told nothing was left
    half-written and that the same command finishes the work (tests/materials/test_index.py
    kills a real `autocut index` mid-run and resumes it)."""
    import typer

    from autocut_core.cli import app as cli_app

    def interrupted() -> None:
        raise KeyboardInterrupt

    stub = typer.Typer()
    stub.command("index")(interrupted)
    stub.command("other")(lambda: None)
    monkeypatch.setattr(cli_app, "build_app", lambda: stub)
    with pytest.raises(SystemExit) as done:
        cli_app.main(["index"])
    assert done.value.code == 130
    assert capsys.readouterr().err.strip() == cli_app.INTERRUPTED_MESSAGE
