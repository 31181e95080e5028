"""The music encoders beyond the shared contract: tempo, silence, short clips, resampling."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from autocut_plugins._torch import resample

from autocut_core.errors import InputError, MissingWeightsError
from autocut_core.plugins import get_registry


def _clicks(bpm: float, rate: int = 22050, seconds: float = 8.0) -> np.ndarray:
    """A click track: a 5 ms 1 kHz blip on every beat."""
    audio = np.zeros(int(rate * seconds), dtype=np.float32)
    blip = np.hanning(110) * np.sin(2 * np.pi * 1000 * np.arange(110) / rate)
    for start in np.arange(0, seconds, 60.0 / bpm):
        index = int(start * rate)
        audio[index : index + blip.size] += blip[: audio.size - index]
    return audio


class TestLogMel:
    def test_tempo_features_tell_120_from_60_bpm(self):
        encoder = get_registry().create("encoder", "logmel")
        fast, slow = _clicks(120), _clicks(60)
        assert encoder.describe(fast)["tempo_bpm"] == pytest.approx(120, abs=2)
        assert encoder.describe(slow)["tempo_bpm"] == pytest.approx(60, abs=2)
        assert encoder.describe(fast)["onset_rate"] > 1.5 * encoder.describe(slow)["onset_rate"]
        vectors = encoder.encode([fast, slow, _clicks(121)])
        rhythm = slice(2 * 64, 2 * 64 + 32)
        fast_r, slow_r, near_r = (v[rhythm] / np.linalg.norm(v[rhythm]) for v in vectors)
        assert fast_r @ near_r > 0.9
        assert fast_r @ slow_r < fast_r @ near_r - 0.2
        assert vectors[0] @ vectors[2] > vectors[0] @ vectors[1]

    @pytest.mark.parametrize("seconds", [0.0, 0.01, 0.1, 3.0])
    def test_silence_and_very_short_clips_give_finite_unit_vectors(self, seconds):
        encoder = get_registry().create("encoder", "logmel")
        rate = encoder.sample_rate
        silence = np.zeros(int(rate * seconds), dtype=np.float32)
        blip = (0.2 * np.random.default_rng(0).standard_normal(int(rate * seconds))).astype(
            np.float32
        )
        vectors = encoder.encode([silence, blip])
        assert vectors.shape == (2, encoder.dim)
        assert np.isfinite(vectors).all()
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert encoder.describe(silence)["tempo_bpm"] == 0.0

    def test_bright_and_dark_tones_differ_in_timbre(self):
        encoder = get_registry().create("encoder", "logmel")
        t = np.arange(22050 * 2) / 22050
        low, high = (np.sin(2 * np.pi * f * t).astype(np.float32) * 0.3 for f in (110, 3520))
        assert encoder.describe(high)["centroid_hz"] > 4 * encoder.describe(low)["centroid_hz"]
        a, b = encoder.encode([low, high])
        assert a @ b < 0.8


class TestResampling:
    def test_44k1_to_32k_keeps_duration_and_pitch(self):
        rate = 44100
        tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32)
        out = resample(tone, rate, 32000)
        assert out.dtype == np.float32 and out.shape == (32000,)
        spectrum = np.abs(np.fft.rfft(out))
        assert np.argmax(spectrum) * 32000 / out.size == pytest.approx(440, abs=1)
        assert np.array_equal(resample(tone, rate, rate), tone)
        stereo = np.stack([tone, tone], axis=1)
        assert resample(stereo, rate, 32000).shape == (32000,)

    def test_panns_declares_32k_and_encode_at_resamples(self):
        encoder = get_registry().create("encoder", "panns", {"random_init": True})
        assert encoder.sample_rate == 32000 and encoder.dim == 2048
        rate = 44100
        audio = (0.3 * np.sin(2 * np.pi * 440 * np.arange(rate // 2) / rate)).astype(np.float32)
        at_44k1 = encoder.encode_at([audio], rate)
        assert at_44k1.shape == (1, 2048)
        assert np.allclose(at_44k1, encoder.encode([resample(audio, rate, 32000)]), atol=1e-5)
        assert not np.allclose(at_44k1, encoder.encode([audio]), atol=1e-3)  # rate matters


class TestPanns:
    def test_missing_checkpoint_names_the_file_and_the_record(self, tmp_path):
        encoder = get_registry().create(
            "encoder", "panns", {"checkpoint": str(tmp_path / "Cnn14_mAP=0.431.pth")}
        )
        with pytest.raises(MissingWeightsError, match=r"Cnn14_mAP=0\.431\.pth") as info:
            encoder.encode([np.zeros(32000, dtype=np.float32)])
        assert "3987831" in str(info.value)
        assert encoder.diagnose()[0].status == "fail"

    def test_the_default_checkpoint_is_the_cards_file_in_panns_data(self, tmp_path, monkeypatch):
        monkeypatch.setenv("HOME", str(tmp_path))  # the hub is offline (tests/conftest.py)
        encoder = get_registry().create("encoder", "panns")
        with pytest.raises(MissingWeightsError, match="autocut models pull panns-cnn14") as info:
            encoder.encode([np.zeros(32000, dtype=np.float32)])
        assert str(tmp_path / "panns_data" / "Cnn14_mAP=0.431.pth") in str(info.value)
        (tmp_path / "panns_data").mkdir()
        (tmp_path / "panns_data" / "Cnn14_mAP=0.431.pth").write_bytes(b"not a checkpoint")
        with pytest.raises(InputError, match=r"Cnn14_mAP=0\.431\.pth: cannot be read"):
            encoder.encode([np.zeros(32000, dtype=np.float32)])

    def test_loads_the_model_without_the_packages_downloading_init(self, tmp_path, monkeypatch):
        monkeypatch.setenv("HOME", str(tmp_path))
        from autocut_plugins.panns import cnn14_class

        assert cnn14_class().__name__ == "Cnn14"
        assert not (tmp_path / "panns_data").exists()  # config.py would wget the labels here
        assert "panns_inference.config" not in sys.modules
