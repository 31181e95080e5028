"""`autocut index --engine ray`: files probed, decoded, cut and embedded by Ray actors.

Why actors, not tasks: an encoder (CLIP, PANNs) takes seconds to load and a model's worth of
memory; an actor loads the run's encoders once, in ``__init__``, and keeps them for every file
it is handed. Each actor asks Ray for ``cpus_per_worker`` CPUs and ``gpus_per_worker`` GPUs, so
Ray places GPU actors on GPU nodes and sets their ``CUDA_VISIBLE_DEVICES``.

The driver (the process running ``autocut index``) stays the only writer of the material
database, exactly as with the local engine, and commits through the same code
(``indexing._store``), so both engines give the same database for the same input. What a
worker computes for a file travels two ways: as the call's return value, and as a *shard*, one
file per (content, job) under ``<db>/ray-shards/``, written atomically before the call returns.
That makes every failure resumable without lost or duplicated rows:

- a worker killed mid-file (or its node lost): Ray restarts the actor (``max_restarts``) and
  re-runs the calls it had not answered (``max_task_retries``); a file is committed only when
  its call answers, once, in one transaction per source;
- the driver killed or restarted: files it committed are skipped by the next run as known
  (path, size, mtime; then content hash), as with the local engine; files a worker finished but
  the driver never committed are merged from their shard without being decoded again;
- a shard is named by the file's content hash and a digest of the whole job (path, encoders,
  options), so a shard of other settings or other content is never merged; a shard that does
  not unpickle to a result of its job is ignored and the file analysed again.

Shards are pickles written only by this program's workers into the database folder, which is
trusted like the SQLite file beside it. They are deleted once committed; shards left by an
interrupted run that the next run does not need are removed at its end.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import uuid
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocut_core.materials.indexing import (
    ComponentSpec,
    TrackJob,
    TrackResult,
    VideoResult,
    analyse_job,
    encoder_specs,
    load_encoder,
)

SHARDS_FOLDER = "ray-shards"
#: Name prefix of this engine's actors (tests and operators find them with
#: ``ray.util.list_named_actors``); a run adds its own token, so runs never share names.
ACTOR_PREFIX = "autocut-index-"
#: Calls queued per actor: one running, one waiting, so an actor never idles between files
#: while the driver commits, and a slow file holds back at most one other.
IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide the Ray engine runs."""

    #: None: start a private local Ray for this run (stopped after it); "auto": the cluster
    #: this machine belongs to; "ray://host:10001": a remote cluster through Ray Client.
    address: str | None = None
    #: Actors; 0 = one per ``cpus_per_worker`` CPUs the cluster has.
    workers: int = 0
    gpus_per_worker: float = 0.0
    cpus_per_worker: float = 1.0
    #: Restarts of a killed actor, and re-runs of its unanswered calls, before a file fails.
    max_restarts: int = 3


def shard_name(job: Any, content_hash: str) -> str:
    """The shard file of ``job``: its content and a digest of everything the result depends on.

    The job's ``repr`` names its path, its encoders with their options, the segmenter's
    settings and, for a re-embedding, the seconds and clips already known.
    """
    digest = hashlib.sha256(repr(job).encode("utf-8")).hexdigest()[:16]
    kind = "track" if isinstance(job, TrackJob) else "video"
    return f"{content_hash[:32]}-{kind}-{digest}.pkl"


def read_shard(path: Path, job: Any) -> Any:
    """The result a worker left in ``path`` for ``job``, or None if it is not usable."""
    expected = TrackResult if isinstance(job, TrackJob) else VideoResult
    try:
        result = pickle.loads(path.read_bytes())
    except Exception:  # a foreign or damaged file: analyse the file again
        return None
    if not isinstance(result, expected) or result.path != job.path or result.error is not None:
        return None
    return result


def write_shard(path: Path, result: Any) -> None:
    """Stage a successful result for the driver (atomically: a reader sees all or nothing)."""
    from autocut_core.fsutil import atomic_write_bytes

    atomic_write_bytes(path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))


class IndexWorker:
    """The actor: the run's encoders loaded once, then one file per call."""

    def __init__(self, specs: Sequence[ComponentSpec]):
        for spec in specs:
            load_encoder(spec)

    def analyse(self, job: Any, shard: str) -> Any:
        result = analyse_job(job)
        if result.error is None:  # failures are recorded by the driver and retried next run
            write_shard(Path(shard), result)
        return result

    def process_id(self) -> int:
        return os.getpid()


