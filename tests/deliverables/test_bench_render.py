"""bench/bench_render.py runs end to end (``--quick``: three short slots at 360x640)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def test_quick_benchmark_prints_one_row_per_method(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench_render.py"), "--quick", "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    labels = [row.split("|")[1].strip() for row in rows[1:]]
    assert labels == [
        "bare x264 encode (baseline)",
        "AutoCut ffmpeg renderer",
        "AutoCut ffmpeg renderer, ad craft",
        "MoviePy (MoneyPrinterTurbo recipe)",
        "AutoCut side outputs",
    ]
    baseline = [cell.strip() for cell in rows[1].split("|")]
    assert baseline[-3:-1] == ["1.00", "1.00"]
    for row in rows[1:5]:
        output_seconds = float(row.split("|")[7])
        assert output_seconds == pytest.approx(4.5, abs=0.1)
    assert "Ad craft (end card + beat tracking and snapping" in result.stdout
    for name in (
        "autocut.mp4",
        "autocut-craft.mp4",
        "moviepy.mp4",
        "bare.mp4",
        "autocut.otio",
        "autocut.contact.png",
    ):
        assert (tmp_path / name).is_file(), name
