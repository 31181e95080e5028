"""The demo world: plans fixed by the seed, sentences that say what is shown, concepts the
pretrained encoder tells apart, and music that belongs to its product line and its footage."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from autocut_core.testing.synthetic_ads import (
    BASIC_WORLD,
    DEMO_CATEGORIES,
    DEMO_CONCEPTS,
    DEMO_WORLD,
    IMAGE_FOLDER,
    MOOD_BPM,
    TUNES,
    ClipPlan,
    Tune,
    plan_corpus,
    plan_demo_world,
    product_tune,
    write_corpus,
    write_tune,
)

needs_photos = pytest.mark.skipif(
    not IMAGE_FOLDER.is_dir(), reason="the opencv-doc photos are not installed (bootstrap.sh)"
)


def test_demo_plans_are_fixed_by_the_seed():
    assert plan_demo_world(30, seed=4) == plan_demo_world(30, seed=4)
    assert plan_demo_world(30, seed=4) != plan_demo_world(30, seed=5)
    # the basic world stays the default, and its plans carry no tunes
    assert plan_corpus(8, seed=3) == plan_corpus(8, seed=3, world=BASIC_WORLD)
    assert {plan.tune for plan in plan_corpus(8, seed=3)} == {None}


def test_every_sentence_names_what_its_shot_shows():
    plans = plan_demo_world(240, seed=0)
    categories = {category.key: category for category in DEMO_CATEGORIES}
    shown = Counter()
    for plan in plans:
        category = categories[plan.category]
        assert plan.lang == "en" and plan.kind == "good" and 3 <= len(plan.clips) <= 4
        assert len({clip.concept for clip in plan.clips}) == len(plan.clips)
        for clip in plan.clips:
            concept = DEMO_CONCEPTS[clip.concept]
            assert clip.concept in category.concepts
            assert clip.image in concept.images
            assert concept.en.lower() in clip.sentence.lower()
            # one sentence per clip: the builder cuts at an inner sentence end
            assert not any(mark in clip.sentence[:-1] for mark in (". ", "! ", "? ", "; "))
            assert clip.framing == "fit" and clip.zoom == category.zoom
            shown[clip.concept] += 1
    assert set(shown) == set(DEMO_CONCEPTS)  # every concept is used ...
    # Measured over 20 seeds (seed s of the plans = 0..19): the rarest concept is shown min
    # 15, median 18, max 20 times (this seed 19); threshold 15. The floor is what the demo
    # needs, not a margin: a planner that shows a concept less often should fail here.
    assert min(shown.values()) >= 15  # ... often enough to be learnt
    assert {clip.flip for plan in plans for clip in plan.clips} == {True, False}
    assert {plan.ad_id for plan in plans} == {f"ad{n:03d}" for n in range(1, 241)}


def test_music_follows_the_product_line_and_the_mood():
    plans = plan_demo_world(120, seed=2)
    for plan in plans:
        category = next(c for c in DEMO_CATEGORIES if c.key == plan.category)
        line = [name for name, _ in category.products].index(plan.product.name)
        expected = product_tune(category, line)
        assert plan.tune is not None and plan.tune.mood == category.mood == plan.mood
        assert plan.tune.bpm == expected.bpm
        assert plan.tune.root == pytest.approx(expected.root, rel=0.004)
    # no two ads share a music file, even with the same product line and length
    assert len({plan.tune for plan in plans}) == len(plans)
    assert set(MOOD_BPM) == set(TUNES) == {category.mood for category in DEMO_CATEGORIES}


def test_a_tune_is_the_same_bytes_every_time(tmp_path):
    tune = Tune("playful", 1.0, 100.0)
    first = write_tune(tmp_path / "a.ogg", 2.0, tune)
    second = write_tune(tmp_path / "b.ogg", 2.0, tune)
    assert (
        hashlib.sha256(first.read_bytes()).digest() == hashlib.sha256(second.read_bytes()).digest()
    )


def _frames_by_concept(video: Path, ad) -> tuple[list[np.ndarray], list[str]]:
    """The 1 fps frames of a written ad, each with the concept on screen (shot edges left out)."""
    from autocut_core.media.decode import iter_frames

    frames, labels = [], []
    for seconds, frame in iter_frames(video, fps=1.0, max_side=256):
        concept = ad.concept_at(seconds)
        if concept is not None and concept == ad.concept_at(seconds + 0.4) == ad.concept_at(
            max(0.0, seconds - 0.4)
        ):
            frames.append(frame)
            labels.append(concept)
    return frames, labels


@needs_photos
@pytest.mark.slow
def test_efficientnet_tells_every_concept_apart(tmp_path):
    """Four takes of every concept (the other photo of a pair, mirrored or not, four camera
    moves): each frame is nearest to its own concept's mean over the other three takes."""
    from autocut_core.plugins import get_registry

    base = plan_demo_world(1, seed=0)[0]
    moves = (("zoom_in", False), ("pan_left", True), ("zoom_out", True), ("pan_right", False))
    takes = []
    for number, (motion, flip) in enumerate(moves):
        clips = tuple(
            ClipPlan(
                key,
                concept.en,
                motion,
                image=concept.images[number % len(concept.images)],
                flip=flip,
                zoom=0.3,
                framing="fit",
            )
            for key, concept in DEMO_CONCEPTS.items()
        )
        takes.append(replace(base, ad_id=f"take{number}", clips=clips, music=False, tune=None))
    corpus = write_corpus(takes, tmp_path, size=(144, 256), fps=2, voice=None)
    encoder = get_registry().create("encoder", "efficientnet", {})
    vectors, labels, take_of = [], [], []
    for number, ad in enumerate(corpus.ads):
        frames, concepts = _frames_by_concept(ad.video, ad)
        vectors.append(encoder.encode(frames))
        labels += concepts
        take_of += [number] * len(concepts)
    matrix = np.concatenate(vectors)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    labels_array, takes_array = np.array(labels), np.array(take_of)
    names = sorted(DEMO_CONCEPTS)
    assert set(labels) == set(names)
    right, wrong = 0, Counter()
    for number in range(len(moves)):
        others = takes_array != number
        centres = np.stack([matrix[others & (labels_array == n)].mean(axis=0) for n in names])
        for vector, label in zip(matrix[~others], labels_array[~others], strict=True):
            guess = names[int(np.argmax(centres @ vector))]
            right += guess == label
            wrong[(label, guess)] += guess != label
    accuracy = right / len(labels)
    assert accuracy >= 0.9, +wrong


