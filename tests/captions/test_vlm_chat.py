"""``transformers`` captioner, chat-template path: a tiny random Idefics3 (the classes of the
default SmolVLM-256M-Instruct, :func:`autocut_plugins.vlm_tiny.save_tiny_idefics3`) laid out
in a hand-made hub cache and loaded by name, offline.

The cached model ships a ``generation_config.json`` that samples hot (temperature 5, no
top-k): sampled, its captions differ from call to call (three seeds gave three different
captions when this was written), so equal captions across calls and equal to a greedy
decoding done by hand show the captioner decodes greedily whatever the model ships.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from autocut_plugins.vlm_captioner import VLMCaptioner, load_vlm, model_inputs
from autocut_plugins.vlm_tiny import (
    IDEFICS3_IMAGE_SEQ_LEN,
    IDEFICS3_SPECIAL_TOKENS,
    IDEFICS3_WORDS,
    save_tiny_idefics3,
)

from autocut_core.contracts import SAMPLE_PICTURES, sample_jpeg
from autocut_core.errors import CaptionError, InputError
from autocut_core.testing.hub import cache_snapshot, folder_files
from autocut_core.testing.samples import Scene, make_scene_video, solid_color

REPO = "tiny-org/tiny-smolvlm"
MUTE_REPO = "tiny-org/tiny-smolvlm-mute"
PROMPT = "Describe what this video shot shows in one short sentence."
SAMPLING = {"do_sample": True, "temperature": 5.0, "top_k": 0, "_from_model_config": False}


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The tiny model (sampling generation config) and a mute copy whose output layer is
    zero: every logit ties, argmax is token 0 (``<|endoftext|>``, special, not the end
    token), so its answers are special tokens only."""
    import torch
    from transformers import AutoModelForImageTextToText

    folder = save_tiny_idefics3(tmp_path_factory.mktemp("idefics3") / "model", seed=0)
    generation = folder / "generation_config.json"
    config = json.loads(generation.read_text(encoding="utf-8"))
    generation.write_text(json.dumps({**config, **SAMPLING}), encoding="utf-8")
    mute = folder.parent / "mute"
    shutil.copytree(folder, mute)
    model = AutoModelForImageTextToText.from_pretrained(folder)
    with torch.no_grad():
        model.lm_head.weight.zero_()
    model.save_pretrained(mute)
    return {"model": folder, "mute": mute}


@pytest.fixture
def hub(saved, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty hub cache of this test's own holding the two repositories, offline."""
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    cache = tmp_path / "hf" / "hub"
    cache_snapshot(cache, REPO, folder_files(saved["model"]))
    cache_snapshot(cache, MUTE_REPO, folder_files(saved["mute"]))
    return cache


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("footage")
    scenes = [Scene(2.0, solid_color(colour)) for colour in ("red", "green", "blue")]
    make_scene_video(folder / "colours.mp4", scenes, size=(160, 120), audio=False)
    return folder


def _frames() -> list[bytes]:
    return [sample_jpeg(source, 320) for source in SAMPLE_PICTURES]


def _images(frames: list[bytes]):
    from PIL import Image

    return [Image.open(io.BytesIO(frame)).convert("RGB") for frame in frames]


def _greedy_by_hand(model, inputs, steps: int) -> list[int]:
    """Greedy decoding without ``generate``: the whole sequence through the model each step,
    the argmax appended, stopping after the end token."""
    import torch

    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    rest = {k: v for k, v in inputs.items() if k not in ("input_ids", "attention_mask")}
    end = model.generation_config.eos_token_id
    new: list[int] = []
    with torch.inference_mode():
        for _ in range(steps):
            token = int(model(input_ids=ids, attention_mask=mask, **rest).logits[0, -1].argmax())
            new.append(token)
            if token == end:
                break
            ids = torch.cat([ids, torch.tensor([[token]])], dim=1)
            mask = torch.cat([mask, torch.ones((1, 1), dtype=mask.dtype)], dim=1)
    return new


def test_the_prompt_goes_through_the_chat_template_with_one_image_per_frame(hub):
    processor, _ = load_vlm(REPO)
    frames = _frames()
    inputs = model_inputs(processor, _images(frames), PROMPT)
    tokens = processor.tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].tolist())
    # SmolVLM's template: "<|im_start|>User:" + images + prompt + "<end_of_utterance>\nAssistant:"
    assert tokens[:3] == ["<|im_start|>", "User", ":"]
    assert tokens[-3:] == ["<end_of_utterance>", "Assistant", ":"]
    # Each frame's placeholder became its tiles' image tokens: split into tiles (more tiles
    # than frames), one global view per frame, IMAGE_SEQ_LEN tokens per tile.
    tiles = inputs["pixel_values"].shape[1]
    assert tiles > len(frames)
    assert tokens.count("<global-img>") == len(frames)
    assert tokens.count("<image>") == tiles * IDEFICS3_IMAGE_SEQ_LEN
    assert "<row_1_col_1>" in tokens
    prompt = processor.tokenizer.tokenize(PROMPT)
    after = max(i for i, token in enumerate(tokens) if token == "<fake_token_around_image>") + 1
    assert tokens[after : after + len(prompt)] == prompt  # right after the last image


