"""Clip boundaries sit on the native frame where the shot changes (issue 23, item 2).

Cuts are detected on frames decoded at 10 fps, so before refinement a boundary could be up
to a dense step off, and the clip before it ended with frames of the next shot.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import IndexOptions, index

from .conftest import MEGAMIND, copy_of


@pytest.fixture(scope="module")
def indexed(reels, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    folder = tmp_path_factory.mktemp("cut-db")
    megamind = copy_of(MEGAMIND, folder / "footage")
    files = {"avi": reels["avi"].path, "mp4": reels["mp4"].path, "megamind": megamind}
    report = index(list(files.values()), [], folder / "db", IndexOptions())
    assert not report.failed, report.failed
    with MaterialDB(folder / "db", write=False) as db:
        by_path = {Path(source.path).name: source.source_id for source in db.sources()}
        return {key: db.clips(by_path[path.name]) for key, path in files.items()}


@pytest.mark.parametrize("kind", ["avi", "mp4"])
def test_every_boundary_of_a_photo_reel_is_its_true_cut_frame(indexed, reels, kind):
    reel = reels[kind]
    frame = float(1 / reel.fps)
    clips = indexed[kind]
    boundaries = [clip.start for clip in clips[1:]]
    assert len(boundaries) == len(reel.cuts)
    for found, true in zip(boundaries, reel.cuts, strict=True):
        assert abs(found - true) < frame / 2, (boundaries, reel.cuts)  # the very frame
    # No cut lies on the 10 fps grid detection samples (each is 3 ms or more off it), so a
    # boundary within half a frame of every cut is refinement's work.
    assert all(abs(cut * 10 - round(cut * 10)) > 0.01 for cut in reel.cuts), reel.cuts
    assert all(a.end == b.start for a, b in itertools.pairwise(clips))  # contiguous
    assert clips[0].start == 0.0 and clips[-1].end == pytest.approx(reel.duration, abs=frame)


def test_megamind_boundaries_are_its_cut_frames(indexed, megamind_cuts):
    frame = 125 / 2997  # Megamind.avi runs at 2997/125 fps
    boundaries = [clip.start for clip in indexed["megamind"][1:]]
    assert len(boundaries) == len(megamind_cuts)
    for found, true in zip(boundaries, megamind_cuts, strict=True):
        assert abs(found - true) < frame / 2, (boundaries, megamind_cuts)


def test_clip_ids_stay_unique_and_count_whole_start_seconds(indexed):
    for clips in indexed.values():
        ids = [clip.clip_id for clip in clips]
        assert len(set(ids)) == len(ids)
        assert [int(i[-7:-3]) for i in ids] == [int(clip.start) for clip in clips]
