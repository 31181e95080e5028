"""Tiny corpora in the dataset builder's formats, and a tiny random Qwen3 with a small BPE.

The corpora follow the shared spec (alignment JSONL ``{"text", "ad_id"}``; SFT ShareGPT with
``system``, ``task``, ``meta``) with a 2 x 8 token grid, so the vocabulary extension adds 44
tokens instead of 4108. The base is :func:`autocut_plugins.lm.tiny.make_tiny_base`
(Qwen3, hidden 64, 2 layers, untied ``lm_head``, a ~1000-token BPE trained on the corpus
text): seconds per run on two cores.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from autocut_plugins.lm.tiny import make_tiny_base

HEADS, CODES = 2, 8
GRID = f"{HEADS}x{CODES}"
SYSTEM = "You are AutoCut, an ad editor. Answer with the format asked for."
PRODUCTS = ["earbuds", "face cream", "blender", "backpack", "lamp", "sneakers", "kettle", "watch"]
FEATURES = [
    "long battery",
    "soft texture",
    "quiet motor",
    "light weight",
    "warm light",
    "fast charge",
]
SENTENCES = [
    "Meet the {p} everyone talks about.",
    "It has {f} for busy days.",
    "Look how easy it is to use.",
    "Order today and save more.",
    "Your mornings just got better.",
    "Built to last with {f}.",
]


def video_tokens(rng: random.Random, frames: int) -> str:
    return "".join(
        "<|frame_start|>"
        + "".join(f"<v_{h}_{rng.randrange(CODES)}>" for h in range(HEADS))
        + "<|frame_end|>"
        for _ in range(frames)
    )


def audio_tokens(rng: random.Random) -> str:
    return (
        "<|audio_start|>"
        + "".join(f"<a_{h}_{rng.randrange(CODES)}>" for h in range(HEADS))
        + "<|audio_end|>"
    )


def make_ad(rng: random.Random, index: int) -> dict:
    product, feature = rng.choice(PRODUCTS), rng.choice(FEATURES)
    clips = []
    for sentence in rng.sample(SENTENCES, 3):
        text = sentence.format(p=product, f=feature)
        clips.append(
            f"<|clip_start|><|text_start|>{text}<|text_end|><|video_start|>"
            f"{video_tokens(rng, 2)}<|video_end|><|clip_end|>"
        )
    text = f"<|ad_start|>Product: {product}. Selling point: {feature}.{''.join(clips)}{audio_tokens(rng)}<|ad_end|>"
    return {"text": text, "ad_id": f"ad{index:03d}", "product": product, "feature": feature}


def make_sft(rng: random.Random, ad: dict) -> dict:
    """A 'sort' or 'select' record: the answer is a function of the prompt (learnable)."""
    count = rng.randrange(3, 6)
    candidates = [video_tokens(rng, 1) for _ in range(count)]
    task = rng.choice(["sort", "select"])
    lines = "\n".join(f"[{i}] {c}" for i, c in enumerate(candidates))
    if task == "sort":
        order = sorted(range(count), key=lambda i: candidates[i])
        prompt = f"Product: {ad['product']}. Order these clips for the script.\n{lines}"
        answer, meta = json.dumps(order), {"answer": {"order": order}}
    else:
        picks = [i for i in range(count) if "<v_0_0>" in candidates[i] or i == 0]
        prompt = f"Product: {ad['product']}. Select the clips that fit.\n{lines}"
        answer, meta = json.dumps(picks), {"answer": {"indices": picks}}
    return {
        "conversations": [{"from": "human", "value": prompt}, {"from": "gpt", "value": answer}],
        "system": SYSTEM, "task": task, "lang": "en", "ad_id": ad["ad_id"], "meta": meta,
    }  # fmt: skip


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def make_corpora(folder: Path, ads: int = 40, seed: int = 0) -> dict[str, Path]:
    """data/align/{train,val}.jsonl and data/sft/{train,val}.jsonl, split by ad (90/10)."""
    rng = random.Random(seed)
    all_ads = [make_ad(rng, i) for i in range(ads)]
    held = max(2, ads // 10)
    train_ads, val_ads = all_ads[:-held], all_ads[-held:]
    align = lambda group: [{"text": a["text"], "ad_id": a["ad_id"]} for a in group]  # noqa: E731
    sft = lambda group: [make_sft(rng, a) for a in group for _ in range(3)]  # noqa: E731
    return {
        "align_train": write_jsonl(folder / "align" / "train.jsonl", align(train_ads)),
        "align_val": write_jsonl(folder / "align" / "val.jsonl", align(val_ads)),
        "sft_train": write_jsonl(folder / "sft" / "train.jsonl", sft(train_ads)),
        "sft_val": write_jsonl(folder / "sft" / "val.jsonl", sft(val_ads)),
    }


@pytest.fixture(scope="session")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_corpora(tmp_path_factory.mktemp("data"))


def _corpus_texts(corpora: dict[str, Path]) -> list[str]:
    texts = []
    for path in corpora.values():
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            texts.append(
                record.get("text") or " ".join(t["value"] for t in record["conversations"])
            )
    return [*texts, SYSTEM]


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory, corpora: dict[str, Path]) -> Path:
    return make_tiny_base(tmp_path_factory.mktemp("tiny-qwen3"), _corpus_texts(corpora))


@pytest.fixture(scope="session")
def tiny_tied_base(tmp_path_factory: pytest.TempPathFactory, corpora: dict[str, Path]) -> Path:
    return make_tiny_base(
        tmp_path_factory.mktemp("tiny-qwen3-tied"), _corpus_texts(corpora), tied=True
    )


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Two cores are shared by everyone: torch runs single-threaded in these tests (and in the
    processes they start), and gets its thread count back afterwards."""
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def train_config(stage: str, output: Path, data: Path, **overrides):
    """A small, fast TrainConfig for the tiny base (overrides win)."""
    from autocut_plugins.lm.config import CodeSpec, resolve

    flags = {
        "data": data, "output": output, "cutoff": 256, "epochs": 2, "batch_size": 4,
        "lr": 3e-3, "warmup_ratio": 0.1, "video_codes": CodeSpec(heads=HEADS, codebook_size=CODES),
        "audio_codes": CodeSpec(heads=HEADS, codebook_size=CODES), "bf16": False,
    }  # fmt: skip
    flags.update(overrides)
    return resolve(stage, flags)
