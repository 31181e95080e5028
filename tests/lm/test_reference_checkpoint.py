"""A checkpoint trained in the reference's format loads as an ``lm`` artefact and edits an ad.

The stand-in for the released ``MiltonZ/AutoCut_embsft`` (Qwen3-8B) is a tiny RANDOM Qwen3
whose vocabulary has the reference's tokens (24 x 256 video and 16 x 256 audio codes, the
markers) saved as a plain Hugging Face folder, without AutoCut's ``artefact.json``
(:func:`autocut_plugins.lm.tiny.make_tiny_model_folder`). Being untrained, it answers
arbitrarily; what is tested is that it is asked in the reference's prompts, that its answers
come back in the reference's spelling and parse, that a folder of another vocabulary is
refused before its weights are read, and that `autocut run` renders an MP4 with it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from autocut_core.editing.profiles import get_profile
from autocut_core.editing.reference_prompts import human
from autocut_core.errors import InputError
from autocut_core.types import Candidate, Clip, MusicCandidate, Product, Script, Track

PRODUCT = Product(name="保温杯", brand="Hydra", selling_points=("保温12小时", "一键开盖"))
SCRIPT = Script(sentences=("这款保温杯真的好用。", "一键开盖很方便。", "现在下单更优惠。"))
REFERENCE = get_profile("reference")


def _frames(seed: int, count: int, heads: int = 24, size: int = 256) -> str:
    return "".join(
        "<|frame_start|>"
        + "".join(f"<v_{h}_{(seed * 31 + f * 7 + h * 13) % size}>" for h in range(heads))
        + "<|frame_end|>"
        for f in range(count)
    )


def _clips(count: int) -> list[Candidate]:
    return [
        Candidate(Clip(f"src{i}", 2.0 * i, 2.0 * i + 2.0), _frames(i, 2), "") for i in range(count)
    ]


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny reference-vocabulary checkpoint, its BPE trained on the reference prompts."""
    from autocut_plugins.lm.tiny import make_tiny_model_folder

    texts = [
        human(task, PRODUCT, SCRIPT.sentences, _clips(3), 3)
        for task in ("select", "sort", "script", "music")
    ] + ["1,2,3,4,5,6,7,8,9,10,11,12"]
    return make_tiny_model_folder(tmp_path_factory.mktemp("released") / "AutoCut_embsft", texts)


def _backbone(folder: Path, **options):
    from autocut_plugins.lm.backbone import LMBackbone

    return LMBackbone.from_options({"artefact": str(folder), **options})


