"""Running ffmpeg: what this build offers, and one run with a readable error when it fails.

Commands are argument lists (never a shell string). Filter graphs are handed over in a file
(``-filter_complex_script``) and ffmpeg runs inside the render's private working folder, so
the graph can name its subtitle file by a fixed relative name: no path, and no user text,
ever appears in a filter graph, where ``:``, ``,``, ``'``, ``[`` and ``;`` mean something.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from autocut_core.errors import AutocutError
from autocut_core.media import display_path

#: Lines of ffmpeg's output quoted in an error.
STDERR_TAIL_LINES = 12
_POINTER = re.compile(r" @ 0x[0-9a-f]+\]")


class RenderError(AutocutError):
    """ffmpeg could not render the plan; the message quotes the end of its log."""


def ffmpeg_program() -> str:
    """The absolute path of ffmpeg, or a RenderError that says how to install it."""
    found = shutil.which("ffmpeg")
    if found is None:
        raise RenderError("ffmpeg is not installed (apt-get install ffmpeg)")
    return found


@functools.cache
def listed(section: str) -> frozenset[str]:
    """Names ffmpeg lists under ``-filters`` or ``-encoders`` (empty without ffmpeg)."""
    program = shutil.which("ffmpeg")
    if program is None:
        return frozenset()
    try:
        listing = subprocess.run(
            [program, "-hide_banner", f"-{section}"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    names = set()
    for line in listing.splitlines():
        parts = line.split()
        # "  V....D libx264  ..." / " ... xfade  VV->V  Cross fade ..." ; the legend has " = ".
        if len(parts) >= 2 and "=" not in parts[:2]:
            names.add(parts[1])
    return frozenset(names)


def run_ffmpeg(
    arguments: Sequence[str],
    *,
    cwd: Path,
    timeout: float | None,
    what: str,
    on_progress: Callable[[float], None] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``ffmpeg ARGUMENTS`` in ``cwd``; a failure or timeout is a :class:`RenderError`.

    ``subprocess.run`` kills ffmpeg if Python is interrupted (Ctrl-C) or the timeout passes,
    so no ffmpeg outlives the render that started it. ``on_progress`` is called with the
    seconds of output written so far (ffmpeg's ``-progress``, about twice a second).
    """
    command = [ffmpeg_program(), "-nostdin", "-hide_banner", "-nostats", *arguments]
    try:
        if on_progress is None:
            completed = subprocess.run(
                command,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout or None,
                check=False,
            )
        else:
            completed = _run_reporting(command, cwd, timeout or None, on_progress)
    except subprocess.TimeoutExpired:
        raise RenderError(f"{what}: ffmpeg did not finish within {timeout:g} s") from None
    if completed.returncode != 0:
        raise RenderError(
            f"{what}: ffmpeg failed (exit status {completed.returncode}):\n"
            + stderr_tail(completed.stderr)
        )
    return completed


def _run_reporting(
    command: list[str], cwd: Path, timeout: float | None, on_progress: Callable[[float], None]
) -> subprocess.CompletedProcess[bytes]:
    """``subprocess.run`` that reads ffmpeg's ``-progress`` lines from stdout as they come.

    stderr is drained by a thread (a full pipe would stall ffmpeg); a timer kills ffmpeg at
    the timeout, and any exception here (Ctrl-C included) kills it before it propagates.
    """
    command = [command[0], "-progress", "pipe:1", *command[1:]]
    with subprocess.Popen(
        command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        stderr = process.stderr  # narrowed here: the lambda below would see it Optional again
        errors: list[bytes] = []
        drain = threading.Thread(target=lambda: errors.append(stderr.read()), daemon=True)
        drain.start()
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            process.kill()

        timer = threading.Timer(timeout, expire) if timeout else None
        if timer is not None:
            timer.start()
        try:
            for line in process.stdout:
                key, _, value = line.strip().partition(b"=")
                if key == b"out_time_us" and value.isdigit():
                    on_progress(int(value) / 1e6)
            process.wait()
        except BaseException:
            process.kill()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        drain.join()
        if expired.is_set():
            raise subprocess.TimeoutExpired(command, timeout or 0)
    return subprocess.CompletedProcess(command, process.returncode, b"", b"".join(errors))


def log_lines(stderr: bytes) -> list[str]:
    """ffmpeg's log as printable lines, ``[xfade @ 0x55d0...]`` shortened to ``[xfade]``."""
    text = stderr.decode("utf-8", errors="backslashreplace")
    lines = (_POINTER.sub("]", line.strip()) for line in text.splitlines())
    return [display_path(line) for line in lines if line]


def stderr_tail(stderr: bytes, lines: int = STDERR_TAIL_LINES) -> str:
    """The last lines of ffmpeg's log, indented."""
    return "\n".join("  " + line for line in log_lines(stderr)[-lines:]) or "  (no output)"
