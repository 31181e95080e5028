"""Helpers shared by the benchmark scripts: isolated runs, memory readings, markdown tables.

Benchmarks print tables with ratios against a baseline measured in the same run (never a
stored number, never a threshold), so the only things worth sharing are how to measure and how
to print. Each measured unit runs in a fresh ``spawn`` process: a peak memory reading then
belongs to that unit alone (peaks cannot be subtracted afterwards), and no library imported for
one method speeds up or slows down the next.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import platform
import resource
import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

_STATUS = "/proc/self/status"
_CLEAR_REFS = "/proc/self/clear_refs"


def run_isolated(function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` in a fresh interpreter (``spawn``, not ``fork``), its result returned.

    ``function`` must be importable (module level) and its arguments and result picklable.
    A fresh interpreter, not a fork, because a fork inherits the parent's memory and imports:
    its peak RSS would include them, and a library already loaded would look free.
    """
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def _status_kib(field: str) -> int | None:
    try:
        with open(_STATUS, encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mib() -> float:
    """This process's resident memory now, in MiB (``ru_maxrss`` where /proc is missing)."""
    kib = _status_kib("VmRSS")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


def reset_peak_rss() -> bool:
    """Start a new peak-RSS window (Linux: ``5`` into /proc/self/clear_refs); False if refused.

    Without it the peak would be the largest since the process started, which includes
    whatever set-up (imports, decoding the test frames) came before the measured work.
    """
    try:
        with open(_CLEAR_REFS, "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    """This process's peak resident memory since the last :func:`reset_peak_rss`, in MiB."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024


def children_peak_rss_mib() -> float:
    """The largest peak RSS of any finished child process (ffmpeg, ffprobe), in MiB.

    Decoding in a child process (AutoCut's ffmpeg pipe) does not show in our own RSS, while
    in-process decoding (OpenCV) does; adding this keeps the comparison fair.
    """
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def cpu_seconds() -> float:
    """User + system CPU seconds of this process (all threads) and its finished children.

    Wall time on a shared machine grows with everyone else's load; CPU time mostly does not,
    so a table shows both. Children count because AutoCut decodes in an ffmpeg child.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def machine_line() -> str:
    """One line naming the machine a table was measured on, with its load at the start.

    The load average is there because the machine may be shared: a load near the core count
    before the run means the timings below are pessimistic.
    """
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    cores = os.cpu_count() or 1
    return (
        f"{platform.machine()} Linux, {cores} cores, Python {platform.python_version()}, "
        f"load average before the run {load}"
    )


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table, columns padded to their widest cell; text left, numbers right.

    Cells are printed as given (format numbers before passing them), so each script decides
    its own precision; a column whose body cells all start like a number is right-aligned.
    """
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [
        max(len(header), *(len(row[i]) for row in cells)) if cells else len(header)
        for i, header in enumerate(headers)
    ]
    numeric = [
        bool(cells) and all(_looks_numeric(row[i]) for row in cells) for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        padded = [
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(
        "-" * (width + 1) + ":" if right else "-" * (width + 2)
        for width, right in zip(widths, numeric, strict=True)
    )
    rule += "|"
    return "\n".join([line(list(headers)), rule, *(line(row) for row in cells)])


def _looks_numeric(text: str) -> bool:
    stripped = text.strip().lstrip("+-~").rstrip("%x*")
    return stripped in ("", "-", "—") or stripped.replace(".", "", 1).replace(",", "").isdigit()


def fmt(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, or an em dash for a missing measurement."""
    return "—" if value is None else f"{value:.{digits}f}"


def note(message: str) -> None:
    """Progress on stderr, so stdout stays the tables alone (paste-able into the docs)."""
    print(message, file=sys.stderr, flush=True)
