"""Progress for the page: a :class:`~autocut_core.progress.Reporter` that records events,
and their stream as server-sent events.

The pipelines, indexing and the renderer already report their stages to a Reporter (the
CLI draws them as bars); the studio hands them :class:`EventReporter` instead, so the page
shows the same stages and the same numbers (the renderer's seconds come from ffmpeg's
``-progress``). Events are kept in order in an :class:`EventLog`, one per project, which a
page reads from any position: a page opened late, or reconnecting, catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from autocut_core.progress import Stage

#: A stage update is sent at most this often (ffmpeg reports twice a second, indexing per file).
UPDATE_INTERVAL_S = 0.2
#: Events kept per project; a page that falls further behind starts from the oldest kept.
KEEP_EVENTS = 5000


class EventLog:
    """Numbered events, appended by worker threads and read by any number of streams."""

    def __init__(self) -> None:
        self._events: list[tuple[int, dict[str, Any]]] = []
        self._next = 0
        self._lock = threading.Lock()

    def emit(self, kind: str, **data: Any) -> None:
        with self._lock:
            self._events.append((self._next, {"kind": kind, "time": time.time(), **data}))
            self._next += 1
            del self._events[:-KEEP_EVENTS]

    def since(self, cursor: int) -> list[tuple[int, dict[str, Any]]]:
        """Events numbered ``cursor`` and later."""
        with self._lock:
            return [(number, event) for number, event in self._events if number >= cursor]


class _EventStage:
    def __init__(self, emit: Callable[..., None], label: str, total: float | None):
        self._emit, self.label, self.total = emit, label, total
        self._sent = 0.0

    def update(self, done: float, total: float | None = None, current: str = "") -> None:
        if total is not None:
            self.total = total
        now = time.monotonic()
        finished = self.total is not None and done >= self.total
        if finished or now - self._sent >= UPDATE_INTERVAL_S:
            self._sent = now
            self._emit("stage", label=self.label, state="update", done=done, total=self.total,
                       current=current)  # fmt: skip


class EventReporter:
    """A Reporter whose stages become ``stage`` events of one job in an :class:`EventLog`."""

    def __init__(self, log: EventLog, job: str):
        self._log, self._job = log, job

    def _emit(self, kind: str, **data: Any) -> None:
        self._log.emit(kind, job=self._job, **data)

    @contextlib.contextmanager
    def stage(self, label: str, total: float | None = None) -> Iterator[Stage]:
        self._emit("stage", label=label, state="start", done=0, total=total)
        stage = _EventStage(self._emit, label, total)
        try:
            yield stage
        finally:
            self._emit("stage", label=label, state="end", total=stage.total)


async def sse_stream(
    log: EventLog, cursor: int, disconnected: Callable[[], Any], poll_s: float = 0.2
) -> AsyncIterator[str]:
    """``text/event-stream`` lines for the events from ``cursor`` on, until the client goes.

    Each event's ``id`` is its number, so a reconnecting EventSource resumes where it was
    (``Last-Event-ID``); a comment every 15 s keeps proxies from closing a quiet stream.
    """
    quiet = 0.0
    while not await disconnected():
        events = log.since(cursor)
        for number, event in events:
            yield f"id: {number}\nevent: {event['kind']}\ndata: {json.dumps(event)}\n\n"
            cursor = number + 1
        if events:
            quiet = 0.0
            continue
        await asyncio.sleep(poll_s)
        quiet += poll_s
        if quiet >= 15:
            quiet = 0.0
            yield ": keep-alive\n\n"