class RayRunner:
    """An ``indexing.Runner`` on Ray; counts what it did for the report line."""

    def __init__(self, options: RayOptions):
        self.options = options
        #: Files merged from shards an earlier, interrupted run's workers left behind.
        self.from_shards = 0
        #: Actors started by the last run.
        self.workers = 0
        #: Files whose call failed even after retries (recorded as failures).
        self.lost = 0

    def __call__(
        self, jobs: list[tuple[Any, Any]], folder: Path
    ) -> Generator[tuple[Any, Any], None, None]:
        import ray

        staging = folder / SHARDS_FOLDER
        staging.mkdir(parents=True, exist_ok=True)
        wanted = {shard_name(job, pending.content_hash) for job, pending in jobs}
        todo = []
        for job, pending in jobs:
            shard = staging / shard_name(job, pending.content_hash)
            staged = read_shard(shard, job) if shard.is_file() else None
            if staged is None:
                todo.append((job, pending, shard))
                continue
            self.from_shards += 1
            yield staged, pending
            shard.unlink(missing_ok=True)  # committed by the driver when we resume here
        if todo:
            started_here = not ray.is_initialized()
            if started_here:
                _start(ray, self.options)
            try:
                yield from self._run(ray, todo)
            finally:
                if started_here:
                    ray.shutdown()
        for leftover in staging.glob("*.pkl"):
            if leftover.name not in wanted:
                leftover.unlink(missing_ok=True)
        if not any(staging.iterdir()):
            staging.rmdir()

    def _run(self, ray: Any, todo: list[tuple[Any, Any, Path]]) -> Iterator[tuple[Any, Any]]:
        options = self.options
        specs = encoder_specs([job for job, _, _ in todo], todo[0][0].options)
        count = options.workers or max(
            1, int(ray.cluster_resources().get("CPU", 1) // options.cpus_per_worker)
        )
        count = min(count, len(todo))
        actor_class = ray.remote(IndexWorker)
        token = uuid.uuid4().hex[:8]
        actors = [
            actor_class.options(
                name=f"{ACTOR_PREFIX}{token}-{number}",
                num_cpus=options.cpus_per_worker,
                num_gpus=options.gpus_per_worker,
                max_restarts=options.max_restarts,
                max_task_retries=options.max_restarts,
            ).remote(specs)
            for number in range(count)
        ]
        self.workers = count
        queue = deque(todo)
        calls: dict[Any, tuple[Any, Any, Path, int]] = {}

        def submit(actor_number: int) -> None:
            job, pending, shard = queue.popleft()
            call = actors[actor_number].analyse.remote(job, os.fspath(shard))
            calls[call] = (job, pending, shard, actor_number)

        try:
            for _ in range(IN_FLIGHT_PER_WORKER):
                for number in range(count):
                    if queue:
                        submit(number)
            while calls:
                done, _ = ray.wait(list(calls), num_returns=1)
                job, pending, shard, number = calls.pop(done[0])
                try:
                    result = ray.get(done[0])
                except ray.exceptions.RayError as error:
                    self.lost += 1
                    result = _lost(job, error)
                if queue:
                    submit(number)
                yield result, pending
                shard.unlink(missing_ok=True)  # committed: the driver resumed us after _store
        finally:
            for actor in actors:
                ray.kill(actor, no_restart=True)


def _start(ray: Any, options: RayOptions) -> None:
    """Join the cluster at ``address``, or start a private local one sized for the workers."""
    settings: dict[str, Any] = {
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
        "namespace": "autocut",
    }
    if options.address is None:
        cpus = os.cpu_count() or 1
        if options.workers:
            cpus = max(1, round(options.workers * options.cpus_per_worker))
        settings["num_cpus"] = cpus
        if options.gpus_per_worker and options.workers:
            settings["num_gpus"] = options.workers * options.gpus_per_worker
    else:
        settings["address"] = options.address
    ray.init(**settings)


def _lost(job: Any, error: Exception) -> Any:
    """A failure result for a file whose worker died more often than ``max_restarts``."""
    detail = (
        str(error).strip().splitlines()[0][:160] if str(error).strip() else type(error).__name__
    )
    reason = f"Ray worker lost while analysing (retries exhausted): {detail}"
    if isinstance(job, TrackJob):
        return TrackResult(job.path, error=reason)
    return VideoResult(job.path, error=reason)
