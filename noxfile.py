"""Developer sessions. They run in the environment nox itself runs from (``.venv``, made by
``scripts/bootstrap.sh``), so the heavy dependencies are installed once, not per session::

    .venv/bin/nox -s tests      # the test suite (what CI runs, after lint)
    .venv/bin/nox -s lint       # ruff check + format check + mypy
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
    """ruff lint and formatting check, then mypy on the core and the reference plugins
    (configured in pyproject.toml, ``[tool.mypy]``)."""
    session.run(sys.executable, "-m", "ruff", "check", ".")
    session.run(sys.executable, "-m", "ruff", "format", "--check", ".")
    session.run(sys.executable, "-m", "mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Every benchmark script; each prints a table with ratios against a named baseline."""
    scripts = session.posargs or sorted(str(p) for p in (ROOT / "bench").glob("bench_*.py"))
    for script in scripts:
        session.run(sys.executable, script)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job on the bundled example: footage, script and music in, out/demo.mp4 out.

    The footage is made from photos that ship with Debian (opencv-doc); the music library is
    the real tracks of the hyperrogue-music package. Both come with scripts/bootstrap.sh.
    """
    session.run(sys.executable, str(ROOT / "examples" / "demo" / "run_demo.py"), "out")


@nox.session(name="train-demo")
def train_demo(session: nox.Session) -> None:
    """Train the bundled demo model on the CPU (under an hour on two cores) into
    examples/demo/model/: synthetic ads, tokenizers, align, LoRA SFT, then the eval table.

    Arguments after ``--`` go to examples/demo/train_demo.py (``--scale toy``, ``--only eval``).
    """
    session.run(sys.executable, str(ROOT / "examples" / "demo" / "train_demo.py"), *session.posargs)
