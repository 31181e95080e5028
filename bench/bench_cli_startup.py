"""How long `autocut` takes to start, against a bare Python interpreter start (the baseline).

`autocut --help` loads every plugin (their commands must be listed), so this measures the
whole plugin layer; heavy libraries must stay out of it. Prints a table; no thresholds.

The warm rows measure what users get from their second run on: the children run with
``PYTHONDONTWRITEBYTECODE`` removed from their environment, and each command runs once
untimed first, so the bytecode cache (``__pycache__``) exists. The commands are the installed
``autocut`` console script (``python -m autocut_core.cli`` where there is none), started from
an empty directory, in round-robin, so that a change in the machine's load touches every row
alike. The cold row is the first run after a source checkout or an editable install:
AutoCut's own modules (``autocut_core``, ``autocut_plugins``) have no bytecode and compile on
every import, while the standard library and the other packages keep theirs (a private
``PYTHONPYCACHEPREFIX`` with AutoCut's entries removed, and ``PYTHONDONTWRITEBYTECODE=1``).
"CPU ms" is the child's user + system time, which other load inflates less than wall time.
"""

from __future__ import annotations

import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine_line, markdown_table, note

RUNS = 15
BASELINE = "python -c pass (baseline)"


def _autocut() -> list[str]:
    script = Path(sys.executable).with_name("autocut")
    return [str(script)] if script.exists() else [sys.executable, "-m", "autocut_core.cli"]


COMMANDS = {
    BASELINE: [sys.executable, "-c", "pass"],
    "autocut --version": [*_autocut(), "--version"],
    "autocut --help": [*_autocut(), "--help"],
    "autocut plugins --json": [*_autocut(), "plugins", "--json"],
}
COLD = "autocut --help, cold (no bytecode cache)"


def _environment(**extra: str) -> dict[str, str]:
    environment = {
        key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"
    }
    environment.pop("PYTHONPYCACHEPREFIX", None)
    environment.update(extra)
    return environment


def _run(command: list[str], environment: dict[str, str], cwd: Path) -> tuple[float, float]:
    """One run of ``command``: (wall seconds, child CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=environment, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def _project_roots() -> list[Path]:
    roots = []
    for package in ("autocut_core", "autocut_plugins"):
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            roots.extend(Path(location).resolve() for location in spec.submodule_search_locations)
    return roots


def _cold_environment(command: list[str], cwd: Path, prefix: Path) -> dict[str, str]:
    """An environment in which every module's bytecode is cached except AutoCut's own."""
    _run(command, _environment(PYTHONPYCACHEPREFIX=str(prefix)), cwd)  # caches everything
    for root in _project_roots():
        shutil.rmtree(prefix / str(root).lstrip(os.sep), ignore_errors=True)
    return _environment(PYTHONPYCACHEPREFIX=str(prefix), PYTHONDONTWRITEBYTECODE="1")


def main() -> None:
    print(machine_line())
    with tempfile.TemporaryDirectory(prefix="autocut-bench-") as folder:
        cwd = Path(folder) / "work"
        cwd.mkdir()
        warm = _environment()
        cases = [(label, command, warm) for label, command in COMMANDS.items()]
        for _, command, environment in cases:
            _run(command, environment, cwd)  # warm-up: writes the bytecode cache
        help_command = COMMANDS["autocut --help"]
        cold = _cold_environment(help_command, cwd, Path(folder) / "pycache")
        cases.append((COLD, help_command, cold))
        # Round-robin, so a change in the machine's load touches every row alike.
        timings: dict[str, list[tuple[float, float]]] = {label: [] for label, _, _ in cases}
        for round_ in range(RUNS):
            note(f"round {round_ + 1}/{RUNS}")
            for label, command, environment in cases:
                timings[label].append(_run(command, environment, cwd))
    results = {
        label: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
        for label, runs in timings.items()
    }
    baseline = results[BASELINE][0]
    print(f"\nCLI start-up, median of {RUNS} runs, bytecode cache warm unless marked cold\n")
    rows = [
        [label, f"{wall * 1000:.1f}", f"{cpu * 1000:.1f}", f"{wall / baseline:.2f}"]
        for label, (wall, cpu) in results.items()
    ]
    print(markdown_table(["command", "ms", "CPU ms", "x baseline"], rows))


if __name__ == "__main__":
    main()
