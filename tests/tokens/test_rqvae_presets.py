"""The ``rqvae`` presets: the reference's module layout, the ``autocut`` variant, and
checkpoints that record (or, written before presets existed, lack) their preset."""

from __future__ import annotations

import itertools
import json
import shutil

import numpy as np
import pytest

from autocut_core.errors import SettingsError

from .conftest import clustered

pytest.importorskip("vector_quantize_pytorch")

from autocut_plugins.rqvae import RQVAEAudioTokenizer, RQVAETokenizer

#: The shipped demo model's video tokenizer, trained in the `autocut` layout (its recipe pins
#: that preset, and its tokenizer.json records it).
DEMO_TOKENIZER = "examples/demo/model/tokenizers/video"

SMALL = {
    "heads": 2,
    "codebook_size": 8,
    "codebook_dim": 8,
    "encoder_hidden": [32],
    "decoder_hidden": [32],
    "batch_size": 128,
    "epochs": 2,
    "usage_sample": 500,
}


def _layers(mlp) -> list[tuple[str, tuple[int, ...]]]:
    """Each layer of a Sequential as (type, its sizes): what the reference's MLP consists of."""
    described = []
    for layer in mlp:
        sizes = tuple(
            getattr(layer, name)
            for name in ("in_features", "out_features", "num_features")
            if hasattr(layer, name)
        )
        described.append((type(layer).__name__, sizes))
    return described


def _reference_mlp(sizes: list[int]) -> list[tuple[str, tuple[int, ...]]]:
    """The reference's ``MLP(input_dim, output_dim, mlp_size)``: per hidden width a Linear,
    a GELU and a BatchNorm1d, then a Linear to the output (emb_vqvae/modeling/vq_vae.py)."""
    layers = []
    for inner, outer in itertools.pairwise(sizes[:-1]):
        layers += [("Linear", (inner, outer)), ("GELU", ()), ("BatchNorm1d", (outer,))]
    return [*layers, ("Linear", (sizes[-2], sizes[-1]))]


def _model(tokenizer):
    from autocut_plugins import rqvae_training

    return rqvae_training.build(tokenizer.architecture(), seed=0)


def test_the_default_preset_is_the_reference_with_its_module_layout():
    video, audio = RQVAETokenizer(), RQVAEAudioTokenizer()
    assert video.options.preset == audio.options.preset == "reference"
    model = _model(video)
    assert _layers(model.encoder.net) == _reference_mlp([128, 512, 512, 128])
    assert _layers(model.decoder.net) == _reference_mlp([128, 512, 512, 128])
    # The reference builds its decoder from decoder_mlp_size reversed: Table 3's audio
    # decoder [512, 1024] is 256 -> 1024 -> 512 -> 2048 there.
    audio_model = _model(audio)
    assert _layers(audio_model.encoder.net) == _reference_mlp([2048, 1024, 512, 256])
    assert _layers(audio_model.decoder.net) == _reference_mlp([256, 1024, 512, 2048])
    # Cosine-similarity lookup in all 8 residual codebooks of 256 codes, no standardisation:
    # the state dict carries the reference's keys (encoder.net.0.weight, ...) and nothing else.
    assert len(model.quantizer.layers) == 8
    assert all(layer.use_cosine_sim for layer in model.quantizer.layers)
    assert all(layer.codebook_size == 256 for layer in model.quantizer.layers)
    keys = {key for key in model.state_dict() if not key.startswith("quantizer.")}
    assert keys == {
        f"{part}.net.{index}.{name}"
        for part in ("encoder", "decoder")
        for index, names in ((0, ("weight", "bias")), (3, ("weight", "bias")), (6, ("weight", "bias")),
                             *((i, ("weight", "bias", "running_mean", "running_var",
                                    "num_batches_tracked")) for i in (2, 5)))
        for name in names
    }  # fmt: skip


