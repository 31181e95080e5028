"""How long `autocut` takes to start, against a bare Python interpreter start (the baseline).

`autocut --help` loads every plugin (their commands must be listed), so this measures the
whole plugin layer; heavy libraries must stay out of it. Prints a table; no thresholds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 15
COMMANDS = {
    "python -c pass (baseline)": [sys.executable, "-c", "pass"],
    "autocut --version": [sys.executable, "-m", "autocut_core.cli", "--version"],
    "autocut --help": [sys.executable, "-m", "autocut_core.cli", "--help"],
    "autocut plugins --json": [sys.executable, "-m", "autocut_core.cli", "plugins", "--json"],
}


def median_seconds(command: list[str]) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    results = {label: median_seconds(command) for label, command in COMMANDS.items()}
    baseline = results["python -c pass (baseline)"]
    print(f"CLI start-up, median of {RUNS} runs")
    print(f"| {'command':<28} | {'ms':>7} | {'x baseline':>10} |")
    print(f"|{'-' * 30}|{'-' * 9}|{'-' * 12}|")
    for label, seconds in results.items():
        print(f"| {label:<28} | {seconds * 1000:7.1f} | {seconds / baseline:10.2f} |")


if __name__ == "__main__":
    main()
