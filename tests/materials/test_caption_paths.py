"""Captions of one content at several paths: the first path with any sidecar speaks alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocut_core.materials.captions import caption_for, describe, sidecar_home


@pytest.fixture
def copies(tmp_path: Path) -> tuple[Path, Path]:
    """The same footage name in two folders (the bytes are never read)."""
    paths = []
    for folder in ("offered", "recorded"):
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "red-sneakers.mp4"
        path.write_bytes(b"not read")
        paths.append(path)
    return paths[0], paths[1]


def _cues(path: Path, *texts: str) -> Path:
    sidecar = path.with_name(path.stem + ".captions.json")
    cues = [{"start": 2 * i, "end": 2 * i + 2, "text": text} for i, text in enumerate(texts)]
    sidecar.write_text(json.dumps(cues), encoding="utf-8")
    return sidecar


def test_without_sidecars_the_first_paths_name_speaks(copies):
    offered, recorded = copies
    renamed = recorded.with_name("blue-boots.mp4")
    renamed.write_bytes(b"not read")
    assert sidecar_home([offered, renamed]) is None
    assert describe([offered, renamed], 0, 1).text == "red sneakers"
    assert describe([renamed, offered], 0, 1).sidecar is None
    assert caption_for([renamed, offered]) == "blue boots"


def test_a_sidecar_at_another_path_fills_in(copies):
    offered, recorded = copies
    sidecar = _cues(recorded, "a shoe box opens", "laces up")
    caption = describe([offered, recorded], 2.0, 4.0)
    assert (caption.text, caption.sidecar) == ("laces up", sidecar)


def test_the_first_paths_sidecar_wins_even_over_a_better_kind(copies):
    offered, recorded = copies
    _cues(recorded, "a shoe box opens", "laces up")
    whole = offered.with_name("red-sneakers.txt")
    whole.write_text("sneakers on the offered shelf\n", encoding="utf-8")
    assert sidecar_home([offered, recorded]) == offered
    assert describe([offered, recorded], 2.0, 4.0).sidecar == whole
    assert caption_for([recorded, offered], 2.0, 4.0) == "laces up"


def test_sidecars_of_two_paths_are_never_mixed(copies):
    offered, recorded = copies
    _cues(offered, "only the first cue")  # covers 0-2 s
    recorded.with_name("red-sneakers.txt").write_text("the recorded folder's description")
    # 5-6 s: no cue of the offered sidecar overlaps, so its own fallbacks follow (no .txt
    # beside it: the file name), not the other path's description.
    assert caption_for([offered, recorded], 5.0, 6.0) == "red sneakers"


def test_no_paths_is_a_programming_error():
    with pytest.raises(ValueError, match="at least one path"):
        caption_for([])
