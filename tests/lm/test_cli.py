"""``autocut train align|sft`` through the real command line, and what ``--help`` imports."""

from __future__ import annotations

import json
import subprocess
import sys

import autocut_plugins.lm as lm_plugin
import pytest

from .conftest import GRID


@pytest.fixture
def with_lm(autocut_plugin):
    """The plugin as its entry point registers it (inline when the entry point is missing)."""
    from autocut_core.plugins import get_host

    if "lm" not in get_host().plugins:
        autocut_plugin(lm_plugin, name="lm")


def _small(*args: str) -> list[str]:
    return [
        *args,
        "--cutoff",
        "256",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--lr",
        "3e-3",
        "--no-bf16",
    ]


def test_train_help_lists_both_stages_and_every_flag(cli, with_lm):
    code, out, _ = cli("train", "--help")
    assert code == 0 and "align" in out and "sft" in out
    code, out, _ = cli("train", "sft", "--help")
    assert code == 0
    for flag in ("--data", "--val", "--base", "--from", "--output", "--lora", "--full", "--packing",
                 "--cutoff", "--epochs", "--lr", "--batch-size", "--grad-accum", "--warmup-ratio",
                 "--bf16", "--gradient-checkpointing", "--resume", "--preset", "--stop-after",
                 "--video-codes", "--audio-codes", "--tokenizer-opt"):  # fmt: skip
        assert flag in out, flag


def test_help_with_the_plugin_imports_no_torch():
    code = (
        "import sys; from autocut_core.cli import build_app; app = build_app();"
        "import typer.main; cmd = typer.main.get_command(app);"
        "assert 'train' in cmd.commands, sorted(cmd.commands);"
        "print([m for m in ('torch', 'transformers', 'accelerate', 'peft', 'safetensors') if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_align_then_lora_sft_from_the_command_line(
    cli, with_lm, tiny_base, corpora, tmp_path, monkeypatch
):
    """Token grids from the configured tokenizers' settings; JSON summary; then a table."""
    tokenizer_dir = tmp_path / "video-tokenizer"
    tokenizer_dir.mkdir()
    (tokenizer_dir / "tokenizer.json").write_text(json.dumps({"heads": 2, "codebook_size": 8}))
    (tmp_path / "autocut.toml").write_text(
        f'[tokenizers.rqvae]\ncheckpoint = "{tokenizer_dir}"\n'
        "[tokenizers.rqvae-audio]\nheads = 2\ncodebook_size = 8\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("train", "align", *_small("--data", str(corpora["align_train"]), "--base",
                         str(tiny_base), "-o", "runs/align", "--json"))  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert summary["added_tokens"] == 44 and summary["status"] == "finished"
    assert summary["train_corpus"]["extra"]["rows"] < summary["train_corpus"]["records"]  # packed
    for name in ("config.json", "summary.json", "log.jsonl", "log.csv", "artefact/artefact.json"):
        assert (tmp_path / "runs" / "align" / name).is_file(), name
    code, out, err = cli("train", "sft", *_small("--data", str(corpora["sft_train"]), "--val",
                         str(corpora["sft_val"]), "--from", "runs/align", "--lora", "-o", "runs/sft"))  # fmt: skip
    assert code == 0, err
    assert "train sft (lora): finished" in out and "tokens/s" in out and "artefact size" in out
    info = json.loads((tmp_path / "runs" / "sft" / "artefact" / "artefact.json").read_text())
    assert info["mode"] == "lora" and info["video_codes"] == {"heads": 2, "codebook_size": 8}


def test_bad_options_exit_2_with_a_message(cli, with_lm, corpora, tmp_path):
    code, _, err = cli("train", "sft", "--data", str(corpora["sft_train"]), "-o", str(tmp_path / "r"),
                       "--preset", "nope")  # fmt: skip
    assert code == 2 and "Unknown preset 'nope'" in err
    code, _, err = cli("train", "align", "--data", str(corpora["align_train"]), "-o", str(tmp_path / "r"),
                       "--base", str(tmp_path / "missing-model"), "--video-codes", GRID)  # fmt: skip
    assert code == 2 and "Base model not found" in err and "missing-model" in err
    code, _, err = cli("train", "align", "--data", str(corpora["align_train"]), "-o", str(tmp_path / "r"),
                       "--video-codes", "8")  # fmt: skip
    assert code == 2 and "--video-codes '8': expected HEADSxCODES" in err
