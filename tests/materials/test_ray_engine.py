"""`autocut index --engine ray` on a local two-worker Ray cluster started by this module.

The cluster starts once (module fixture; ~10-20 s on two loaded cores) on this machine, with
no dashboard and nothing reached beyond it. Every test compares the Ray engine's database with the local engine's on the same
footage (``MaterialDB.dump``: every row and vector), which is what "identical" means here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import ray  # the ray extra, which the test extra installs

from autocut_core import ids
from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import IndexOptions, VideoJob, index
from autocut_core.materials.ray_engine import (
    ACTOR_PREFIX,
    SHARDS_FOLDER,
    IndexWorker,
    RayOptions,
    RayRunner,
    shard_name,
)
from autocut_core.testing.samples import make_corrupt_files, make_scene_video, scenes_for

pytestmark = pytest.mark.slow

VIDEOS = 4


@pytest.fixture(scope="module")
def cluster():
    """A private local Ray: two CPUs (two one-CPU workers), no dashboard, logs kept local."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             namespace="autocut", _node_ip_address="127.0.0.1")  # fmt: skip
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="module")
def footage(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ray-footage")
    for number in range(VIDEOS):
        make_scene_video(folder / f"video_{number}.mp4", scenes_for([0.8 + number * 0.3, 1.2]),
                         size=(160, 90), audio=False)  # fmt: skip
    return folder


@pytest.fixture(scope="module")
def local_dump(footage, tmp_path_factory):
    folder = tmp_path_factory.mktemp("local-db")
    report = index([footage], [], folder, IndexOptions())
    assert report.new_videos == VIDEOS and not report.failed
    with MaterialDB(folder) as db:
        return db.dump()


def _dump(folder: Path) -> dict:
    with MaterialDB(folder) as db:
        assert db.stats()["vector_sets"][0]["unreferenced_rows"] == 0  # no orphaned vectors
        return db.dump()


def _workers() -> list:
    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)]
    return [ray.get_actor(n, namespace="autocut") for n in sorted(names) if n.startswith(ACTOR_PREFIX)]  # fmt: skip


def test_both_engines_give_identical_databases(cluster, footage, local_dump, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    make_corrupt_files(broken)
    runner = RayRunner(RayOptions(workers=2))
    report = index([footage, broken], [], tmp_path / "ray", IndexOptions(), runner=runner)
    local = index([footage, broken], [], tmp_path / "local", IndexOptions())
    assert runner.workers == 2 and report.new_videos == local.new_videos == VIDEOS + 1
    assert sorted(report.failed) == sorted(local.failed) and report.failed  # same reasons
    assert _dump(tmp_path / "ray") == _dump(tmp_path / "local")
    assert not (tmp_path / "ray" / SHARDS_FOLDER).exists()  # every shard merged and removed
    again = index([footage], [], tmp_path / "ray", IndexOptions(), runner=RayRunner(RayOptions()))
    assert (again.unchanged, again.new_videos) == (VIDEOS, 0)


def test_a_killed_worker_is_retried_and_no_row_is_lost_or_doubled(cluster, footage, local_dump,
                                                                   tmp_path):  # fmt: skip
    killed = []

    def kill_one(path, done, total, frames):
        if done == 1:  # both workers still hold calls: one running, one queued
            worker = _workers()[0]
            ray.kill(worker, no_restart=False)  # SIGKILL; Ray restarts it and re-runs its calls
            killed.append(worker)

    runner = RayRunner(RayOptions(workers=2))
    report = index([footage], [], tmp_path / "db", IndexOptions(), kill_one, runner=runner)
    assert killed and runner.lost == 0
    assert (report.new_videos, report.failed) == (VIDEOS, [])
    assert _dump(tmp_path / "db") == local_dump


def test_a_restarted_driver_resumes_without_lost_or_doubled_rows(cluster, footage, local_dump,
                                                                 tmp_path):  # fmt: skip
    def stop_after_two(path, done, total, frames):
        if done == 2:
            raise KeyboardInterrupt  # the driver dies mid-run (Ctrl-C, a lost head node)

    with pytest.raises(KeyboardInterrupt):
        index([footage], [], tmp_path / "db", IndexOptions(), stop_after_two,
              runner=RayRunner(RayOptions(workers=2)))  # fmt: skip
    assert not _workers()  # the interrupted driver stopped its actors on the way out
    with MaterialDB(tmp_path / "db") as db:
        assert len(db.sources()) == 2
    resumed = RayRunner(RayOptions(workers=2))
    report = index([footage], [], tmp_path / "db", IndexOptions(), runner=resumed)
    assert (report.unchanged, report.new_videos, report.failed) == (2, VIDEOS - 2, [])
    assert _dump(tmp_path / "db") == local_dump
    assert not (tmp_path / "db" / SHARDS_FOLDER).exists()


def test_shards_left_by_workers_are_merged_without_decoding_again(cluster, footage, local_dump,
                                                                  tmp_path):  # fmt: skip
    """Workers finished three files, the driver died before committing them: merge them."""
    options = IndexOptions()
    staging = tmp_path / "db" / SHARDS_FOLDER
    staging.mkdir(parents=True)
    videos = sorted(footage.glob("*.mp4"))
    worker = IndexWorker([options.cut_encoder, options.encoder])
    for path in videos[:3]:
        job = VideoJob(os.fspath(path), options)
        worker.analyse(job, os.fspath(staging / shard_name(job, ids.content_hash(path))))
    damaged = VideoJob(os.fspath(videos[3]), options)
    (staging / shard_name(damaged, ids.content_hash(videos[3]))).write_bytes(b"not a pickle")
    (staging / "0123-video-stale.pkl").write_bytes(b"a shard of another run's settings")
    runner = RayRunner(RayOptions(workers=2))
    report = index([footage], [], tmp_path / "db", options, runner=runner)
    assert runner.from_shards == 3  # the damaged one was analysed again
    assert (report.new_videos, report.failed) == (VIDEOS, [])
    assert _dump(tmp_path / "db") == local_dump
    assert not staging.exists()  # merged shards deleted, the damaged and the stale one too


def test_the_cli_runs_on_a_given_cluster_and_refuses_ray_options_without_ray(cluster, footage,
                                                                             local_dump, tmp_path):  # fmt: skip
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCUT_")}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "autocut_core.cli", "index", *args],
                              capture_output=True, text=True, env=environment, check=False)  # fmt: skip

    done = cli(str(footage), "--db", str(tmp_path / "db"), "--engine", "ray", "--address",
               cluster, "--workers", "2", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert (facts["engine"], facts["workers"], facts["new_videos"]) == ("ray", 2, VIDEOS)
    assert _dump(tmp_path / "db") == local_dump
    refused = cli(str(footage), "--db", str(tmp_path / "other"), "--workers", "2")
    assert refused.returncode == 2 and "--workers need --engine ray" in refused.stderr