@pytest.mark.parametrize("max_new_tokens", [4, 12])
def test_captions_are_greedy_new_tokens_without_special_ones(hub, max_new_tokens):
    frames = _frames()
    options = {"model": REPO, "max_new_tokens": max_new_tokens, "prompt": PROMPT}
    captioner = VLMCaptioner.from_options(options)
    caption = captioner.describe(frames)
    assert caption == captioner.describe(frames)  # the shipped config samples: greedy won

    processor, model = load_vlm(REPO)
    inputs = model_inputs(processor, _images(frames), PROMPT)
    new = _greedy_by_hand(model, inputs, max_new_tokens)
    assert len(new) <= max_new_tokens
    assert caption == " ".join(processor.decode(new, skip_special_tokens=True).split())
    # Only the answer: no special token, and the words are the tiny vocabulary's.
    assert not any(token in caption for token in IDEFICS3_SPECIAL_TOKENS)
    assert set(caption.split()) <= set(IDEFICS3_WORDS)
    assert captioner.cache_key == f"transformers:{REPO}:v1"
    [check] = captioner.diagnose()
    assert check.status == "ok" and "Hugging Face cache" in check.detail


def test_autocut_caption_captions_every_clip_through_the_chat_path(cli, hub, footage, tmp_path):
    code, out, err = cli(
        "caption", str(footage), "--db", str(tmp_path / "db"), "--captioner", "transformers",
        "--captioner-opt", f"model={REPO}", "--captioner-opt", "max_new_tokens=6",
        "--encoder", "histogram", "--json",
    )  # fmt: skip
    assert code == 0, err
    data = json.loads(out)
    assert (data["written"], data["cached"]) == (3, 0)
    assert data["model"] == f"transformers:{REPO}:v1"
    captions = [clip["caption"] for clip in data["clips"]]
    assert len(captions) == 3 and all(captions)
    for caption in captions:
        assert set(caption.split()) <= set(IDEFICS3_WORDS)


def test_an_answer_of_special_tokens_only_is_a_clear_failure(cli, hub, footage, tmp_path):
    captioner = VLMCaptioner.from_options({"model": MUTE_REPO, "max_new_tokens": 4})
    with pytest.raises(CaptionError) as caught:
        captioner.describe(_frames())
    message = str(caught.value)
    assert message == (
        f"captioner 'transformers' ({MUTE_REPO}) answered nothing: its 4 new tokens were all "
        "special (<|endoftext|> x4)"
    )
    code, _, err = cli(
        "caption", str(footage), "--db", str(tmp_path / "db"), "--captioner", "transformers",
        "--captioner-opt", f"model={MUTE_REPO}", "--captioner-opt", "max_new_tokens=4",
        "--encoder", "histogram",
    )  # fmt: skip
    assert code == 1
    assert "described none of the 3 clips" in err and "answered nothing" in err


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_half_precision_on_the_cpu_runs(hub, dtype):
    import torch

    frames = _frames()
    half = VLMCaptioner.from_options({"model": REPO, "max_new_tokens": 6, "dtype": dtype})
    caption = half.describe(frames)
    assert half._load()[1].dtype == getattr(torch, dtype)
    assert caption and set(caption.split()) <= set(IDEFICS3_WORDS)
    auto = VLMCaptioner.from_options({"model": REPO, "max_new_tokens": 6, "device": "auto"})
    auto.describe(frames)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert auto._load()[1].device.type == expected


def test_a_gpu_asked_for_without_one_says_so(hub):
    import torch

    captioner = VLMCaptioner.from_options({"model": REPO, "device": "cuda"})
    if torch.cuda.is_available():  # the device machine: it runs there
        assert captioner.describe(_frames())
        assert captioner._load()[1].device.type == "cuda"
        return
    with pytest.raises(InputError, match=r"captioner 'transformers': device 'cuda' asked for"):
        captioner.describe(_frames())
