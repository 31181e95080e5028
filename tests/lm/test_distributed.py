"""Two CPU processes (gloo) through the command line's entry point train the same weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from .conftest import GRID


@pytest.mark.slow
def test_two_processes_train_identical_weights(tiny_base, corpora, tmp_path):
    run = tmp_path / "run"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "autocut_core.cli", "train", "sft", "--data", str(corpora["sft_train"]),
        "--val", str(corpora["sft_val"]), "--base", str(tiny_base), "--full", "-o", str(run),
        "--video-codes", GRID, "--audio-codes", GRID, "--cutoff", "256", "--epochs", "1",
        "--batch-size", "2", "--grad-accum", "2", "--lr", "3e-3", "--no-bf16", "--json",
    ]  # fmt: skip
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, capture_output=True, text=True, env=environment, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["processes"] == 2 and summary["status"] == "finished"
    # 108 examples / (2 per micro-batch x 2 micro-batches x 2 processes) = 14 steps.
    assert summary["steps"] == 14
    digests = [json.loads((run / "ranks" / f"rank-{r}.json").read_text())["digest"] for r in (0, 1)]
    assert digests[0] == digests[1] and summary["ranks_agree"]
    assert summary["last_val_loss"] < summary["first_val_loss"]
    assert (run / "artefact" / "model" / "model.safetensors").is_file()
    assert result.stdout.count('"status"') == 1  # only the main process prints
