"""Encoders load tiny random models of the real classes from a hand-laid hub cache, offline.

Each model is saved the way its library saves it, laid out as huggingface_hub caches it
(``models--org--name/snapshots/<commit>/...``, ``refs/main``; torchvision's
``hub/checkpoints``), and loaded through the encoder's own resolution with
``HF_HUB_OFFLINE=1``: the path a pulled model takes, without its size.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from autocut_core.plugins import get_registry
from autocut_core.testing.hub import cache_snapshot, folder_files

SENTENCES = ["一杯热咖啡", "a cup of hot coffee", "跑步鞋"]


def _frames() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (72, 96, 3), dtype=np.uint8) for _ in range(2)]


def _xlmr_tokenizer(folder):
    """A tiny XLM-RoBERTa tokenizer (Unigram pieces incl. the test sentences' characters)."""
    from transformers import XLMRobertaTokenizer

    pieces = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]
    words = [
        "▁",
        "一",
        "杯",
        "热",
        "咖",
        "啡",
        "跑",
        "步",
        "鞋",
        "▁a",
        "▁cup",
        "▁of",
        "▁hot",
        "▁coffee",
        "▁shoe",
    ]
    pieces += [(word, -1.0 - index / 10) for index, word in enumerate(words)]
    pieces.append(("<mask>", 0.0))
    tokenizer = XLMRobertaTokenizer(vocab=pieces)
    tokenizer.save_pretrained(folder)
    return tokenizer


def _tiny_xlmr_config(vocab: int):
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=vocab,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=80,
    )


def test_clip_loads_open_clip_weights_by_hub_id(empty_caches, tmp_path):
    from safetensors.torch import save_file

    tiny = {"model": "ViT-S-32-alt"}
    reference = get_registry().create("encoder", "clip", {**tiny, "random_init": True})
    state = reference.loaded().model.state_dict()
    weights = tmp_path / "open_clip_model.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, weights)
    cache_snapshot(empty_caches, "tiny-org/tiny-clip", {"open_clip_model.safetensors": weights})

    options = {**tiny, "pretrained": "hf-hub:tiny-org/tiny-clip"}
    image = get_registry().create("encoder", "clip", options)
    text = get_registry().create("encoder", "clip-text", options)
    assert np.allclose(image.encode(_frames()), reference.encode(_frames()), atol=1e-5)
    assert np.allclose(text.encode(SENTENCES), reference.encode_text(SENTENCES), atol=1e-5)
    assert [check.status for check in image.diagnose()] == ["ok"]


def test_the_multilingual_clip_builds_its_text_tower_from_the_cached_xlm_roberta(empty_caches):
    folder = empty_caches.parent.parent / "xlmr"
    tokenizer = _xlmr_tokenizer(folder)
    _tiny_xlmr_config(len(tokenizer)).save_pretrained(folder)
    cache_snapshot(empty_caches, "xlm-roberta-base", folder_files(folder))

    options = {"model": "xlm-roberta-base-ViT-B-32", "random_init": True}
    text = get_registry().create("encoder", "clip-text", options)
    vectors = text.encode(SENTENCES)
    assert vectors.shape == (3, 512) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    loaded = text.loaded()
    assert type(loaded.model.text.transformer).__name__ == "XLMRobertaModel"
    assert loaded.model.text.transformer.config.hidden_size == 32  # the cached config's
    ids = loaded.tokenizer(["一杯热咖啡"])[0].tolist()
    assert tokenizer.convert_tokens_to_ids("咖") in ids  # the cached tokenizer's pieces


def test_clip_without_the_text_towers_files_names_them_in_one_line(empty_caches):
    text = get_registry().create(
        "encoder", "clip-text", {"model": "xlm-roberta-base-ViT-B-32", "random_init": True}
    )
    with pytest.raises(
        Exception, match=r"Model hf-hub:xlm-roberta-base is not in the cache"
    ) as info:
        text.encode(["hi"])
    assert "\n" not in str(info.value) and "config.json, tokenizer.json" in str(info.value)


def test_resnet50_loads_its_card_from_torchvisions_cache(empty_caches):
    import torch

    reference = get_registry().create(
        "encoder", "resnet50", {"random_init": True, "image_size": 64}
    )
    state = dict(reference.model().state_dict())
    state["fc.weight"], state["fc.bias"] = torch.zeros(1000, 2048), torch.zeros(1000)
    checkpoints = empty_caches.parent.parent / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(state, checkpoints / "resnet50-0676ba61.pth")

    encoder = get_registry().create("encoder", "resnet50", {"image_size": 64})
    assert np.allclose(encoder.encode(_frames()), reference.encode(_frames()), atol=1e-5)
    assert encoder.diagnose()[0].status == "ok"


def test_the_multilingual_sentence_encoder_matches_sentence_transformers(empty_caches):
    from sentence_transformers import SentenceTransformer, models
    from transformers import XLMRobertaModel

    folder = empty_caches.parent.parent / "st"
    tokenizer = _xlmr_tokenizer(folder)
    import torch

    torch.manual_seed(0)
    XLMRobertaModel(_tiny_xlmr_config(len(tokenizer))).save_pretrained(folder)
    word = models.Transformer(str(folder), max_seq_length=64)
    pooling = models.Pooling(word.get_word_embedding_dimension(), pooling_mode="mean")
    SentenceTransformer(modules=[word, pooling]).save(str(folder / "st"))
    repo = "sentence-transformers/paraphrase-multilingual-MiniLM-L12-v2"
    snapshot = cache_snapshot(empty_caches, repo, folder_files(folder / "st"))
    pooling_config = json.loads((snapshot / "1_Pooling" / "config.json").read_text())
    assert pooling_config["pooling_mode"] == "mean"  # sentence-transformers 6's format

    encoder = get_registry().create(
        "encoder", "minilm", {"pretrained": "paraphrase-multilingual-minilm-l12-v2"}
    )
    ours = encoder.encode(SENTENCES)
    theirs = SentenceTransformer(str(snapshot), device="cpu").encode(SENTENCES)
    theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
    assert encoder.dim == 32 and np.allclose(ours, theirs, atol=1e-5)
    assert encoder.diagnose()[0].status == "ok"
