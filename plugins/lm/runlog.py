"""The run's loss log: ``log.jsonl`` and ``log.csv`` in the run folder, TensorBoard when installed.

One record per logged optimizer step (``split`` "train") and per evaluation (``split``
"val"). On resume the records after the checkpoint's step are dropped first, so the log of
a resumed run reads like one uninterrupted run. Only the main process writes.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from autocut_core.fsutil import atomic_write_text

COLUMNS = ("step", "epoch", "split", "loss", "lr", "grad_norm", "tokens", "tokens_per_s")


class RunLog:
    def __init__(self, run: Path, enabled: bool, tensorboard: bool = True):
        self.jsonl = Path(run) / "log.jsonl"
        self.csv = Path(run) / "log.csv"
        self.enabled = enabled
        self.writer: Any = None
        if enabled and tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.writer = SummaryWriter(log_dir=str(Path(run) / "tensorboard"))
            except ImportError:  # tensorboard is optional
                self.writer = None

    def records(self) -> list[dict[str, Any]]:
        if not self.jsonl.is_file():
            return []
        return [
            json.loads(line) for line in self.jsonl.read_text(encoding="utf-8").splitlines() if line
        ]

    def restart(self, after_step: int) -> None:
        """Keep only records up to ``after_step`` (0: start empty) and rewrite both files."""
        if not self.enabled:
            return
        kept = [record for record in self.records() if record["step"] <= after_step]
        atomic_write_text(self.jsonl, "".join(json.dumps(r) + "\n" for r in kept))
        buffer = io.StringIO()
        writer = csv.DictWriter(
            buffer, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(kept)
        atomic_write_text(self.csv, buffer.getvalue())

    def add(self, record: dict[str, Any]) -> None:
        if not self.enabled:
            return
        with open(self.jsonl, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        with open(self.csv, "a", encoding="utf-8", newline="") as handle:
            csv.DictWriter(
                handle, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n"
            ).writerow(record)
        if self.writer is not None:
            split, step = record["split"], record["step"]
            for key in ("loss", "lr", "grad_norm", "tokens_per_s"):
                if record.get(key) is not None:
                    self.writer.add_scalar(f"{split}/{key}", record[key], step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