def test_the_folder_is_laid_out_as_a_released_checkpoint(released):
    from autocut_plugins.lm.vocab import grid_of
    from transformers import AutoTokenizer

    names = {path.name for path in released.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= names
    assert "artefact.json" not in names
    tokenizer = AutoTokenizer.from_pretrained(released)
    assert (
        str(grid_of(tokenizer, "v", "t")) == "24x256"
        and str(grid_of(tokenizer, "a", "t")) == "16x256"
    )


def test_without_a_profile_the_folder_is_refused_saying_what_to_set(released):
    backbone = _backbone(released)
    with pytest.raises(
        InputError, match=r"without AutoCut's artefact\.json.*profile = \"reference\""
    ):
        backbone.select(PRODUCT, SCRIPT, _clips(4), 2)
    assert backbone.diagnose()[0].status == "fail"


def test_it_answers_every_task_in_the_reference_spelling(released):
    backbone = _backbone(released, profile="reference", music_grounding="likelihood")
    assert backbone.diagnose()[0].status == "ok"
    selection = backbone.select(PRODUCT, SCRIPT, _clips(12), 3)
    assert len(set(selection.indices)) == 3 and all(0 <= i < 12 for i in selection.indices)
    assert re.fullmatch(r"[1-9][0-9]*(,[1-9][0-9]*){2}", backbone.last_text)
    assert sorted(i + 1 for i in selection.indices) == [
        int(n) for n in backbone.last_text.split(",")
    ]
    order = backbone.sort(PRODUCT, SCRIPT, _clips(3)).order
    assert sorted(order) == [0, 1, 2]
    assert [int(n) - 1 for n in backbone.last_text.split(",")] == list(order)
    assert len(backbone.write_script(PRODUCT, _clips(3)).sentences) == 3
    tracks = [
        MusicCandidate(Track(f"t{i}", f"/m/t{i}.wav", 30.0),
                       "".join(f"<a_{h}_{(i + h) % 256}>" for h in range(16)))
        for i in range(3)
    ]  # fmt: skip
    assert len(backbone.rank_music(PRODUCT, SCRIPT, _clips(3), tracks)) == 3


def test_it_is_asked_exactly_the_reference_prompt(released, monkeypatch):
    """What reaches the model is the chat template around the reference's human turn, with
    no system turn (the reference trains and infers with an empty one)."""
    from autocut_plugins.lm import chat

    seen = []
    original = chat.prompt_ids
    monkeypatch.setattr(
        chat, "prompt_ids", lambda t, s, u: seen.append((s, u)) or original(t, s, u)
    )
    backbone = _backbone(released, profile="reference")
    backbone.sort(PRODUCT, SCRIPT, _clips(3))
    assert seen == [("", human("sort", PRODUCT, SCRIPT.sentences, _clips(3), 3))]


def test_the_test_sets_profile_is_what_auto_means_for_a_plain_folder(released):
    backbone = _backbone(released)
    backbone.use_data_profile("reference")
    assert backbone.profile().name == "reference"
    assert len(backbone.sort(PRODUCT, SCRIPT, _clips(3)).order) == 3


def test_a_vocabulary_that_does_not_fit_the_profile_is_refused(tiny_base):
    """Checked on the tokenizer alone: a wrong folder fails before its weights load."""
    from autocut_plugins.lm.artefact import load_model_folder
    from autocut_plugins.lm.config import CodeSpec
    from autocut_plugins.lm.vocab import check_profile_vocabulary, extend_tokenizer, modality_tokens
    from transformers import AutoTokenizer

    with pytest.raises(InputError, match=r"lacks 10 of the 'reference' profile's markers"):
        load_model_folder(tiny_base, REFERENCE)
    small = AutoTokenizer.from_pretrained(tiny_base)
    extend_tokenizer(
        small,
        modality_tokens(CodeSpec(heads=2, codebook_size=8), CodeSpec(heads=2, codebook_size=8)),
    )
    with pytest.raises(InputError, match=r"video tokens are a 2 x 8 grid, but the 'reference' "
                       r"profile's video tokenizers write 24 x 256 or 8 x 256"):  # fmt: skip
        check_profile_vocabulary(small, REFERENCE, "ckpt")
    holed = AutoTokenizer.from_pretrained(tiny_base)
    tokens = modality_tokens(
        CodeSpec(heads=24, codebook_size=256), CodeSpec(heads=16, codebook_size=256)
    )
    extend_tokenizer(holed, [t for t in tokens if t != "<v_3_200>"])
    with pytest.raises(
        InputError,
        match=r"not a complete 24 x 256 grid: head 3 lacks 1 code\(s\), e\.g\. <v_3_200>",
    ):
        check_profile_vocabulary(holed, REFERENCE, "ckpt")


def _fit_tokenizer(name: str, vectors, folder: Path, encoder: str, heads: int) -> Path:
    """An RQ-VAE of the reference's grid (``heads`` x 256) on jittered copies of the few
    vectors tiny footage has: narrow, two epochs, no k-means (about 15 s for 24 heads)."""
    import numpy as np

    from autocut_core.plugins import get_registry

    rng = np.random.default_rng(0)
    copies = np.repeat(vectors, max(2, 128 // len(vectors)), axis=0)
    jittered = copies + 0.05 * copies.std() * rng.standard_normal(copies.shape)
    tokenizer = get_registry().create("tokenizer", name, {
        "heads": heads, "codebook_size": 256, "codebook_dim": 8, "encoder_hidden": [16],
        "decoder_hidden": [16], "epochs": 2, "batch_size": 64, "preset": "autocut",
        "kmeans_init": False,
    })  # fmt: skip
    tokenizer.fit(jittered.astype(np.float32), vectors, folder, encoder=encoder)
    return folder


@pytest.mark.slow  # indexing, two 24/16-head tokenizers and a real render: about a minute
def test_autocut_run_renders_an_mp4_with_the_released_folder(released, cli, tmp_path, monkeypatch,
                                                             autocut_plugin):  # fmt: skip
    """`autocut run` (script-driven) on synthetic footage, the reference checkpoint deciding.

    The tokenizers are barely trained on the reference's grids and the model is random, so
    only the shapes matter: the run must go from footage to an MP4 with audio and video.
    """
    from autocut_plugins.lm import backbone as lm_backbone

    from autocut_core.materials.database import MaterialDB
    from autocut_core.materials.indexing import index, options_from_settings
    from autocut_core.plugins import get_registry
    from autocut_core.settings import load_settings
    from autocut_core.testing import samples

    monkeypatch.chdir(tmp_path)
    footage, music = tmp_path / "footage", tmp_path / "music"
    footage.mkdir(), music.mkdir()
    samples.make_scene_video(footage / "a.mp4", samples.scenes_for([2, 2, 2]), size=(160, 120))
    samples.make_scene_video(footage / "b.mp4", samples.scenes_for([3, 2]), size=(160, 120))
    samples.make_music(music / "calm.wav", 8, "calm")
    samples.make_music(music / "energetic.wav", 8, "energetic")
    (tmp_path / "product.toml").write_text('name = "保温杯"\nbrand = "Hydra"\n', encoding="utf-8")
    (tmp_path / "script.txt").write_text("\n".join(SCRIPT.sentences) + "\n", encoding="utf-8")
    settings, db = load_settings(None), tmp_path / "db"
    index([footage], [music], db, options_from_settings(settings))
    with MaterialDB(db, write=False) as database:
        _, frames = database.vectors(settings.encoder, "frame")
        _, tracks = database.vectors(settings.audio_encoder, "track")
    video = _fit_tokenizer("rqvae", frames, tmp_path / "video-tok", settings.encoder, 24)
    audio = _fit_tokenizer(
        "rqvae-audio", tracks, tmp_path / "audio-tok", settings.audio_encoder, 16
    )
    if "lm" not in get_registry().names("backbone"):
        autocut_plugin(lm_backbone, name="lm-reference")
    out = tmp_path / "ad.mp4"
    code, stdout, err = cli(
        "run", "--product", str(tmp_path / "product.toml"), "--footage", str(footage),
        "--music", str(music), "--script", str(tmp_path / "script.txt"),
        "--db", str(db), "-o", str(out), "--json", "--no-voice-over",
        "--backbone", "lm", "--backbone-opt", f"artefact={released}",
        "--backbone-opt", "profile=reference", "--backbone-opt", "music_grounding=likelihood",
        "--tokenizer-opt", f"checkpoint={video}", "--audio-tokenizer-opt", f"checkpoint={audio}",
    )  # fmt: skip
    assert code == 0, err
    plan = json.loads(stdout)["plan"]
    assert [slot["sentence"] for slot in plan["slots"]] == list(SCRIPT.sentences)
    assert len({slot["clip_id"] for slot in plan["slots"]}) == 3
    assert Path(plan["music"]["path"]).parent == music
    probe = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", str(out)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert sorted(probe.stdout.split()) == ["audio", "video"]
