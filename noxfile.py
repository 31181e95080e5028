"""Developer sessions. They run in the environment nox itself runs from (``.venv``, made by
``scripts/bootstrap.sh``), so the heavy dependencies are installed once, not per session::

    .venv/bin/nox -s tests      # the test suite (what CI runs, after lint)
    .venv/bin/nox -s lint       # ruff check + format check
    .venv/bin/nox -s bench      # benchmark tables (bench/*.py)
    .venv/bin/nox -s demo       # what the bundled example can do today
"""

from __future__ import annotations

import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "tests"]
ROOT = Path(__file__).parent


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite on every core (pytest-xdist)."""
    args = session.posargs or ["-n", "auto", "--dist", "loadfile"]
    session.run(sys.executable, "-m", "pytest", *args)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and formatting check."""
    session.run(sys.executable, "-m", "ruff", "check", ".")
    session.run(sys.executable, "-m", "ruff", "format", "--check", ".")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark script; each prints a table with ratios against a named baseline."""
    scripts = session.posargs or sorted(str(p) for p in (ROOT / "bench").glob("bench_*.py"))
    for script in scripts:
        session.run(sys.executable, script)


@nox.session
def demo(session: nox.Session) -> None:
    """Check the machine, list the components, index real sample footage and music."""
    cli = [sys.executable, "-m", "autocut_core.cli"]
    session.run(*cli, "doctor")
    session.run(*cli, "plugins")
    footage = "/usr/share/doc/opencv-doc/examples/data"
    music = "/usr/share/hyperrogue/music"
    session.run(
        *cli, "index", footage, "--music", music, "--db", "out/demo-db", success_codes=[0, 1]
    )
    session.run(*cli, "materials", "stats", "--db", "out/demo-db")