@pytest.mark.slow
def test_product_lines_and_moods_are_told_apart_by_their_sound(tmp_path):
    """logmel vectors of two renditions (detuned, other length) of every product line's tune:
    each one's nearest other track is the same line, always of the same mood."""
    from autocut_core.media import decode_audio
    from autocut_core.plugins import get_registry

    tracks, lines = [], []
    for category in DEMO_CATEGORIES:
        for line in range(3):
            tune = product_tune(category, line)
            for take, (detune, seconds) in enumerate(((0.998, 6.0), (1.002, 8.0))):
                path = tmp_path / f"{category.key}-{line}-{take}.ogg"
                write_tune(path, seconds, replace(tune, root=tune.root * detune))
                tracks.append(decode_audio(path, sample_rate=22050))
                lines.append((category.mood, line))
    vectors = get_registry().create("encoder", "logmel", {}).encode(tracks)
    vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    nearest = similarity.argmax(axis=1)
    same_line = [lines[i] == lines[j] for i, j in enumerate(nearest)]
    same_mood = [lines[i][0] == lines[j][0] for i, j in enumerate(nearest)]
    assert np.mean(same_line) >= 0.9 and all(same_mood)


@needs_photos
@pytest.mark.slow
def test_the_music_moves_like_the_footage(tmp_path):
    """Measured with the ``similarity`` backbone's own instruments (two ads per category):
    the more a category's footage moves, the more energetic its music; sports' music most
    of all, and the three most energetic moods have the three busiest kinds of footage."""
    from autocut_plugins.similarity.footage import look_at_clips
    from autocut_plugins.similarity.mood import footage_mood, listen, track_moods
    from autocut_plugins.similarity.settings import SimilaritySettings

    from autocut_core.types import Candidate, Clip

    settings = SimilaritySettings()
    plans = plan_demo_world(2 * len(DEMO_CATEGORIES), seed=1)
    corpus = write_corpus(plans, tmp_path, size=(144, 256), fps=8, voice=None)
    footage, sounds, categories = [], [], []
    for ad in corpus.ads:
        clips = [
            Candidate(Clip("ad", start, start + length), source_path=str(ad.video))
            for start, length in _starts(ad.shots)
        ]
        looks = look_at_clips(clips, settings.frames_per_clip, settings.analysis_fps,
                              settings.max_side)  # fmt: skip
        footage.append(footage_mood(looks).energy)
        sounds.append(listen(str(ad.bgm), 30.0))
        categories.append(ad.plan.category)
    music = [mood.energy for mood in track_moods(sounds)]
    by_category = {
        key: (np.mean([f for f, c in zip(footage, categories, strict=True) if c == key]),
              np.mean([m for m, c in zip(music, categories, strict=True) if c == key]))
        for key in dict.fromkeys(categories)
    }  # fmt: skip
    pairs = np.array(list(by_category.values()))
    footage_rank, music_rank = pairs[:, 0].argsort().argsort(), pairs[:, 1].argsort().argsort()
    spearman = np.corrcoef(footage_rank, music_rank)[0, 1]
    loudest = max(by_category, key=lambda key: by_category[key][1])
    busiest = sorted(by_category, key=lambda key: -by_category[key][0])[:3]
    # Measured over 20 seeds (seed s of the plans = 1..20): spearman min 0.771, median 0.914,
    # max 1.0, threshold 0.7 (this seed 0.829); the loudest music was sports' on 20 of 20;
    # the three busiest footages were sports, games and snacks (in some order) on 20 of 20.
    # Not asserted: that sports' footage is the busiest. It was on 13 of 20 seeds (its lead
    # over the next min -0.36, median +0.05, max +0.35): games' footage moves about as much
    # (over 60 other ads, mean energy 0.47 for games, 0.42 for sports).
    assert spearman >= 0.7 and loudest == "sports", by_category
    assert set(busiest) == {"sports", "games", "snacks"}, by_category


def _starts(shots: tuple[float, ...]) -> list[tuple[float, float]]:
    start, spans = 0.0, []
    for length in shots:
        spans.append((start, length))
        start += length
    return spans


def test_the_demo_world_is_a_world():
    assert DEMO_WORLD.varied and len(DEMO_WORLD.categories) == 6
    assert len(DEMO_CONCEPTS) == 31
    images = [image for concept in DEMO_CONCEPTS.values() for image in concept.images]
    assert len(images) == len(set(images))  # no photo stands for two things
