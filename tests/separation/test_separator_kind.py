"""The separator kind: the base class's checks on the audio going in and the stems coming
out, long audio in crossfaded chunks with progress, resampling, and the fake's contract."""

from __future__ import annotations

import numpy as np
import pytest

from autocut_core.components import Separator
from autocut_core.contracts import check_separator, sample_mix
from autocut_core.errors import SeparationError
from autocut_core.progress import reporting_to
from autocut_core.testing import FakeSeparator


def test_the_fake_splits_at_300_hz_and_its_stems_add_up_to_the_mix():
    mix = sample_mix(FakeSeparator.sample_rate)[0]
    stems = FakeSeparator().separate(mix)
    assert stems.sample_rate == 16_000 and stems.duration == 3.0
    assert stems.model == "fake:fake:v1"
    np.testing.assert_allclose(stems.voice + stems.music, mix, atol=1e-6)
    check_separator(FakeSeparator())


class _Halves(Separator):
    """Music = the chunk, voice = silence; records the chunk lengths it was given."""

    name = "halves"
    sample_rate = 1_000

    def __init__(self, settings=None):
        super().__init__(settings)
        self.chunks: list[int] = []

    def _separate(self, audio):
        self.chunks.append(audio.size)
        return np.zeros_like(audio), audio.copy()


class _Stage:
    def __init__(self):
        self.updates: list[tuple[float, float | None]] = []

    def update(self, done, total=None, current=""):
        self.updates.append((done, total))


def test_long_audio_goes_in_overlapping_chunks_that_crossfade_back_to_the_whole():
    separator = _Halves.from_options({"chunk_seconds": 5, "overlap_seconds": 1})
    audio = np.random.default_rng(0).uniform(-1, 1, 12_345).astype(np.float32)
    stage = _Stage()
    with reporting_to(stage):
        stems = separator.separate(audio)
    # 0-5 s, 4-9 s, 8-12.345 s: never more than a chunk in memory at once.
    assert separator.chunks == [5_000, 5_000, 4_345]
    np.testing.assert_allclose(stems.music, audio, atol=1e-6)  # the fades sum to one
    assert not stems.voice.any()
    assert stage.updates == [(5.0, 12.345), (9.0, 12.345), (12.345, 12.345)]


def test_audio_at_another_rate_is_resampled_to_the_separators():
    stems = _Halves().separate(np.zeros(3_200, dtype=np.float32), 16_000)
    assert stems.sample_rate == 1_000 and stems.music.size == 200


@pytest.mark.parametrize(
    ("audio", "message"),
    [
        (np.zeros(100), r"mono float32 samples, got float64"),
        (np.zeros((2, 100), dtype=np.float32), r"mono float32 samples, got float32 of shape"),
        (np.zeros(0, dtype=np.float32), r"no audio to separate"),
        (np.array([0.0, np.nan], dtype=np.float32), r"not finite"),
    ],
)
def test_bad_audio_is_refused_by_name(audio, message):
    with pytest.raises(SeparationError, match=rf"separator 'halves': .*{message}"):
        _Halves().separate(audio)


class _Short(_Halves):
    name = "short"

    def _separate(self, audio):
        return audio[:-1], audio[:-1]


class _Single(_Halves):
    name = "single"

    def _separate(self, audio):
        return audio


def test_stems_that_cannot_be_are_refused_with_where():
    audio = np.zeros(2_000, dtype=np.float32)
    with pytest.raises(SeparationError, match=r"'short' \(short\) at 0.0 s: the voice stem "
                       r"has shape \(1999,\), the chunk \(2000,\)"):  # fmt: skip
        _Short().separate(audio)
    with pytest.raises(SeparationError, match=r"returned ndarray, not \(voice, music\)"):
        _Single().separate(audio)


def test_a_settings_model_of_another_kind_is_a_class_problem():
    from autocut_core.components import ComponentSettings

    class Wrong(Separator):
        name = "wrong"
        Settings = ComponentSettings

        def _separate(self, audio):
            return audio, audio

    assert "Settings must subclass autocut_core.components.SeparatorSettings" in (
        Wrong.class_problems()
    )
