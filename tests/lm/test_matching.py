"""``matching = "likelihood"``: select and sort by how likely each clip's frames follow each
sentence, in the layout of the alignment corpus.

The scorer is checked against a plain full forward pass of every continuation, and its
prefix against the alignment corpus; the backbone's select and sort are checked with made-up
scores (a tiny random model learns no sentence-to-code link worth testing; the demo model's
held-out table in examples/demo/model/eval.md is the evidence that the method works).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autocut_core.types import Candidate, Clip, Product, Script

from .conftest import CODES, HEADS, train_config, write_jsonl

CONCEPTS = {"kettle": 1, "lamp": 4, "watch": 6}
LINES = ["Meet the {p}.", "Look at this {p} today.", "Our {p} is here."]
PRODUCT = Product(name="Home Set", brand="Casa")


def _frames(code: int, count: int) -> str:
    frame = f"<|frame_start|><v_0_{code}><v_1_{code}><|frame_end|>"
    return frame * count


def _ad(rng: random.Random) -> str:
    clips = "".join(
        f"<|clip_start|><|text_start|>{rng.choice(LINES).format(p=name)}<|text_end|>"
        f"<|video_start|>{_frames(code, rng.randrange(1, 3))}<|video_end|><|clip_end|>"
        for name, code in rng.sample(sorted(CONCEPTS.items()), 3)
    )
    return f"<|ad_start|>Product: Home Set\n{clips}<|ad_end|>"


@pytest.fixture(scope="module")
def aligned(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path) -> Path:
    from autocut_plugins.lm.trainer import train

    root = tmp_path_factory.mktemp("matching")
    rng = random.Random(0)
    data = write_jsonl(
        root / "align.jsonl", [{"text": _ad(rng), "ad_id": f"a{i}"} for i in range(60)]
    )
    summary = train(train_config("align", root / "run", data, base=str(tiny_base), epochs=4,
                                 lr=3e-2, mode="rows"))  # fmt: skip
    assert summary["status"] == "finished"
    return root / "run"


def _backbone(run: Path):
    from autocut_plugins.lm.backbone import LMBackbone

    return LMBackbone.from_options({"artefact": str(run), "matching": "likelihood"})


def _clip(name: str, frames: int = 1) -> Candidate:
    return Candidate(Clip(f"clip-{name}-{frames}", 0.0, 2.0), _frames(CONCEPTS[name], frames))


#: Made-up likelihoods (sentence x clip) standing in for the model's, to test the wiring.
SCORES = [[-3.0, -0.5, -2.0, -4.0], [-0.2, -3.0, -2.5, -3.0], [-2.0, -2.0, -2.0, -0.1]]


@pytest.fixture
def scored(monkeypatch: pytest.MonkeyPatch):
    """The scorer returns :data:`SCORES` and records what it was asked."""
    import numpy as np
    from autocut_plugins.lm import matching

    asked = {}

    def fake(model, tokenizer, head_ids, product, sentences, candidates, lang, profile=None):
        asked.update(sentences=tuple(sentences), candidates=len(candidates), heads=len(head_ids),
                     profile=profile.name)  # fmt: skip
        return np.array(SCORES)[: len(sentences), : len(candidates)]

    monkeypatch.setattr(matching, "clip_scores", fake)
    return asked


SCRIPT = Script(sentences=("Meet the watch.", "Our kettle is here.", "Look at this lamp today."))


def test_sort_plays_each_clip_under_the_sentence_it_fits_best(aligned, scored):
    clips = [_clip("kettle"), _clip("watch"), _clip("lamp"), _clip("lamp", 2)]
    ordering = _backbone(aligned).sort(PRODUCT, SCRIPT, clips)
    assert ordering.order == (1, 0, 3, 2)  # the best assignment, then the clip left over
    assert ordering.scores[:3] == (-0.5, -0.2, -0.1)
    assert scored == {"sentences": SCRIPT.sentences, "candidates": 4, "heads": HEADS,
                      "profile": "autocut"}  # fmt: skip


def test_select_takes_the_best_assignment_best_first(aligned, scored):
    pool = [_clip("kettle"), _clip("watch"), _clip("lamp"), _clip("lamp", 2)]
    selection = _backbone(aligned).select(PRODUCT, SCRIPT, pool, 3)
    assert selection.indices == (3, 0, 1) and selection.scores == (-0.1, -0.2, -0.5)


def test_the_prefix_is_the_alignment_corpus_up_to_the_frames():
    """The scorer asks in exactly the layout stage 1 trained on."""
    from autocut_plugins.lm.matching import sentence_prefix

    from autocut_core.dataset.alignment import alignment_text
    from autocut_core.dataset.discovery import AdFiles
    from autocut_core.dataset.records import Ad, AdClip
    from autocut_core.editing.profiles import get_profile

    frames = _frames(4, 1)
    clip = AdClip("Meet  the lamp.", 0.0, 2.0, (1,), frames)
    ad = Ad(AdFiles("a", Path("a.mp4")), product=PRODUCT, clips=[clip])
    prefix = sentence_prefix(PRODUCT, clip.text, "en")
    assert alignment_text(ad, "en") == f"{prefix}{frames}<|video_end|><|clip_end|><|ad_end|>"
    assert prefix.endswith("<|text_start|>Meet the lamp.<|text_end|><|video_start|>")
    # The reference profile's alignment text opens without the product facts, and so does
    # the scorer of a model trained in it.
    reference = get_profile("reference")
    prefix = sentence_prefix(PRODUCT, clip.text, "zh", reference)
    assert (
        prefix
        == "<|ad_start|><|clip_start|><|text_start|>Meet the lamp.<|text_end|><|video_start|>"
    )
    assert alignment_text(ad, "zh", "reference") == (
        f"{prefix}{frames}<|video_end|><|clip_end|><|ad_end|>"
    )


def test_a_clip_without_tokens_is_refused(aligned):
    from autocut_core.errors import InputError

    bare = Candidate(Clip("bare", 0.0, 2.0))
    with pytest.raises(InputError, match=r"clip bare.* has none"):
        _backbone(aligned).sort(PRODUCT, Script(sentences=("Meet the lamp.",)), [bare])


def test_continuation_scores_equal_a_full_forward_pass(aligned):
    """Cached, batched and right-padded scoring = one plain forward pass per continuation."""
    import torch
    from autocut_plugins.lm import artefact
    from autocut_plugins.lm.constrained import Vocabulary, code_head_ids
    from autocut_plugins.lm.generate import continuation_logprobs

    loaded = artefact.load(aligned)
    model, tokenizer = loaded.model, loaded.tokenizer
    vocabulary = Vocabulary(tokenizer, tokenizer.eos_token_id or 0)
    heads = code_head_ids(vocabulary, "v", HEADS, CODES)
    ids = lambda text: tokenizer(text, add_special_tokens=False)["input_ids"]  # noqa: E731
    prompt = ids("<|ad_start|>Product: Home Set\n<|clip_start|><|text_start|>Meet the lamp.")
    continuations = [ids(_frames(4, 2)), ids(_frames(1, 1)), ids("<v_0_3>"), []]
    scored = continuation_logprobs(model, prompt, continuations, heads, chunk=3)

    where = {int(t): (h, p) for h, group in enumerate(heads) for p, t in enumerate(group)}
    for continuation, (total, count) in zip(continuations, scored, strict=True):
        with torch.inference_mode():
            logits = model(input_ids=torch.tensor([prompt + continuation])).logits[0].float()
        expected, scored_tokens = 0.0, 0
        for offset, token in enumerate(continuation):
            if token in where:
                head, index = where[token]
                row = logits[len(prompt) + offset - 1][heads[head]]
                expected += float(torch.log_softmax(row, dim=-1)[index])
                scored_tokens += 1
        assert count == scored_tokens
        assert total == pytest.approx(expected, abs=1e-4)


@pytest.fixture(scope="module")
def lora_on_aligned(tmp_path_factory, tiny_base: Path, corpora: dict[str, Path], aligned) -> Path:
    """Alignment with rows from the text (so codes differ), then a LoRA SFT with rows frozen."""
    from autocut_plugins.lm.trainer import train

    root = tmp_path_factory.mktemp("lora-on-aligned")
    align = train(train_config("align", root / "align", corpora["align_train"],
                               base=str(tiny_base), mode="rows", epochs=1, init_rows="text"))  # fmt: skip
    assert align["status"] == "finished"
    sft = train(train_config("sft", root / "sft", corpora["sft_train"], parent=root / "align",
                             mode="lora", epochs=1, lr=3e-2, train_new_rows=False))  # fmt: skip
    assert sft["status"] == "finished"
    return root


def test_likelihood_matching_scores_with_the_lora_switched_off(lora_on_aligned):
    """Matching reads the aligned model: the SFT adapter is off while clips are scored (and
    on for what the model writes), so the scores are the aligned run's, not the merged model's."""
    import numpy as np
    from autocut_plugins.lm import artefact
    from autocut_plugins.lm.constrained import Vocabulary, code_head_ids
    from autocut_plugins.lm.matching import clip_scores

    backbone = _backbone(lora_on_aligned / "sft")
    clips = [_clip("kettle"), _clip("lamp", 2), _clip("watch")]
    scores = backbone._clip_scores(backbone._session(), PRODUCT, SCRIPT, clips, "en")
    assert backbone.write_script(PRODUCT, clips).sentences  # the adapter is back on

    def scored_by(run: Path, merge: bool = True) -> np.ndarray:
        loaded = artefact.load(run, merge=merge)
        heads = code_head_ids(Vocabulary(loaded.tokenizer, 0), "v", HEADS, CODES)
        return clip_scores(loaded.model, loaded.tokenizer, heads, PRODUCT, SCRIPT.sentences,
                           clips, "en")  # fmt: skip

    np.testing.assert_allclose(scores, scored_by(lora_on_aligned / "align"), atol=1e-5)
    assert not np.allclose(scores, scored_by(lora_on_aligned / "sft"), atol=1e-4)


def test_a_clip_likely_after_any_sentence_is_not_selected_for_it():
    """Raw likelihoods would take the clip that is likely everywhere; the fit over the clip's
    own average takes the clips that one sentence makes likelier."""
    import numpy as np
    from autocut_plugins.lm import matching

    raw = np.array([[-1.0, -6.0, -9.0], [-1.0, -9.0, -6.0]])  # clip 0: likely after anything
    assert 0 in matching.select(raw, 2)[0]
    assert sorted(matching.select(matching.fit_over_prior(raw), 2)[0]) == [1, 2]
    np.testing.assert_array_equal(matching.fit_over_prior(raw[:1]), raw[:1])  # one sentence
