"""``similarity`` in a joint text-image space: sentences vs the clips' frames.

No CLIP weights exist offline, so this runs the smallest open_clip architecture with random
weights (``random_init``), as the clip plugin's own tests do: the same code path a real
checkpoint takes (``image_encoder_options = {checkpoint = "..."}``), without the semantics.
"""

from __future__ import annotations

import numpy as np
import pytest
from autocut_plugins.clip import TINY_MODEL
from autocut_plugins.similarity import SimilarityBackbone

from autocut_core.errors import InputError
from autocut_core.testing import samples
from autocut_core.types import Candidate, Clip, Product, Script

TINY_CLIP = {"model": TINY_MODEL, "random_init": True}
PRODUCT = Product(name="Trail Runner 2")


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("frames")
    colourful = samples.make_scene_video(
        folder / "colourful.mp4", samples.scenes_for([2.0, 2.0]), size=(160, 120), audio=False
    ).path
    dark = samples.make_scene_video(
        folder / "dark.mp4",
        [samples.Scene(3.0, samples.solid_color("0x101828"))],
        size=(160, 120),
        audio=False,
    ).path
    return [
        Candidate(
            Clip("colour", 0.0, 2.0), caption="a colourful test card", source_path=str(colourful)
        ),
        Candidate(Clip("colour", 2.0, 4.0), caption="", source_path=str(colourful)),
        Candidate(Clip("dark", 0.0, 3.0), caption="", source_path=str(dark)),
        Candidate(Clip("dark", 0.0, 3.0), caption="", source_path=str(dark)),  # the same shot again
    ]


@pytest.mark.slow
def test_sentences_meet_frames_in_the_joint_space(clips):
    backbone = SimilarityBackbone.from_options(
        {"text_encoder": "none", "image_encoder": "clip", "image_encoder_options": TINY_CLIP}
    )
    sentences = ["a colourful test card", "darkness", "the end"]
    scores = backbone.scorer.scores(sentences, clips)
    assert scores.shape == (3, 4) and np.isfinite(scores).all()
    assert np.allclose(scores[:, 2], scores[:, 3])  # same pixels, same evidence
    assert not np.allclose(scores[:, 1], scores[:, 2])  # different pixels, different evidence
    selection = backbone.select(PRODUCT, Script(tuple(sentences)), clips, 3)
    assert len(set(selection.indices)) == 3
    assert sorted(backbone.sort(PRODUCT, Script(tuple(sentences)), clips).order) == [0, 1, 2, 3]
    # The named text tower is the same model's: same scores as the image encoder's own.
    tower = SimilarityBackbone.from_options(
        {
            "text_encoder": "none",
            "image_encoder": "clip",
            "image_text_encoder": "clip-text",
            "image_encoder_options": TINY_CLIP,
            "visual_weight": 1.0,
        }
    )
    only_frames = SimilarityBackbone.from_options(
        {
            "text_encoder": "none",
            "image_encoder": "clip",
            "image_encoder_options": TINY_CLIP,
            "visual_weight": 1.0,
        }
    )
    assert np.allclose(
        tower.scorer.scores(sentences, clips),
        only_frames.scorer.scores(sentences, clips),
        atol=1e-5,
    )


@pytest.mark.slow
def test_frame_matching_needs_footage_and_a_text_tower(clips):
    backbone = SimilarityBackbone.from_options(
        {"text_encoder": "none", "image_encoder": "clip", "image_encoder_options": TINY_CLIP}
    )
    unfilmed = [Candidate(Clip("abc", 0.0, 2.0), caption="a shoe")]
    with pytest.raises(InputError, match=r"clip abc0000002 has no footage file"):
        backbone.select(PRODUCT, Script(("a shoe",)), unfilmed, 1)
    no_tower = SimilarityBackbone.from_options(
        {"text_encoder": "none", "image_encoder": "histogram"}
    )
    with pytest.raises(InputError, match="image encoder 'histogram' has no text tower"):
        no_tower.select(PRODUCT, Script(("a shoe",)), clips, 1)
