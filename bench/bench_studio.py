"""How long `autocut studio` takes to show the bundled example's storyboard (issue 16: "within
a minute"), against the command line doing the same work (the baseline).

The studio row is what a person gets: ``autocut studio`` started in a fresh project folder,
then over real HTTP what the page does when "Open the bundled example" is clicked: the
example's footage is made, indexed (footage and six music tracks), and the pipeline runs
(the ``similarity`` backbone, a dry run) until the storyboard answers. Each step is the time
since the command was started, so the last one is the figure issue 16 names. A second run
of the same project follows (the backbone is kept per project, so it loads nothing again).

The baseline is the same work from the command line in one process per step: the example's
``make_footage.py`` at the studio's frame size, then ``autocut run --dry-run`` on that footage
and the same six tracks with the same backbone (it indexes, then plans). No thresholds; the
ratio divides the studio's time to the storyboard by the command line's.

    .venv/bin/python bench/bench_studio.py
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import fmt, machine_line, markdown_table, note

ROOT = Path(__file__).resolve().parents[1]
#: A step that takes longer than this is a failure, not a measurement.
STEP_TIMEOUT = 900.0


def _autocut() -> list[str]:
    script = Path(sys.executable).with_name("autocut")
    return [str(script)] if script.exists() else [sys.executable, "-m", "autocut_core.cli"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _until(condition: Callable[[], Any], what: str) -> Any:
    deadline = time.monotonic() + STEP_TIMEOUT
    while time.monotonic() < deadline:
        answer = condition()
        if answer:
            return answer
        time.sleep(0.2)
    raise SystemExit(f"bench_studio: {what} took longer than {STEP_TIMEOUT:.0f} s")


class Client:
    """The studio's JSON API over HTTP, as the page calls it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, path: str, method: str = "GET") -> Any:
        data = b"" if method == "POST" else None
        request = urllib.request.Request(self.url + path, method=method, data=data)
        with urllib.request.urlopen(request, timeout=STEP_TIMEOUT) as response:
            return json.loads(response.read())

    def answers(self) -> bool:
        try:
            self.call("/api/options")
        except OSError:
            return False
        return True

    def finished(self, project: str, kind: str, count: int = 1) -> dict[str, Any] | None:
        """The ``count``-th job of ``kind`` once it has ended; an error if it failed."""
        jobs = [job for job in self.call(f"/api/projects/{project}")["jobs"]
                if job["kind"] == kind]  # fmt: skip
        if len(jobs) < count or jobs[count - 1]["state"] not in ("done", "failed"):
            return None
        job = jobs[count - 1]
        if job["state"] == "failed":
            raise SystemExit(f"bench_studio: the studio's {kind} job failed: {job['error']}")
        return job


def studio_times(work: Path) -> list[tuple[str, float]]:
    """Seconds from ``autocut studio`` starting to each step of the bundled example."""
    port = _free_port()
    client = Client(f"http://127.0.0.1:{port}")
    log = (work / "studio.log").open("w")
    started = time.perf_counter()
    server = subprocess.Popen(
        [*_autocut(), "studio", "--port", str(port), "--project", str(work / "projects")],
        cwd=work, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    marks: list[tuple[str, float]] = []

    def mark(step: str) -> None:
        marks.append((step, time.perf_counter() - started))
        note(f"studio: {step} at {marks[-1][1]:.1f} s")

    try:
        _until(client.answers, "the server answering")
        mark("the page answers")
        project = client.call("/api/projects/example", "POST")["id"]
        _until(lambda: client.finished(project, "footage"), "making the footage")
        mark("footage made")
        _until(lambda: client.finished(project, "index"), "indexing")
        mark("footage and music indexed")
        client.call(f"/api/projects/{project}/run", "POST")
        _until(lambda: client.finished(project, "run"), "the run")
        slots = len(client.call(f"/api/projects/{project}/storyboard")["slots"])
        mark(f"storyboard shown ({slots} slots)")
        again = time.perf_counter()
        client.call(f"/api/projects/{project}/run", "POST")
        _until(lambda: client.finished(project, "run", 2), "the second run")
        marks.append(("a second run of the project (alone)", time.perf_counter() - again))
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    return marks


def cli_times(work: Path) -> list[tuple[str, float]]:
    """The same example from the command line: make the footage, then a dry run."""
    from autocut_core.studio.example import EXAMPLE_TRACKS, MUSIC_LIBRARY

    demo = ROOT / "examples" / "demo"
    footage, music = work / "footage", work / "music"
    music.mkdir()
    for track in sorted(MUSIC_LIBRARY.glob("*.ogg"))[:EXAMPLE_TRACKS]:
        (music / track.name).symlink_to(track)
    # the studio's own footage maker (the example's make_footage.py at the studio's size)
    make = ("import sys; from pathlib import Path; "
            "from autocut_core.studio.example import footage_maker; "
            "footage_maker(Path(sys.argv[1])).main(sys.argv[2])")  # fmt: skip
    steps = [
        ("footage made", [sys.executable, "-c", make, str(demo), str(footage)]),
        ("autocut run --dry-run (index + plan)", [
            *_autocut(), "run", "--product", str(demo / "product.toml"),
            "--script", str(demo / "script.txt"), "--footage", str(footage),
            "--music", str(music), "--backbone", "similarity", "--db", str(work / "db"),
            "--dry-run", "-o", str(work / "ad.plan.json"),
        ]),
    ]  # fmt: skip
    marks: list[tuple[str, float]] = []
    started = time.perf_counter()
    for step, command in steps:
        subprocess.run(command, cwd=work, check=True, capture_output=True)
        marks.append((step, time.perf_counter() - started))
        note(f"command line: {step} at {marks[-1][1]:.1f} s")
    return marks


def main() -> None:
    print(machine_line())
    print()
    with tempfile.TemporaryDirectory(prefix="bench-studio-") as folder:
        work = Path(folder)
        (work / "cli").mkdir()
        (work / "studio").mkdir()
        cli = cli_times(work / "cli")
        studio = studio_times(work / "studio")
    baseline = cli[-1][1]
    storyboard = next(seconds for step, seconds in studio if step.startswith("storyboard"))
    rows = [["command line (baseline)", step, fmt(seconds, 1), ""] for step, seconds in cli]
    for step, seconds in studio:
        ratio = f"{storyboard / baseline:.2f}x" if step.startswith("storyboard") else ""
        rows.append(["autocut studio", step, fmt(seconds, 1), ratio])
    print(markdown_table(["path", "step", "seconds since start", "vs command line"], rows))


if __name__ == "__main__":
    main()
