"""``transformers`` captioner: a tiny random BLIP saved as a hub model folder, and the one-line
error for a hub id that is neither cached nor reachable."""

from __future__ import annotations

import pytest

pytest.importorskip("transformers")

from autocut_plugins.vlm_captioner import VLMCaptioner
from autocut_plugins.vlm_tiny import save_tiny_blip

from autocut_core.contracts import SAMPLE_PICTURES, sample_jpeg
from autocut_core.errors import MissingWeightsError


@pytest.fixture(scope="module")
def tiny_blip(tmp_path_factory: pytest.TempPathFactory):
    return save_tiny_blip(tmp_path_factory.mktemp("blip"), seed=0)


def test_a_saved_blip_folder_captions_deterministically(tiny_blip):
    frames = [sample_jpeg(source, 320) for source in SAMPLE_PICTURES]
    captioner = VLMCaptioner.from_options({"model": str(tiny_blip), "max_new_tokens": 6})
    first = captioner.describe(frames)
    assert first and first == captioner.describe(frames)
    # Random weights write random words, but only words of the tiny vocabulary.
    assert set(first.split()) <= set((tiny_blip / "vocab.txt").read_text().split())
    assert captioner.cache_key == f"transformers:{tiny_blip}:v1"
    assert [check.status for check in captioner.diagnose()] == ["ok"]


def test_an_uncached_hub_id_offline_is_one_line_naming_it(tmp_path, monkeypatch):
    # The captioner reads the cache's place and the offline switch when it loads (as
    # `autocut models` does), not what huggingface_hub read at import: the variables suffice.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    captioner = VLMCaptioner.from_options({"model": "someone/tiny-vlm-that-is-not-here"})
    [check] = captioner.diagnose()
    assert check.status == "warn" and "HF_HUB_OFFLINE=1" in check.detail
    assert check.fix == "hf download someone/tiny-vlm-that-is-not-here"
    frames = [sample_jpeg(SAMPLE_PICTURES[0], 64)]
    with pytest.raises(MissingWeightsError) as caught:
        captioner.describe(frames)
    message = str(caught.value)
    assert "\n" not in message
    assert "'someone/tiny-vlm-that-is-not-here'" in message
    assert "hf download someone/tiny-vlm-that-is-not-here" in message
    assert str(tmp_path / "hf" / "hub") in message and "HF_HUB_OFFLINE=1" in message
