"""Background jobs, one worker per project: indexing, runs and renders queue, never interleave.

Every long request (index, run, render) becomes a :class:`Job` on its project's single worker
thread, so two renders of one project run one after the other, each to its own folder, and a
run never reads a database that indexing is still writing. Projects do not wait for each
other. A job's states and its progress go to the project's :class:`EventLog` (the page's
live bars); its result or error stays on the job for ``GET /api/jobs/{id}``.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from autocut_core.errors import AutocutError
from autocut_core.studio.errors import NotFound
from autocut_core.studio.events import EventLog, EventReporter

JobState = Literal["queued", "running", "done", "failed"]


@dataclass
class Job:
    id: str
    project: str
    kind: str
    state: JobState = "queued"
    result: Any = None
    error: str | None = None
    created: float = field(default_factory=time.time)
    finished: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "project": self.project, "kind": self.kind, "state": self.state,
                "result": self.result, "error": self.error, "created": self.created,
                "finished": self.finished}  # fmt: skip


class JobRunner:
    """Queues and runs the jobs of every project; one worker thread per project."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._workers: dict[str, concurrent.futures.ThreadPoolExecutor] = {}
        self._logs: dict[str, EventLog] = {}
        self._jobs: dict[str, Job] = {}
        self._numbers = itertools.count(1)

    def log(self, project: str) -> EventLog:
        with self._lock:
            return self._logs.setdefault(project, EventLog())

    def submit(self, project: str, kind: str, work: Callable[[EventReporter], Any]) -> Job:
        """Queue ``work(reporter)`` on ``project``'s worker; returns the job at once."""
        log = self.log(project)
        with self._lock:
            job = Job(id=f"{kind}-{next(self._numbers)}", project=project, kind=kind)
            self._jobs[job.id] = job
            worker = self._workers.get(project)
            if worker is None:
                worker = self._workers[project] = concurrent.futures.ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=f"studio-{project}"
                )
        log.emit("job", job=job.id, job_kind=kind, state="queued")
        worker.submit(self._run, job, log, work)
        return job

    def _run(self, job: Job, log: EventLog, work: Callable[[EventReporter], Any]) -> None:
        job.state = "running"
        log.emit("job", job=job.id, job_kind=job.kind, state="running")
        try:
            job.result = work(EventReporter(log, job.id))
            job.state = "done"
        except AutocutError as error:  # the user's problem: its message says what to fix
            job.error, job.state = str(error), "failed"
        except Exception as error:  # a bug: keep the exception's last line for the page
            job.error = traceback.format_exception_only(type(error), error)[-1].strip()
            job.state = "failed"
            traceback.print_exc()
        job.finished = time.time()
        log.emit("job", job=job.id, job_kind=job.kind, state=job.state, error=job.error,
                 result=job.result)  # fmt: skip

    def get(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no job {job_id!r}")
        return job

    def of(self, project: str) -> list[Job]:
        return [job for job in self._jobs.values() if job.project == project]

    def shutdown(self) -> None:
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            worker.shutdown(wait=True, cancel_futures=True)
