"""AutoCut Studio end to end in a real headless Chromium against a real uvicorn server.

The test starts ``autocut studio`` itself (a subprocess on a free port, stopped at the end)
and drives Debian's chromium through chromium-driver (Selenium): it fills in the new-project
form with the bundled example's product, script and footage, waits for the indexing bar,
runs the pipeline, swaps a clip for one of its alternatives, rewrites a line, renders, plays
the MP4 in the page, and checks the MP4 with ffprobe and its frames: every frame of the
swapped slot shows the new clip's shot.

With ``STUDIO_SCREENSHOTS=DIR`` (not an ``AUTOCUT_*`` name: tests/conftest.py clears those)
the storyboard screenshots are also kept in DIR
(docs/studio-*.png are the ones docs/studio.md shows).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autocut_core import serde
from autocut_core.editing.timeline import place
from autocut_core.testing.shot_check import wrong_frames
from autocut_core.types import EditPlan

from .conftest import REEL_CUTS, example_spec, wait_for

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path, media_root: Path) -> Iterator[str]:
    """``autocut studio`` on a free port, answering; stopped (and waited for) afterwards."""
    import autocut_plugins

    import autocut_core

    port = _free_port()
    # the server imports the very packages this test imports (a checkout, a worktree)
    here = [str(Path(m.__file__).resolve().parents[1]) for m in (autocut_core, autocut_plugins)]
    paths = [*here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "AUTOCUT_JOBS": "1", "PYTHONPATH": os.pathsep.join(paths)}
    process = subprocess.Popen(
        [sys.executable, "-m", "autocut_core.cli", "studio", "--port", str(port),
         "--project", str(tmp_path / "projects"), "--media", str(media_root)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"autocut studio exited: {process.stdout.read()}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"{url}/api/options", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(answers, timeout=60)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def browser() -> Iterator[object]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"{', '.join(missing)} missing: the studio's browser tests need Debian's chromium "
            "and chromium-driver; run scripts/bootstrap.sh (as root) to install them"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,1100",
                     "--autoplay-policy=no-user-gesture-required"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def _shoot(driver, tmp_path: Path, name: str) -> Path:
    shot = tmp_path / name
    driver.save_screenshot(str(shot))
    keep = os.environ.get("STUDIO_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / name)
    return shot


def _grey(path: Path, at: float) -> np.ndarray:
    """The frame of ``path`` at ``at`` seconds, top 60 % (no subtitles), 32 px wide, grey."""
    import io

    from PIL import Image

    from autocut_core.media.frame_grab import frame_jpeg

    image = Image.open(io.BytesIO(frame_jpeg(path, at))).convert("L")
    top = image.crop((0, 0, image.width, int(image.height * 0.6)))
    return np.asarray(top.resize((32, 24)), dtype=np.float32)


class Page:
    """The storyboard page in the browser, found by its ``data-testid`` hooks. Reads retry
    while the page redraws (an element replaced between finding and reading it)."""

    def __init__(self, driver, shots: Path):
        from selenium.webdriver.common.by import By

        self.driver, self.by, self.shots = driver, By, shots

    def css(self, selector: str):
        return self.driver.find_element(self.by.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list:
        return self.driver.find_elements(self.by.CSS_SELECTOR, selector)

    def read(self, selector: str, attribute: str | None = None) -> str | None:
        from selenium.common.exceptions import (
            NoSuchElementException,
            StaleElementReferenceException,
        )

        try:
            element = self.css(selector)
            return element.get_attribute(attribute) if attribute else element.text
        except (StaleElementReferenceException, NoSuchElementException):
            return None

    def body(self, name: str) -> str:
        return self.read("body", f"data-{name}") or ""

    def finished(self, job: str) -> None:
        """Wait for the page to hear (server-sent events) that the ``job`` kind finished."""
        wait_for(lambda: self.body(f"{job}-state") in {"done", "failed"})
        assert self.body(f"{job}-state") == "done", self.read("#messages")

    def type(self, element, text: str) -> None:
        element.clear()
        element.send_keys(text)

    def shoot(self, name: str) -> Path:
        return _shoot(self.driver, self.shots, name)


def _create_project(page: Page, spec: dict) -> str:
    """Fill in the new-project form (product facts, pasted script, server folders)."""
    page.css("#show-new").click()
    form = page.css("#new-form")
    fields = {
        "name": "Orchard in the browser",
        "product_name": spec["product"]["name"],
        "brand": spec["product"]["brand"],
        "selling_points": "\n".join(spec["product"]["selling_points"]),
        "script": "\n".join(spec["script"]),
        "footage": spec["footage"][0],
        "music": spec["music"][0],
        "long_side": "256",
    }
    for name, value in fields.items():
        page.type(form.find_element(page.by.NAME, name), value)
    page.css("[data-testid=create]").click()
    page.finished("index")
    assert "done" in (page.read("#bars") or "") and page.read("#failures") == ""
    return page.read("#project-select", "value") or ""


def _swap_and_reword(page: Page, before: dict) -> dict:
    """Swap card 1 for an alternative no other card uses; rewrite card 3's line."""
    used = {card["clip_id"] for card in before["slots"]}
    rank, pick = next(
        (rank, alt)
        for rank, alt in enumerate(before["slots"][0]["alternatives"], 1)
        if alt["clip_id"] not in used
    )
    page.css(f"[data-testid=swap-1-{rank}]").click()
    wait_for(lambda: page.read("[data-testid=card-1]", "data-clip") == pick["clip_id"])
    page.type(page.css("[data-testid=sentence-3]"), "Oranges, pressed at dawn.")
    page.css("[data-testid=save-sentence-3]").click()
    wait_for(lambda: page.read("[data-testid=score-3]") == "edited")
    return pick


