"""``siglip`` loads a tiny random SiglipModel and its SentencePiece tokenizer (trained by
sentencepiece's own trainer, :mod:`autocut_plugins.siglip_tiny`) from a hand-laid hub cache,
offline, and embeds frames and sentences exactly as transformers does."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from autocut_core.errors import MissingWeightsError
from autocut_core.plugins import get_registry, inline_plugin
from autocut_core.testing.hub import cache_snapshot, folder_files

SENTENCES = ["a ripe orange for a bright morning", "一杯热咖啡", "red running shoes"]
REPO = "tiny-org/tiny-siglip"


@pytest.fixture
def siglip_registered():
    """The plugin, inline when the installed entry points predate it (a checkout's run)."""
    with contextlib.ExitStack() as stack:
        if "siglip" not in get_registry().names("encoder"):
            from autocut_plugins import siglip

            stack.enter_context(inline_plugin(siglip, name="siglip"))
        yield


def _tiny_siglip(folder):
    from autocut_plugins.siglip_tiny import save_tiny_siglip

    return save_tiny_siglip(folder)


def test_siglip_loads_a_cached_hub_model_offline(siglip_registered, empty_caches, tmp_path):
    import torch
    from transformers import AutoTokenizer, SiglipModel

    saved = _tiny_siglip(tmp_path / "saved")
    snapshot = cache_snapshot(empty_caches, REPO, folder_files(saved))
    assert (snapshot / "spiece.model").is_symlink()

    registry = get_registry()
    image = registry.create("encoder", "siglip", {"pretrained": f"hf-hub:{REPO}"})
    text = registry.create("encoder", "siglip-text", {"pretrained": REPO})
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(2)]
    image_vectors = image.encode(frames)
    text_vectors = text.encode(SENTENCES)
    assert image_vectors.shape == (2, 32) and text_vectors.shape == (3, 32)
    assert image.dim == text.dim == 32
    np.testing.assert_allclose(np.linalg.norm(text_vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(image.encode_text(SENTENCES), text_vectors, atol=1e-6)

    # The same numbers as transformers' own pipeline on the saved folder: full-length padding.
    reference = SiglipModel.from_pretrained(saved, local_files_only=True).eval()
    tokens = AutoTokenizer.from_pretrained(saved, local_files_only=True)(
        SENTENCES, padding="max_length", max_length=16, truncation=True, return_tensors="pt"
    )
    with torch.inference_mode():
        output = reference.get_text_features(input_ids=tokens["input_ids"])
    expected = getattr(output, "pooler_output", output).numpy()
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(text_vectors, expected, atol=1e-5)
    # Distinct sentences, distinct vectors (the tokenizer read the Chinese line, not all <unk>).
    assert float(text_vectors[0] @ text_vectors[1]) < 0.9999


def test_siglip_reads_a_local_folder(siglip_registered, tmp_path):
    saved = _tiny_siglip(tmp_path / "saved")
    encoder = get_registry().create("encoder", "siglip-text", {"pretrained": str(saved)})
    assert encoder.encode(["a cup of hot coffee"]).shape == (1, 32)
    (checks,) = encoder.diagnose()
    assert checks.status == "ok" and str(saved) in checks.detail


def test_siglip_offline_without_cache_says_how_to_get_it(siglip_registered):
    encoder = get_registry().create("encoder", "siglip", {})
    with pytest.raises(MissingWeightsError) as error:
        encoder.encode_text(["a cup of hot coffee"])
    message = str(error.value)
    assert "siglip-base-patch16-224" in message and "autocut models pull" in message
    (check,) = encoder.diagnose()
    assert check.status == "fail" and "autocut models pull siglip-base-patch16-224" in check.fix


def test_siglip_folder_of_another_model_is_named(siglip_registered, tmp_path):
    folder = tmp_path / "not-siglip"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    encoder = get_registry().create("encoder", "siglip", {"pretrained": str(folder)})
    with pytest.raises(Exception, match="model_type is 'bert'"):
        encoder.encode_text(["x"])
