"""``similarity`` select and sort: sentences matched to clip captions, measured against chance."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pytest
from autocut_plugins.random_backbone import RandomBackbone
from autocut_plugins.similarity import SimilarityBackbone

from autocut_core import plugins
from autocut_core.errors import AutocutError, ComponentSettingsError, MissingWeightsError
from autocut_core.plugins import get_registry
from autocut_core.types import Candidate, Clip, Product, Script

from .ad_pairs import PAIRS_EN, PAIRS_ZH

PRODUCT = Product(name="Trail Runner 2", brand="Acme", category="shoes")
SENTENCES = (
    "Unbox your new pair.",
    "Breathable mesh keeps you cool.",
    "Rain? No problem.",
    "Cross the finish line first.",
)
CAPTIONS = (
    "a red running shoe on a white table",  # distractor
    "a runner splashing through puddles in the rain",  # sentence 2
    "close-up of the perforated mesh upper",  # sentence 1
    "a price tag showing a discount",  # distractor
    "hands lifting the lid off a shoe box",  # sentence 0
    "an athlete breaking the tape at the end of a race",  # sentence 3
)
TRUE_CLIP = (4, 2, 1, 5)


def candidates(captions, prefix="src"):
    return [
        Candidate(clip=Clip(f"{prefix}{i:03d}", float(i), float(i) + 2.0), caption=caption)
        for i, caption in enumerate(captions)
    ]


def test_select_finds_the_clip_of_every_sentence(similarity):
    selection = similarity.select(PRODUCT, Script(SENTENCES), candidates(CAPTIONS), 4)
    assert sorted(selection.indices) == sorted(TRUE_CLIP)
    assert len(selection.scores) == 4
    assert list(selection.scores) == sorted(selection.scores, reverse=True)  # best first


def test_sort_puts_each_clip_under_its_sentence(similarity):
    shuffled = [3, 0, 2, 1]  # TRUE_CLIP in another order
    pool = [candidates(CAPTIONS)[TRUE_CLIP[i]] for i in shuffled]
    ordering = similarity.sort(PRODUCT, Script(SENTENCES), pool)
    assert [shuffled[i] for i in ordering.order] == [0, 1, 2, 3]
    assert all(score > 0.2 for score in ordering.scores)


def test_words_shared_with_captions_are_enough_without_a_model(lexical):
    sentences = ("The box opens.", "Mesh keeps you cool.", "Run in the rain.", "The race ends.")
    selection = lexical.select(PRODUCT, Script(sentences), candidates(CAPTIONS), 4)
    assert sorted(selection.indices) == sorted(TRUE_CLIP)
    ordering = lexical.sort(
        PRODUCT, Script(sentences), [candidates(CAPTIONS)[i] for i in (5, 1, 4, 2)]
    )
    assert list(ordering.order) == [2, 3, 1, 0]


def _measure(backbone, pairs, trials, sentences, distractors, seed):
    """Mean share of true clips selected, of clips sorted to their sentence, and of perfectly
    sorted ads, over random draws of sentences and distractor clips."""
    rng = random.Random(seed)
    if isinstance(backbone, SimilarityBackbone):  # embed every text in one batch, up front
        backbone.scorer.text.similarity([s for s, _ in pairs], [c for _, c in pairs])
    selected = placed = perfect = 0.0
    for _ in range(trials):
        drawn = rng.sample(range(len(pairs)), sentences + distractors)
        script = Script(tuple(pairs[i][0] for i in drawn[:sentences]))
        pool = drawn[:]
        rng.shuffle(pool)
        selection = backbone.select(
            PRODUCT, script, candidates(pairs[i][1] for i in pool), sentences
        )
        truth = {pool.index(i) for i in drawn[:sentences]}
        selected += len(truth & set(selection.indices)) / sentences
        clips = drawn[:sentences]
        rng.shuffle(clips)
        ordering = backbone.sort(PRODUCT, script, candidates(pairs[i][1] for i in clips))
        shown = [clips[i] for i in ordering.order]
        hits = sum(a == b for a, b in zip(shown, drawn[:sentences], strict=True))
        placed += hits / sentences
        perfect += hits == sentences
    return selected / trials, placed / trials, perfect / trials


def test_beats_chance_by_far_on_paraphrased_english(similarity):
    """Ad copy vs shot descriptions that rarely share a word: the sentence encoder's job.
    Measured (100 draws of 4 sentences + 4 distractor clips): similarity selects 0.95 of the
    true clips and sorts 0.98 of the ads perfectly; random 0.50 and 0.04."""
    sim = _measure(similarity, PAIRS_EN, trials=100, sentences=4, distractors=4, seed=7)
    chance = _measure(RandomBackbone(), PAIRS_EN, trials=100, sentences=4, distractors=4, seed=7)
    # Measured over 20 seeds (seed s of the draws = 7..26, the same for both backbones):
    # selected min 0.913, median 0.931, max 0.963; threshold 0.85. Clips placed min 0.990,
    # median 0.995, max 1.0; threshold 0.9. Perfect ads min 0.98, median 0.99, max 1.0;
    # threshold 0.8. Over chance: selected min +0.39, median +0.43, max +0.47, threshold +0.3;
    # placed min +0.69, median +0.75, max +0.79, threshold +0.5.
    assert sim[0] >= 0.85 and sim[1] >= 0.9 and sim[2] >= 0.8
    assert sim[0] > chance[0] + 0.3 and sim[1] > chance[1] + 0.5


def test_beats_chance_on_chinese(similarity):
    """Chinese copy vs Chinese shot descriptions: character n-gram overlap carries it
    (all-MiniLM-L6-v2 embeds Chinese poorly). Measured (200 draws of 3 + 3): 0.825 selected,
    0.925 sorted perfectly; random 0.48 and 0.12."""
    sim = _measure(similarity, PAIRS_ZH, trials=200, sentences=3, distractors=3, seed=3)
    chance = _measure(RandomBackbone(), PAIRS_ZH, trials=200, sentences=3, distractors=3, seed=3)
    # Measured over 20 seeds (seed s of the draws = 3..22, the same for both backbones):
    # selected min 0.812, median 0.825, max 0.850; threshold 0.7. Perfect ads min 0.905,
    # median 0.935, max 0.970; threshold 0.85. Over chance: selected min +0.29, median +0.34,
    # max +0.37, threshold +0.2; perfect min +0.74, median +0.78, max +0.82, threshold +0.5.
    # (With the former 60 draws the perfect share fell to 0.85, the threshold, on one seed.)
    assert sim[0] >= 0.7 and sim[2] >= 0.85
    assert sim[0] > chance[0] + 0.2 and sim[2] > chance[2] + 0.5


def test_overlap_alone_cannot_bridge_paraphrases(lexical):
    """Honest limits: without an encoder, paraphrases that share no words are near chance at
    selection (measured 0.50 vs random 0.46) and only partly sorted (0.35 vs 0.28 of the
    clips under their own sentence)."""
    sim = _measure(lexical, PAIRS_EN, trials=60, sentences=4, distractors=4, seed=7)
    chance = _measure(RandomBackbone(), PAIRS_EN, trials=60, sentences=4, distractors=4, seed=7)
    # Measured over 20 seeds (seed s of the draws = 7..26): placed over chance min +0.07,
    # median +0.15, max +0.25, threshold > 0; selected min 0.50, median 0.53, max 0.59,
    # threshold < 0.75.
    assert sim[1] > chance[1]
    assert sim[0] < 0.75  # if this fails, the overlap got smarter: update the docs


def test_no_script_selects_by_the_product_itself(similarity):
    product = Product(name="Umbrella", selling_points=("Stays dry in heavy rain",))
    selection = similarity.select(product, Script(()), candidates(CAPTIONS), 1)
    assert selection.indices == (1,)  # the rain clip


def test_without_any_evidence_the_original_order_stands(lexical):
    pool = [Candidate(clip=Clip(f"s{i}", 0.0, 1.0)) for i in range(5)]  # no captions
    assert lexical.sort(PRODUCT, Script(SENTENCES), pool).order == (0, 1, 2, 3, 4)
    assert lexical.select(PRODUCT, Script(SENTENCES), pool, 3).indices == (0, 1, 2)
    assert lexical.sort(PRODUCT, Script(()), pool).order == (0, 1, 2, 3, 4)
    assert lexical.sort(PRODUCT, Script(SENTENCES), []).order == ()


@pytest.mark.parametrize(
    ("count", "pool", "message"),
    [
        (2, 0, "empty candidate pool"),
        (7, 6, "cannot select 7 distinct candidates from a pool of 6"),
        (-1, 6, "cannot select -1"),
    ],
)
def test_impossible_selections_are_clear_errors(lexical, count, pool, message):
    with pytest.raises(AutocutError, match=message):
        lexical.select(PRODUCT, Script(SENTENCES), candidates(CAPTIONS[:pool]), count)
    assert lexical.select(PRODUCT, Script(SENTENCES), candidates(CAPTIONS), 0).indices == ()


def test_embeddings_are_batched_and_cached(similarity, monkeypatch):
    backbone = SimilarityBackbone.from_options({})
    backbone.scorer.text.main._encoder = similarity.scorer.text.main.get_encoder()  # loaded
    encoder = backbone.scorer.text.main.get_encoder()
    calls: list[int] = []
    original = encoder.encode_batch
    monkeypatch.setattr(
        encoder, "encode_batch", lambda items: calls.append(len(items)) or original(items)
    )
    pool = candidates(CAPTIONS)
    backbone.select(PRODUCT, Script(SENTENCES), pool, 4)
    # one batch for every sentence and caption, then the brief (its captions are cached)
    assert calls == [len(SENTENCES) + len(CAPTIONS), 1]
    backbone.sort(PRODUCT, Script(SENTENCES), pool[:4])
    assert len(calls) == 2  # nothing new to embed


def test_the_text_encoder_comes_from_the_registry(autocut_fakes):
    backbone = SimilarityBackbone.from_options({"text_encoder": "fake-text", "lexical_weight": 0})
    ordering = backbone.sort(PRODUCT, Script(SENTENCES), candidates(CAPTIONS[:4]))
    assert sorted(ordering.order) == [0, 1, 2, 3]
    assert backbone.scorer.text.main.get_encoder().name == "fake-text"
    with pytest.raises(AutocutError, match="'histogram' is a image encoder; it must take text"):
        SimilarityBackbone.from_options({"text_encoder": "histogram"}).sort(
            PRODUCT, Script(SENTENCES), candidates(CAPTIONS[:4])
        )


def test_a_named_encoder_must_load_but_the_default_may_fall_back(tmp_path, monkeypatch):
    missing = {"text_encoder": "minilm", "text_encoder_options": {"model_dir": str(tmp_path)}}
    with pytest.raises(MissingWeightsError, match=str(tmp_path)):
        SimilarityBackbone.from_options(missing).sort(
            PRODUCT, Script(SENTENCES), candidates(CAPTIONS)
        )
    monkeypatch.setenv("AUTOCUT_DISABLE_PLUGINS", "minilm")  # as if the text extra were absent
    plugins.reset()
    backbone = SimilarityBackbone.from_options({})
    sentences = ("The box opens.", "Mesh keeps you cool.", "Run in the rain.", "The race ends.")
    with pytest.warns(RuntimeWarning, match="word overlap only"):
        ordering = backbone.sort(
            PRODUCT, Script(sentences), [candidates(CAPTIONS)[i] for i in TRUE_CLIP]
        )
    assert ordering.order == (0, 1, 2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, not on every call
        backbone.sort(PRODUCT, Script(sentences), candidates(CAPTIONS[:4]))


def test_settings_are_validated_and_none_means_none():
    backbone = SimilarityBackbone.from_options({"text_encoder": "none", "image_encoder": "None"})
    assert backbone.settings.text_encoder is None and backbone.settings.image_encoder is None
    with pytest.raises(ComponentSettingsError, match="frames_per_clip"):
        SimilarityBackbone.from_options({"frames_per_clip": 0})
    with pytest.raises(ComponentSettingsError, match="Known options: text_encoder"):
        SimilarityBackbone.from_options({"text_encodr": "minilm"})


def test_scores_are_finite_and_shaped(similarity):
    scores = similarity.scorer.scores(list(SENTENCES), candidates([*CAPTIONS, ""]))
    assert scores.shape == (4, 7) and np.isfinite(scores).all()
    assert (scores[:, -1] == 0).all()  # an empty caption fits nothing


def test_registered_through_the_entry_point():
    registration = get_registry().get("backbone", "similarity")
    assert registration.plugin.name == "similarity"
    backbone = get_registry().create("backbone", "similarity", {"text_encoder": "none"})
    assert backbone.capabilities == {"select", "sort", "write_script", "pick_music"}
