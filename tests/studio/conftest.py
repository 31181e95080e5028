"""The studio's fixtures: the bundled example's footage at test size, a real music track,
and a studio workspace that has indexed and run them.

The footage is made by the example's own ``make_footage.py`` (the photos of opencv-doc,
three reels cutting every 4 s) at 144x256 instead of 720x1280, so a session makes it in a
few seconds; renders are 256 px on the long side.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from autocut_core import serde
from autocut_core.inputs import load_product, load_script
from autocut_core.studio.example import example_folder, footage_maker
from autocut_core.testing.samples import make_music

FOOTAGE_SIZE = (144, 256)
#: Where each example reel cuts (make_footage.py: three shots of 4 s).
REEL_CUTS = (4.0, 8.0)
#: Renders this small keep the CPU for the long training run sharing the machine; 25 fps
#: because EDL timecode (SMPTE) has no 15 fps.
TINY = {"long_side": 256, "fps": 25, "preset": "ultrafast", "crf": 30}


@pytest.fixture(scope="session")
def media_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``footage/`` (the example's three reels) and ``music/`` (two generated tracks)."""
    root = tmp_path_factory.mktemp("studio-media")
    folder = example_folder()
    assert folder is not None, "examples/demo is missing from the checkout"
    footage_maker(folder, FOOTAGE_SIZE).main(str(root / "footage"))
    (root / "music").mkdir()
    make_music(root / "music" / "calm.ogg", 12.0, "calm")
    make_music(root / "music" / "energetic.ogg", 12.0, "energetic")
    return root


def example_spec(media_root: Path, **changes: Any) -> dict[str, Any]:
    """A project spec as the page sends it: the example's product and script, the media."""
    demo = example_folder()
    assert demo is not None
    spec = {
        "name": "Orchard test",
        "product": serde.to_data(load_product(demo / "product.toml")),
        "script": list(load_script(demo / "script.txt").sentences),
        "footage": [str(media_root / "footage")],
        "music": [str(media_root / "music")],
        "backbone": "similarity",
        "alternatives": 4,
        "render": TINY,
    }
    spec.update(changes)
    return spec


def wait_for(check: Callable[[], Any], timeout: float = 240.0, every: float = 0.25) -> Any:
    """Poll ``check`` until it returns something true; the value. Fails after ``timeout``
    (a generous bound for a loaded machine, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up waiting after {timeout:.0f} s")