def _render(page: Page) -> None:
    """Render; the MP4 plays in the page and every download is offered."""
    page.css("[data-testid=render]").click()
    page.finished("render")
    wait_for(
        lambda: page.driver.execute_script(
            "const v = document.querySelector('#player'); return v.readyState >= 1 && v.duration > 0"
        )
    )
    links = {a.get_attribute("data-testid") for a in page.all("#downloads a")}
    wanted = {"video", "srt", "edl", "fcpxml", "otio", "plan"}
    assert {f"download-{name}" for name in wanted} <= links


def test_make_review_and_render_an_ad_in_the_browser(server, browser, media_root, tmp_path):
    spec = example_spec(media_root)
    page = Page(browser, tmp_path)
    browser.get(server)
    wait_for(lambda: page.body("ready") == "true", timeout=60)
    project = _create_project(page, spec)
    api = f"{server}/api/projects/{project}"

    page.css("[data-testid=run]").click()
    page.finished("run")
    wait_for(lambda: len(page.all(".card")) == len(spec["script"]))
    page.shoot("studio-storyboard.png")
    before = _get(f"{api}/storyboard")
    pick = _swap_and_reword(page, before)
    page.shoot("studio-edited.png")
    _render(page)
    browser.execute_script("document.querySelector('#output').scrollIntoView()")
    page.shoot("studio-rendered.png")

    # the MP4 as downloaded: streams, length, and the swapped clip in its frames
    record = _get(f"{api}/renders")[-1]
    video, plan_file = tmp_path / "ad.mp4", tmp_path / "ad.plan.json"
    urllib.request.urlretrieve(f"{server}{record['urls']['video']}?download=true", video)
    urllib.request.urlretrieve(f"{server}{record['urls']['plan']}", plan_file)
    plan = serde.load_json(EditPlan, plan_file)
    _check_video(video, plan, pick, before["slots"][0])


def _check_video(video: Path, plan: EditPlan, pick: dict, old: dict) -> None:
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(video)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    facts = json.loads(probe.stdout)
    kinds = {stream["codec_type"]: stream for stream in facts["streams"]}
    assert (kinds["video"]["width"], kinds["video"]["height"]) == (144, 256)
    assert "audio" in kinds
    assert float(facts["format"]["duration"]) == pytest.approx(plan.duration, abs=0.25)
    assert plan.slots[0].clip_id == pick["clip_id"]
    assert plan.slots[2].sentence == "Oranges, pressed at dawn." and plan.slots[2].edited
    cuts = {slot.source_path: REEL_CUTS for slot in plan.slots}
    assert wrong_frames(video, plan, cuts, rows=0.6) == []
    first = place(plan)[0]
    shown = _grey(video, (first.start + first.end) / 2)
    slot = plan.slots[0]
    new_frame = _grey(Path(pick["source_path"]), (slot.source_in + slot.source_out) / 2)
    old_frame = _grey(Path(old["source_path"]), (old["in"] + old["out"]) / 2)
    # the swapped slot shows the new shot, not the old one (different photos): measured
    # distances are reported on failure; the factor 3 leaves a wide margin
    to_new, to_old = np.abs(shown - new_frame).mean(), np.abs(shown - old_frame).mean()
    assert to_new * 3 < to_old, (to_new, to_old)
