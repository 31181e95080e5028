"""A loopback chat server per test, and client settings with tiny timeouts and back-offs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from autocut_core.llm.chat import ChatSettings
from autocut_core.testing.chat_server import LocalChatServer

#: Small enough that the whole directory runs in seconds, large enough for a loaded machine.
FAST = {"timeout": 1.0, "max_retries": 2, "backoff": 0.01, "backoff_max": 2.0}


@pytest.fixture
def server():
    with LocalChatServer() as running:
        yield running


@pytest.fixture
def fast_options(server: LocalChatServer, tmp_path: Path) -> dict[str, Any]:
    """Options for a client or backbone talking to ``server``, caching under ``tmp_path``."""
    return {"base_url": server.url, "cache_dir": tmp_path / "cache", "api_key_env": "", **FAST}


@pytest.fixture
def fast_settings(fast_options: dict[str, Any]) -> ChatSettings:
    return ChatSettings(**fast_options)


@pytest.fixture(scope="session")
def tiny_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 4 s 160x120 H.264 file: the colour test pattern, different every second."""
    ffmpeg = shutil.which("ffmpeg")
    assert ffmpeg, "ffmpeg is needed (apt-get install ffmpeg)"
    path = tmp_path_factory.mktemp("media") / "shots.mp4"
    command = [
        ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=4",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return path