def test_the_autocut_preset_keeps_the_earlier_design():
    model = _model(RQVAETokenizer.from_options({"preset": "autocut"}))
    assert [type(layer).__name__ for layer in model.encoder] == ["Sequential", "LayerNorm"]
    assert [type(layer).__name__ for layer in model.encoder[0]] == [
        "Linear", "ReLU", "Linear", "ReLU", "Linear",
    ]  # fmt: skip
    assert not any(layer.use_cosine_sim for layer in model.quantizer.layers)
    assert {"input_mean", "input_scale"} <= set(model.state_dict())


@pytest.fixture(scope="module")
def data():
    vectors = clustered(1200, dim=16, clusters=20, noise=0.3, seed=2)
    return vectors[:1000], vectors[1000:]


@pytest.mark.parametrize(
    ("preset", "betas", "standardised"),
    [("reference", [0.9, 0.98], False), ("autocut", [0.9, 0.999], True)],
)
def test_each_preset_trains_with_its_betas_and_records_itself(
    preset, betas, standardised, data, tmp_path
):
    from safetensors import safe_open
    from safetensors.numpy import load_file

    tokenizer = RQVAETokenizer.from_options({**SMALL, "preset": preset})
    report = tokenizer.fit(*data, tmp_path, encoder="synthetic")
    config = json.loads((tmp_path / "tokenizer.json").read_text())
    assert config["preset"] == report["preset"] == preset
    with safe_open(str(tmp_path / "resume.safetensors"), framework="pt") as handle:
        state = json.loads(handle.metadata()["state"])
    assert state["param_groups"][0]["betas"] == betas
    weights = load_file(str(tmp_path / "tokenizer.safetensors"))
    assert ("input_mean" in weights) is standardised
    if standardised:  # the input standardisation travels with the weights
        assert np.allclose(weights["input_mean"], data[0].mean(axis=0), atol=1e-5)
        centred_rms = np.sqrt(np.mean((data[0] - data[0].mean(axis=0)) ** 2))
        assert float(weights["input_scale"]) == pytest.approx(centred_rms, rel=1e-4)
    loaded = RQVAETokenizer.from_options({"checkpoint": str(tmp_path)})
    assert loaded.architecture()["preset"] == preset
    assert np.array_equal(loaded.encode_batch(data[1]), tokenizer.encode_batch(data[1]))


def test_a_checkpoint_without_a_preset_loads_as_the_autocut_layout(data, tmp_path):
    folder = tmp_path / "old"
    trained = RQVAETokenizer.from_options({**SMALL, "preset": "autocut"})
    trained.fit(*data, folder, encoder="synthetic")
    config = json.loads((folder / "tokenizer.json").read_text())
    del config["preset"]  # as every tokenizer.json written before presets were recorded
    (folder / "tokenizer.json").write_text(json.dumps(config))
    loaded = RQVAETokenizer.from_options({"checkpoint": str(folder)})
    assert loaded.architecture()["preset"] == "autocut"
    assert np.array_equal(loaded.encode_batch(data[1]), trained.encode_batch(data[1]))
    with pytest.raises(SettingsError, match=r"preset = reference \(the checkpoint has autocut\)"):
        RQVAETokenizer.from_options({"checkpoint": str(folder), "preset": "reference"}).config()


def test_the_shipped_demo_tokenizer_still_loads_and_encodes(tmp_path):
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_TOKENIZER, folder)
    assert json.loads((folder / "tokenizer.json").read_text())["preset"] == "autocut"
    tokenizer = RQVAETokenizer.from_options({"checkpoint": str(folder)})
    assert tokenizer.trained_on() == ("efficientnet", 1280)
    vectors = np.random.default_rng(0).standard_normal((4, 1280)).astype(np.float32)
    codes = tokenizer.encode_batch(np.abs(vectors))  # efficientnet features are >= 0
    assert codes.shape == (4, tokenizer.heads)
    assert tokenizer.decode_batch(codes).shape == (4, 1280)
