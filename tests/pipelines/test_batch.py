"""`autocut batch`: one real ad per CSV row, a bad row isolated, resumed after a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autocut_core.errors import InputError
from autocut_core.media import probe
from autocut_core.pipelines.batch import read_briefs

#: Seconds the killed run may take to finish its first row (a generous safety net for a
#: loaded machine, not a timing assertion: the test waits for the record, then kills).
FIRST_ROW_WAIT_S = 600


def _briefs(brief: Path, folder: Path) -> Path:
    """Two good rows around a bad one; paths relative to the CSV's folder."""
    rel = os.path.relpath(brief, folder)
    rows = [
        "id,product,script,footage,music",
        f"first,{rel}/product.toml,{rel}/script.txt,{rel}/footage,{rel}/music/calm.wav",
        f"broken,{rel}/missing.toml,{rel}/script.txt,{rel}/footage,",
        f"second,{rel}/product.toml,{rel}/script.txt,{rel}/footage/city.mp4;"
        f"{rel}/footage/trail.mp4,{rel}/music",
    ]
    path = folder / "briefs.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _statuses(record: Path) -> dict[str, str]:
    try:
        data = json.loads(record.read_text())
    except (FileNotFoundError, json.JSONDecodeError):  # not written yet (it is atomic)
        return {}
    return {row["id"]: row["status"] for row in data["rows"]}


@pytest.mark.slow  # a subprocess killed mid-run and three real renders
def test_batch_resumes_after_a_kill_and_isolates_a_bad_row(brief, tmp_path, cli) -> None:
    csv_file = _briefs(brief, tmp_path)
    out = tmp_path / "out"
    record = out / "batch.json"
    args = ["batch", "--config", str(brief / "autocut.toml"), str(csv_file), "-o", str(out),
            "--db", str(brief / "db"), "--no-voice-over"]  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCUT_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "autocut_core.cli", *args],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + FIRST_ROW_WAIT_S
    while _statuses(record).get("first") != "done":
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
        assert time.monotonic() < deadline, "the first row never finished"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    killed = _statuses(record)
    assert killed["first"] == "done" and killed.get("second") != "done", "kill mid-way"
    first_video = out / "first.mp4"
    made_at = first_video.stat().st_mtime_ns

    code, stdout, err = cli(*args, "--json")
    assert code == 1 and "1 of 3 rows failed" in err
    rows = {row["id"]: row for row in json.loads(stdout)["rows"]}
    assert {key: row["status"] for key, row in rows.items()} == {
        "first": "skipped", "broken": "failed", "second": "done",
    }  # fmt: skip
    assert first_video.stat().st_mtime_ns == made_at  # not made again
    assert rows["broken"]["error"].endswith("missing.toml: product file not found")
    for key in ("first", "second"):
        video = Path(rows[key]["output"])
        assert video == out / f"{key}.mp4" and (out / f"{key}.plan.json").is_file()
        assert probe(video).duration == pytest.approx(rows[key]["duration"], abs=0.15)
    assert _statuses(record) == {"first": "done", "broken": "failed", "second": "done"}

    code, stdout, _ = cli(*args, "--json")  # nothing left but the broken row
    assert code == 1
    assert [row["status"] for row in json.loads(stdout)["rows"]] == [
        "skipped", "failed", "skipped",
    ]  # fmt: skip


def test_a_briefs_file_with_bad_columns_or_ids_is_refused(tmp_path) -> None:
    path = tmp_path / "briefs.csv"
    path.write_text("product,footage,musik\np.toml,f,m\n")
    with pytest.raises(InputError, match=r"briefs\.csv: unknown column\(s\) musik"):
        read_briefs(path)
    path.write_text("product,script\np.toml,s.txt\n")
    with pytest.raises(InputError, match=r"missing column\(s\) footage"):
        read_briefs(path)
    path.write_text("id,product,footage\na,p.toml,f\nb,p.toml,f\na,q.toml,g\n")
    with pytest.raises(InputError, match="id 'a' on lines 2 and 4"):
        read_briefs(path)
    path.write_text("product,footage\np.toml,f\n\nq.toml,g\n")
    # csv skips the blank line: ids count data rows, lines count the file's lines.
    assert [(row.id, row.line) for row in read_briefs(path)] == [("row-1", 2), ("row-2", 4)]
