"""Atomic writes: all or nothing, with ordinary permissions."""

from __future__ import annotations

import os
import stat

import pytest

from autocut_core.fsutil import atomic_path, atomic_write_text


def test_written_files_get_ordinary_permissions(tmp_path):
    previous = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "plan.json", "{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "plan.json").stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "index.bin"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.bin"]


def test_names_at_the_length_limit(tmp_path):
    """A target named near the 255-byte limit still gets a temporary name (before: mkstemp
    failed with ENAMETOOLONG), and a sidecar name past the limit is simply not a file
    (before: ``Path.is_file`` raised)."""
    from autocut_core.fsutil import is_file

    target = tmp_path / ("é" * 120 + ".mp4")  # 244 bytes
    atomic_write_text(target, "done")
    assert target.read_text() == "done"
    assert sorted(os.listdir(tmp_path)) == [target.name]
    assert is_file(target)
    assert not is_file(tmp_path / (target.name + ".captions.json"))  # 258 bytes
    assert not is_file(tmp_path / "nul\0byte")
