"""The per-sample results file: append-only JSONL that an interrupted run cannot corrupt.

Each scored sample is one line written with a single ``write`` on a file opened for
appending, then flushed to disk, so a Ctrl-C or a killed process leaves every earlier line
whole; a line torn by a power cut is the only thing that can be cut short, and it is dropped
when the file is read and cut off before the next append. A re-run reads the file, skips
the samples already in it, and appends the rest.

Beside it, ``run.json`` records what produced the results (system, backbone and options,
data file), so a resumed run with another backbone is refused instead of mixing two systems
in one file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_write_text

RESULTS_FILE = "results.jsonl"
#: LLM-judge scores (VSC, SQ) of the results, a second pass with its own resumable log.
JUDGES_FILE = "judges.jsonl"
RUN_FILE = "run.json"
#: What must match for a re-run to continue a results file instead of starting another.
RUN_IDENTITY = ("backbone", "backbone_options", "clip_text", "data")


def read_results(path: Path) -> list[dict[str, Any]]:
    """Every whole record of a results file, in order (a torn last line is left out)."""
    if not path.is_file():
        return []
    records = []
    lines = path.read_bytes().split(b"\n")
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            records.append(json.loads(raw))
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            if number == len(lines):  # the unterminated last line: a write that was cut off
                break
            raise InputError(f"{path}:{number}: not a results record ({error})") from None
    return records


class ResultsLog:
    """Append records to ``folder/name`` (``results.jsonl``) and know which samples are done."""

    def __init__(self, folder: Path, name: str = RESULTS_FILE):
        self.folder = Path(folder)
        self.path = self.folder / name
        self.records = read_results(self.path)
        self.done = {record["sample_id"] for record in self.records}

    def append(self, record: Mapping[str, Any]) -> None:
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        self.folder.mkdir(parents=True, exist_ok=True)
        self._cut_torn_tail()
        handle = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            written = os.write(handle, data)
            if written != len(data):  # pragma: no cover - a full disk
                raise OSError(f"{self.path}: short write ({written} of {len(data)} bytes)")
            os.fsync(handle)
        finally:
            os.close(handle)
        self.records.append(dict(record))
        self.done.add(record["sample_id"])

    def _cut_torn_tail(self) -> None:
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        with open(self.path, "rb+") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) == b"\n":
                return
            handle.seek(0)
            data = handle.read()
            handle.truncate(data.rfind(b"\n") + 1)


def read_run(folder: Path) -> dict[str, Any] | None:
    path = Path(folder) / RUN_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error.msg})") from None


def start_run(folder: Path, run: Mapping[str, Any], fresh: bool = False) -> ResultsLog:
    """Open ``folder`` for ``run``: continue its results, or refuse another system's."""
    folder = Path(folder)
    previous = read_run(folder)
    if fresh:
        (folder / RESULTS_FILE).unlink(missing_ok=True)
        (folder / JUDGES_FILE).unlink(missing_ok=True)
    elif previous is not None and (folder / RESULTS_FILE).is_file():
        changed = [key for key in RUN_IDENTITY if previous.get(key) != run.get(key)]
        if changed:
            details = ", ".join(
                f"{key} {previous.get(key)!r} -> {run.get(key)!r}" for key in changed
            )
            raise InputError(
                f"{folder}: holds results of another run ({details}); choose another -o "
                "folder, or --fresh to discard them"
            )
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / RUN_FILE, json.dumps(dict(run), ensure_ascii=False, indent=2))
    return ResultsLog(folder)
