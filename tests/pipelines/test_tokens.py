"""Frame tokens for token-reading backbones: the clip's 1 fps frames, thinned to what the
model was trained with (``max_frames_per_clip``), as the dataset builder thins them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from autocut_core.components import Backbone, Tokenizer
from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import index, options_from_settings
from autocut_core.pipelines.gather import Material, add_tokens
from autocut_core.settings import load_settings
from autocut_core.testing import samples
from autocut_core.types import Candidate


class _Reader(Backbone):
    """A backbone that reads tokens, trained on corpora of at most ``limit`` frames a clip."""

    name = "token-reader"
    needs_tokens = True

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    @property
    def max_frames_per_clip(self) -> int:
        return self.limit


class _Codes(Tokenizer):
    """Stands in for a trained RQ-VAE: every vector becomes the codes (0, 1)."""

    name = "fixed-codes"

    heads, codebook_size = 2, 2

    def __init__(self, encoder: str, dim: int):
        super().__init__()
        self.encoder, self.vector_dim = encoder, dim

    @property
    def dim(self) -> int:
        return self.vector_dim

    def trained_on(self) -> tuple[str, int]:
        return self.encoder, self.vector_dim

    def encode_batch(self, vectors: np.ndarray) -> np.ndarray:
        return np.tile(np.array([0, 1]), (len(vectors), 1))

    def decode_batch(self, codes: np.ndarray) -> np.ndarray:
        return np.zeros((len(codes), self.vector_dim), dtype=np.float32)


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("tokens")
    samples.make_scene_video(root / "a.mp4", samples.scenes_for([6]), size=(160, 120))
    settings = load_settings(None)
    index([root / "a.mp4"], [], root / "db", options_from_settings(settings))
    with MaterialDB(root / "db", write=False) as db:
        source = db.sources("video")[0]
        _, vectors = db.vectors(settings.encoder, "frame")
        yield Material(db, [source], []), settings.encoder, vectors.shape[1]


def _frames_per_clip(tokens: Sequence[Candidate]) -> list[int]:
    return [candidate.tokens.count("<|frame_start|>") for candidate in tokens]


@pytest.mark.parametrize(("limit", "expected"), [(0, 6), (1, 1), (3, 3)])
def test_a_clip_gets_at_most_the_frames_its_backbone_was_trained_with(material, limit, expected):
    material_, encoder, dim = material
    clip = material_.db.clips(material_.videos[0].source_id)[0]
    candidates = [Candidate(clip=clip)]
    tokens, _ = add_tokens(material_, _Reader(limit), candidates, [], _Codes(encoder, dim), None)
    assert _frames_per_clip(tokens) == [expected]
    assert tokens[0].tokens.startswith("<|frame_start|><v_0_0><v_1_1>")
