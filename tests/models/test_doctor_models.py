"""`autocut doctor` says which evidence the cached models give and the one command that adds
what is missing, from the same install state as `autocut models list`."""

from __future__ import annotations

import json

from autocut_core.checks import Check
from autocut_core.cli.doctor_models import check_model_evidence, evidence_check
from autocut_core.models import ModelCard
from autocut_core.testing.hub import cache_snapshot


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_empty_caches_name_the_smallest_pull_per_evidence(empty_caches):
    checks = _by_name(check_model_evidence("transformers"))
    image = checks["image-text evidence"]
    assert image.status == "warn" and "clip-vit-b-32" in image.detail
    # The smallest image-text card (clip-vit-b-32, 605 MB, not the 1.5 GB multilingual one).
    assert image.fix == "autocut models pull clip-vit-b-32 (605 MB)"
    captions = checks["captions"]
    assert captions.status == "warn" and "known by file name" in captions.detail
    assert captions.fix == "autocut models pull smolvlm-256m-instruct (513 MB)"
    # The pip-packaged models (minilm, muse) count as cached: they are installed with autocut.
    assert checks["models"].detail.endswith("known models cached (autocut models list)")


def test_a_cached_clip_card_turns_image_text_evidence_on(empty_caches):
    before = int(_by_name(check_model_evidence("transformers"))["models"].detail.split()[0])
    # Laid out as huggingface_hub caches it: what `autocut models list` counts as installed.
    cache_snapshot(empty_caches, "laion/CLIP-ViT-B-32-laion2B-s34B-b79K",
                   {"open_clip_model.safetensors": b"weights"})  # fmt: skip
    checks = _by_name(check_model_evidence("transformers"))
    image = checks["image-text evidence"]
    assert image.status == "ok" and image.fix == ""
    assert image.detail.startswith("clip-vit-b-32 cached; set image_encoder = 'clip'")
    assert checks["models"].detail.startswith(f"{before + 1} of ")


def test_a_captioner_without_local_models_needs_no_pull(empty_caches):
    checks = _by_name(check_model_evidence("openai-vision"))
    assert checks["captions"].status == "ok"
    assert "declares no local model" in checks["captions"].detail


def test_no_card_for_an_evidence_is_said_not_hidden():
    check = evidence_check("captions", [], lambda card: False, "use", "nothing sees frames")
    assert check.status == "warn" and "no registered component" in check.detail


def test_one_cached_card_of_several_is_enough():
    cards = [
        ModelCard("big", "b", "MIT", 2_000_000_000, ()),
        ModelCard("small", "s", "MIT", 5_000_000, ()),
    ]
    missing = evidence_check("x", cards, lambda card: False, "use it", "blind")
    assert missing.fix == "autocut models pull small (5 MB)"
    found = evidence_check("x", cards, lambda card: card.name == "big", "use it", "blind")
    assert found.status == "ok" and found.detail == "big cached; use it"


def test_doctor_command_prints_the_evidence_lines(cli, in_tmp, empty_caches):
    # The exit code is the machine's health (1 when any other line fails, e.g. an offline
    # configured model); the evidence lines are printed either way.
    _, out, _ = cli("doctor", "--json")
    checks = {check["name"]: check for check in json.loads(out)}
    assert checks["image-text evidence"]["fix"].startswith("autocut models pull clip-vit-b-32")
    assert checks["captions"]["fix"].startswith("autocut models pull smolvlm-256m-instruct")
