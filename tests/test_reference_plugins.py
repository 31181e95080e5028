"""Behaviour of the reference plugins beyond the shared contract."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from autocut_core.errors import InputError
from autocut_core.plugins import get_registry


def _frame(colour, size=(90, 160), stripe=None):
    frame = np.zeros((*size, 3), dtype=np.uint8)
    frame[:] = colour
    if stripe is not None:
        frame[:, ::8] = stripe
    return frame


class TestHistogram:
    def test_similar_frames_are_closer_than_different_scenes(self):
        encoder = get_registry().create("encoder", "histogram")
        rng = np.random.default_rng(1)
        red = _frame((200, 30, 30), stripe=(250, 250, 250))
        red_noisy = np.clip(red.astype(int) + rng.integers(-6, 7, red.shape), 0, 255).astype(
            np.uint8
        )
        green = _frame((30, 160, 40))
        vectors = encoder.encode([red, red_noisy, green])
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        same, different = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
        assert same > 0.95
        assert different < 0.8
        assert encoder.dim == 128

    def test_downscaling_barely_changes_the_vector(self):
        encoder = get_registry().create("encoder", "histogram")
        big = _frame((20, 90, 200), size=(720, 1280))
        big[100:400, 300:900] = (250, 200, 0)  # a yellow box with hard edges
        big[500:, :] = (240, 240, 240)
        small = big.reshape(180, 4, 320, 4, 3).mean(axis=(1, 3)).astype(np.uint8)
        a, b = encoder.encode([big, small])
        assert a @ b > 0.97

    def test_rejects_what_is_not_an_image(self):
        encoder = get_registry().create("encoder", "histogram")
        with pytest.raises(ValueError, match="expects HxWx3 RGB frames"):
            encoder.encode([np.zeros((4, 4, 5), dtype=np.uint8)])


class TestExactRetriever:
    def _built(self):
        retriever = get_registry().create("retriever", "exact")
        vectors = np.eye(4, dtype=np.float32) + 0.01
        retriever.build(["a", "b", "c", "d"], vectors)
        return retriever, vectors

    def test_scores_are_cosines_best_first(self):
        retriever, vectors = self._built()
        (hits,) = retriever.search(vectors[2] * 5.0, k=4)
        assert hits[0].id == "c"
        assert hits[0].score == pytest.approx(1.0, abs=1e-5)
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)

    @pytest.mark.parametrize(
        ("call", "message"),
        [
            (lambda r, v: r.search(v[0], k=5), "k=5 but the pool has 4"),
            (lambda r, v: r.search(v[0], k=1, candidates=[]), "the candidate pool is empty"),
            (lambda r, v: r.search(v[0], k=1, candidates=["zz"]), "not in the index, e.g. 'zz'"),
            (lambda r, v: r.search(np.ones(3), k=1), "do not match the index dimension 4"),
            (lambda r, v: r.build(["a", "a"], v[:2]), "ids are not unique"),
            (lambda r, v: r.build(["a"], np.full((1, 4), np.nan)), "NaN"),
        ],
    )
    def test_impossible_requests_are_clear_errors(self, call, message):
        retriever, vectors = self._built()
        with pytest.raises((ValueError, KeyError), match=message):
            call(retriever, vectors)

    def test_truncated_or_foreign_index_files_are_clear_errors(self, tmp_path):
        retriever, _ = self._built()
        path = tmp_path / "exact.npy"
        retriever.save(path)
        path.write_bytes(path.read_bytes()[:60])
        fresh = get_registry().create("retriever", "exact")
        with pytest.raises(InputError, match="cannot read the index"):
            fresh.load(path)
        with pytest.raises(InputError, match="index not found"):
            fresh.load(tmp_path / "nothing.npy")
        ids_file = tmp_path / "exact.npy.ids.json"
        ids_file.write_text(ids_file.read_text().replace('"exact"', '"annoy"'))
        with pytest.raises(InputError, match="written by retriever 'annoy'"):
            fresh.load(path)


class TestEspeak:
    def test_hostile_text_is_spoken_not_executed(self, tmp_path):
        voice = get_registry().create("voice", "espeak")
        canary = tmp_path / "pwned"
        texts = [f"--help; touch {canary} $(touch {canary}) `touch {canary}`", "-v xx -w /tmp/x"]
        lines = voice.synthesize_batch(texts, tmp_path / "voice")
        assert not canary.exists()
        assert all(line.duration > 1.0 for line in lines)  # the whole text was read aloud

    def test_duration_grows_with_text_and_audio_is_not_silent(self, tmp_path):
        voice = get_registry().create("voice", "espeak", {"voice": "en"})
        short, long = voice.synthesize_batch(
            ["Buy now.", "Buy now, because it is light, waterproof and made to last for years."],
            tmp_path,
        )
        assert long.duration > short.duration * 2
        with wave.open(long.path, "rb") as handle:
            samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype=np.int16)
        assert np.abs(samples).max() > 1000

    def test_auto_voice_follows_the_script(self):
        from autocut_plugins.espeak import _voice_for

        assert _voice_for("Light as air.") == "en"
        assert _voice_for("轻薄透气，一整天都舒适。") == "cmn"
        assert _voice_for("軽くて、とても快適です。") == "ja"
        assert _voice_for("가볍고 편안합니다") == "ko"

    def test_a_folder_path_longer_than_espeak_ng_takes(self, tmp_path):
        """espeak-ng keeps ``-w FILE`` in a 200-byte buffer: given a longer path it wrote
        nothing and exited 0, and the empty WAV ended the run as a bare "Aborted!"."""
        folder = tmp_path / ("assets-" + "x" * 200)
        assert len(os.fsencode(folder / "line_000.wav")) > 200
        (line,) = get_registry().create("voice", "espeak").synthesize_batch(["Buy now."], folder)
        assert line.duration > 0.3 and Path(line.path).parent == folder

    def test_unknown_espeak_voice_is_a_clear_error(self, tmp_path):
        from autocut_core.errors import AutocutError

        voice = get_registry().create("voice", "espeak", {"voice": "no-such-voice"})
        with pytest.raises(AutocutError, match="espeak-ng failed for voice 'no-such-voice'"):
            voice.synthesize_batch(["hello"], tmp_path)
        assert list(tmp_path.iterdir()) == []  # nothing half-written


def test_random_backbone_is_seeded():
    from autocut_core.contracts import SAMPLE_PRODUCT, sample_candidates
    from autocut_core.types import Script

    script = Script(("a", "b"))
    first = get_registry().create("backbone", "random", {"seed": 7})
    second = get_registry().create("backbone", "random", {"seed": 7})
    candidates = sample_candidates(10)
    assert first.select(SAMPLE_PRODUCT, script, candidates, 2) == second.select(
        SAMPLE_PRODUCT, script, candidates, 2
    )
    assert "write_script" not in first.capabilities
