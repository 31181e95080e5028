"""The bundled example, end to end: make the footage, then `autocut run` it into OUT/demo.mp4.

    python examples/demo/run_demo.py [OUT]      # what `nox -s demo` runs, OUT defaults to out/

The footage comes from photos that ship with Debian (opencv-doc), the music library is the
real soundtrack of the hyperrogue-music package; scripts/bootstrap.sh installs both.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: autocut runs here: the example's settings name the demo model relative to the repository.
ROOT = HERE.parents[1]
MUSIC_LIBRARY = Path("/usr/share/hyperrogue/music")


def run_command(out: Path) -> list[str]:
    """The `autocut run` call of the example (the README's main command)."""
    return [
        sys.executable, "-m", "autocut_core.cli", "run",
        "--config", str(HERE / "autocut.toml"),
        "--pipeline", "script-driven",
        "--product", str(HERE / "product.toml"),
        "--script", str(HERE / "script.txt"),
        "--footage", str(out / "demo-footage"),
        "--music", str(MUSIC_LIBRARY),
        "--db", str(out / "demo-db"),
        "-o", str(out / "demo.mp4"),
    ]  # fmt: skip


def main(out: Path) -> None:
    out = out.resolve()
    subprocess.run(
        [sys.executable, str(HERE / "make_footage.py"), str(out / "demo-footage")], check=True
    )
    subprocess.run(run_command(out), check=True, cwd=ROOT)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "out"))
