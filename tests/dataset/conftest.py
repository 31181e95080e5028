"""One synthetic ad corpus per session, built once into both corpora.

Eight good ads (two in Chinese) and one ad of every bad kind, 160x120 at 10 fps, indexed
with the weight-free ``histogram`` and ``logmel`` encoders (cut detection at 2 fps: the
build needs 1 fps frames, not fine cuts) and tokenizers trained for a few epochs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from autocut_core.testing.synthetic_ads import SyntheticCorpus, make_synthetic_ads

#: Small on purpose: a few hundred frame vectors cannot feed the paper's 2x512 MLP.
VIDEO_TOKENIZER = [
    "--tokenizer-opt", "codebook_size=16", "--tokenizer-opt", "epochs=10",
    "--tokenizer-opt", "batch_size=64", "--tokenizer-opt", "encoder_hidden=[64]",
    "--tokenizer-opt", "decoder_hidden=[64]", "--tokenizer-opt", "codebook_dim=32",
]  # fmt: skip
#: The audio codebook is left unset: the build sizes it for the dozen tracks it trains on.
AUDIO_TOKENIZER = [
    "--audio-tokenizer-opt", "epochs=40", "--audio-tokenizer-opt", "encoder_hidden=[64]",
    "--audio-tokenizer-opt", "decoder_hidden=[64]", "--audio-tokenizer-opt", "codebook_dim=32",
]  # fmt: skip


def autocut(*args: str) -> str:
    """Run the real ``autocut`` app in-process (usable from session fixtures); stdout."""
    from typer.testing import CliRunner

    from autocut_core.cli import build_app

    result = CliRunner().invoke(build_app(), list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result.stdout


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@dataclass
class Built:
    corpus: SyntheticCorpus
    folder: Path
    config: Path
    summary: dict[str, Any]

    def records(self, corpus: str, split: str) -> list[dict[str, Any]]:
        return read_jsonl(self.folder / corpus / f"{split}.jsonl")

    def sft(self) -> list[dict[str, Any]]:
        return self.records("sft", "train") + self.records("sft", "val")


@pytest.fixture(scope="session")
def torch_threads() -> Iterator[None]:
    """One torch thread for the tokenizer training: the tiny models gain nothing from two,
    and two threads wait on each other badly when other processes keep the cores busy."""
    import torch
    from autocut_plugins import _torch

    _torch.device()  # sets the threads once (cached); overridden below
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> SyntheticCorpus:
    return make_synthetic_ads(
        tmp_path_factory.mktemp("synthetic") / "ads", n_ads=8, seed=3, zh_share=0.25
    )


@pytest.fixture(scope="session")
def built(
    synthetic: SyntheticCorpus, tmp_path_factory: pytest.TempPathFactory, torch_threads: None
) -> Built:
    root = tmp_path_factory.mktemp("built")
    config = root / "autocut.toml"
    config.write_text("[index]\ndense_fps = 2\n", encoding="utf-8")
    output = autocut(
        "dataset", "build", str(synthetic.folder), "-o", str(root / "data"),
        "--config", str(config), "--jobs", "1", *VIDEO_TOKENIZER, *AUDIO_TOKENIZER,
        "--no-transcribe", "--json",
    )  # fmt: skip
    return Built(synthetic, root / "data", config, json.loads(output))
