"""Shared fixtures: a clean plugin host and environment for every test.

Every numeric result must be the same on every run and machine, and the number of threads
changes the order of floating-point sums (BLAS, torch, faiss). So each test process, and
every process it starts, computes with one thread: set here, before numpy or torch load.
pytest-xdist gives each core a worker process, so one thread each is also the fastest.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import json  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

from autocut_core import plugins  # noqa: E402

# Property tests draw the same examples on every run (derandomize) and have no per-example
# deadline: a loaded machine must not turn a slow example into a failure.
settings.register_profile("autocut", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("autocut")


@pytest.fixture(autouse=True)
def _clean_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test loads plugins afresh, with no AUTOCUT_* variables leaking in, and with the
    Hugging Face Hub offline: no test reaches the internet (tests/models serves a loopback
    hub to the tests that download)."""
    import os

    for variable in list(os.environ):
        if variable.startswith("AUTOCUT_"):
            monkeypatch.delenv(variable)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    plugins.reset()
    yield
    plugins.reset()


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the real ``autocut`` entry point in-process: returns (exit code, stdout, stderr)."""
    from autocut_core.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture
def cli_json(cli):
    def run(*args: str):
        code, out, err = cli(*args)
        assert code == 0, err
        return json.loads(out)

    return run


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from an empty directory (no stray autocut.toml)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
