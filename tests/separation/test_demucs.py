"""``demucs``: a tiny random HTDemucs in demucs' checkpoint format, put where the
``htdemucs`` card's checkpoint lives and loaded by name offline, on a made ad's mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from autocut_plugins.demucs import HTDEMUCS, DemucsSeparator
from autocut_plugins.demucs_tiny import tiny_demucs_checkpoint

from autocut_core.errors import MissingWeightsError, SeparationError
from autocut_core.media.decode import decode_audio


@pytest.fixture
def offline_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path / "torch" / "hub" / "checkpoints" / HTDEMUCS.sources[0].filename


@pytest.fixture
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_htdemucs_by_name_offline_separates_a_made_mix(made_ad, offline_cache, one_thread):
    offline_cache.parent.mkdir(parents=True)
    offline_cache.write_bytes(tiny_demucs_checkpoint().read_bytes())  # as the cache holds it
    separator = DemucsSeparator.from_options({"model": "htdemucs", "device": "cpu"})
    assert [check.status for check in separator.diagnose()] == ["ok"]
    mix = decode_audio(made_ad.video, separator.sample_rate, max_seconds=2.0)
    stems = separator.separate(mix)
    assert stems.sample_rate == 44_100 and stems.voice.shape == stems.music.shape == mix.shape
    assert stems.model == "demucs:htdemucs:v1"
    assert np.isfinite(stems.voice).all() and stems.voice.std() > 0 and stems.music.std() > 0
    # The mix is normalised going in and the stems scaled back: ten times the mix, ten
    # times the stems (random weights, so this, not the stems' likeness, is what is checked).
    louder = separator.separate(10 * mix)
    np.testing.assert_allclose(louder.music, 10 * stems.music, rtol=1e-3, atol=1e-3)
    # bfloat16 autocast runs on the CPU too (the GPU path): close to float32, not equal.
    half = DemucsSeparator.from_options({"model": "htdemucs", "device": "cpu",
                                         "dtype": "bfloat16"}).separate(mix)  # fmt: skip
    assert half.voice.shape == mix.shape
    assert np.abs(half.voice - stems.voice).max() < 0.05 * np.abs(mix).max()


def test_a_missing_model_offline_is_one_line_naming_it_and_the_pull(offline_cache):
    separator = DemucsSeparator.from_options({"model": "htdemucs", "device": "cpu"})
    with pytest.raises(MissingWeightsError) as caught:
        separator.separate(np.zeros(44_100, dtype=np.float32))
    message = str(caught.value)
    assert message.startswith("Model htdemucs is not in the cache") and "\n" not in message
    assert "autocut models pull htdemucs" in message and str(offline_cache) in message
    assert separator.diagnose()[0].status == "fail"


def test_a_file_that_is_not_a_demucs_checkpoint_is_named(tmp_path):
    bad = tmp_path / "model.th"
    bad.write_bytes(b"not a checkpoint")
    separator = DemucsSeparator.from_options({"model": str(bad), "device": "cpu"})
    with pytest.raises(SeparationError, match=rf"{bad}: not a demucs checkpoint"):
        separator.separate(np.zeros(44_100, dtype=np.float32))
    with pytest.raises(MissingWeightsError, match=r"'nope' is not a model card \(htdemucs"):
        DemucsSeparator.from_options({"model": "nope"}).checkpoint()
