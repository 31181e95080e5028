"""Shared fixtures: a clean plugin host and environment for every test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocut_core import plugins


@pytest.fixture(autouse=True)
def _clean_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test loads plugins afresh, with no AUTOCUT_* variables leaking in."""
    import os

    for variable in list(os.environ):
        if variable.startswith("AUTOCUT_"):
            monkeypatch.delenv(variable)
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
