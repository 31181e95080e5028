"""The ``lm`` backbone end to end: a tiny Qwen3 trained here (LoRA) answers the four tasks.

The SFT corpus is written with the real prompts (:func:`autocut_core.editing.prompts.build_prompt`)
and answers (:func:`~autocut_core.editing.prompts.format_answer`); its music answer is always the
same two codes, so the trained model writes them, and grounding must then pick the library
track that has exactly those codes. Unconstrained decoding is driven to garbage, partial and
over-long answers by a logits bias, and the strict parser must say precisely what is wrong.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from autocut_core.editing.prompts import AnswerParseError, build_prompt, format_answer
from autocut_core.errors import AutocutError, InputError, MissingWeightsError
from autocut_core.types import Candidate, Clip, MusicCandidate, Product, Script, Track

from .conftest import CODES, HEADS, train_config, video_tokens, write_jsonl

ECHO = "<a_0_3><a_1_5>"  # the music every training ad has
PRODUCT = Product(name="Aero Bottle", brand="Hydra", selling_points=("cold 24 hours",))
SCRIPT = Script(sentences=("Meet the Aero bottle.", "It keeps drinks cold.", "No leaks."))
LINES = ["Meet the {p}.", "It has {f}.", "Look how easy it is.", "Order today.", "Built to last."]


def _clips(rng: random.Random, texts: list[str], prefix: str) -> list[Candidate]:
    return [
        Candidate(Clip(f"{prefix}{i}", 0.0, 2.0, text), video_tokens(rng, 2), text)
        for i, text in enumerate(texts)
    ]


def _records(rng: random.Random, number: int) -> list[dict]:
    """The four tasks of one made-up ad, exactly as the dataset builder writes them."""
    name, feature = rng.choice(["kettle", "lamp", "watch"]), rng.choice(["a timer", "warm light"])
    product = Product(name=name, selling_points=(feature,))
    lines = [line.format(p=name, f=feature) for line in rng.sample(LINES, 3)]
    own = _clips(rng, lines, f"ad{number}-")
    others = _clips(rng, rng.sample(LINES, 3), f"other{number}-")
    pool = own + others
    rng.shuffle(pool)
    shuffled = own[:]
    rng.shuffle(shuffled)
    answers = {
        "select": (pool, sorted(pool.index(c) for c in own)),
        "sort": (shuffled, [shuffled.index(c) for c in own]),
        "script": (own, lines),
        "music": (own, ECHO),
    }
    records = []
    for task, (candidates, answer) in answers.items():
        system, human = build_prompt(task, product, lines, candidates, "en", count=3)
        records.append({
            "conversations": [{"from": "human", "value": human},
                              {"from": "gpt", "value": format_answer(task, answer)}],
            "system": system, "task": task, "lang": "en", "ad_id": f"ad{number}", "meta": {},
        })  # fmt: skip
    return records


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path) -> Path:
    """A LoRA SFT run of the tiny base on 30 ads x 4 tasks, 2 epochs (~6 s)."""
    from autocut_plugins.lm.trainer import train

    root = tmp_path_factory.mktemp("generation")
    rng = random.Random(3)
    data = write_jsonl(root / "sft.jsonl", [r for i in range(30) for r in _records(rng, i)])
    summary = train(train_config("sft", root / "run", data, base=str(tiny_base), mode="lora",
                                 epochs=2, cutoff=1024, lr=1e-2))  # fmt: skip
    assert summary["status"] == "finished"
    return root / "run"


def _backbone(run: Path, **options):
    from autocut_plugins.lm.backbone import LMBackbone

    return LMBackbone.from_options({"artefact": str(run), **options})


def _candidates(count: int, seed: int = 0) -> list[Candidate]:
    rng = random.Random(seed)
    return _clips(rng, [f"Shot {i} of the bottle." for i in range(count)], "clip")


def _tracks(codes: list[tuple[int, int]]) -> list[MusicCandidate]:
    return [
        MusicCandidate(Track(f"t{i}", f"/music/t{i}.ogg", 30.0), f"<a_0_{a}><a_1_{b}>")
        for i, (a, b) in enumerate(codes)
    ]


# -- the four tasks ---------------------------------------------------------------------------


def test_select_returns_count_distinct_indices_with_scores(trained):
    backbone = _backbone(trained)
    candidates = _candidates(12)
    selection = backbone.select(PRODUCT, SCRIPT, candidates, 3)
    assert len(set(selection.indices)) == 3 and all(0 <= i < 12 for i in selection.indices)
    assert len(selection.scores) == 3 and list(selection.scores) == sorted(selection.scores)[::-1]
    assert all(score <= 1e-6 for score in selection.scores)  # log-probabilities, best first
    assert json.loads(backbone.last_text) == sorted(selection.indices)
    assert backbone.select(PRODUCT, SCRIPT, candidates, 0).indices == ()
    with pytest.raises(
        AutocutError, match="cannot select 13 distinct candidates from a pool of 12"
    ):
        backbone.select(PRODUCT, SCRIPT, candidates, 13)


def test_sort_returns_a_permutation(trained):
    ordering = _backbone(trained).sort(PRODUCT, SCRIPT, _candidates(3))
    assert sorted(ordering.order) == [0, 1, 2] and len(ordering.scores) == 3


def test_write_script_returns_one_line_per_clip(trained):
    backbone = _backbone(trained)
    script = backbone.write_script(PRODUCT, _candidates(4))
    assert len(script) == 4 and all(line.strip() == line and line for line in script.sentences)
    assert script.language == "en" and backbone.last_text == "\n".join(script.sentences)


@pytest.mark.slow  # training the audio tokenizer (and importing its library) takes ~5 s
def test_music_grounding_picks_the_track_whose_codes_were_written(trained, tmp_path):
    """Vector grounding: the written codes decode to the same vector as that track's codes."""
    from autocut_core.plugins import get_registry

    tokenizer = get_registry().create("tokenizer", "rqvae-audio", {
        "heads": HEADS, "codebook_size": CODES, "codebook_dim": 8, "encoder_hidden": [32],
        "decoder_hidden": [32], "epochs": 5, "batch_size": 64,
    })  # fmt: skip
    vectors = np.random.default_rng(0).standard_normal((256, 16)).astype(np.float32)
    tokenizer.fit(vectors[:200], vectors[200:], tmp_path / "audio-tok", encoder="logmel")
    backbone = _backbone(trained, audio_tokenizer_checkpoint=str(tmp_path / "audio-tok"))
    assert backbone.music_method() == "vector"
    tracks = _tracks([(1, 2), (3, 5), (6, 0), (3, 4)])
    clips = _candidates(3)
    choice = backbone.pick_music(PRODUCT, SCRIPT, clips, tracks)
    assert choice.tokens == ECHO  # the trained model writes its music...
    assert choice.track_id == "t1" and choice.score == pytest.approx(1.0, abs=1e-5)  # ...found
    scores = backbone.rank_music(PRODUCT, SCRIPT, clips, tracks)
    assert len(scores) == 4 and max(scores) == scores[1] and all(s < 1 - 1e-4 for s in
                                                                  scores[:1] + scores[2:])  # fmt: skip


def test_likelihood_grounding_ranks_the_trained_music_first(trained):
    backbone = _backbone(trained)
    assert backbone.music_method() == "likelihood"
    tracks = _tracks([(6, 0), (3, 4), (3, 5), (1, 2)])
    scores = backbone.rank_music(PRODUCT, SCRIPT, _candidates(3), tracks)
    # Measured over 20 seeds (seed s of the records = 3..22, of the tiny base's init = 0..19,
    # of the training = 42..61): the trained music beats the best other track by min 9.7,
    # median 12.0, max 13.5 nats; the shared first code by min 1.7, median 5.0, max 7.2 nats;
    # the best score (always the trained music's) min -7e-4, median -1e-4, max -1.8e-5 (the
    # strictly negative sum of two log-probabilities); the model wrote ECHO on every seed.
    assert np.argmax(scores) == 2 and all(s < 0 for s in scores)
    assert scores[1] > scores[0]  # sharing the first code with the trained music counts
    choice = backbone.pick_music(PRODUCT, SCRIPT, _candidates(3), tracks)
    assert (choice.track_id, choice.tokens, choice.score) == ("t2", ECHO, scores[2])


def test_tracks_without_tokens_or_of_another_grid_are_refused(trained):
    backbone = _backbone(trained)
    bare = [MusicCandidate(Track("t0", "/music/t0.ogg", 30.0))]
    with pytest.raises(InputError, match=r"t0 \(/music/t0.ogg\) has no audio tokens"):
        backbone.pick_music(PRODUCT, SCRIPT, _candidates(3), bare)
    wide = [MusicCandidate(Track("t0", "/m.ogg", 3.0), "<a_0_1><a_1_2><a_2_3>")]
    with pytest.raises(InputError, match="2 x 8 audio grid"):
        backbone.pick_music(PRODUCT, SCRIPT, _candidates(3), wide)
    clip = Candidate(Clip("src", 0.0, 2.0), "<|frame_start|><v_0_9><v_1_0><|frame_end|>")
    with pytest.raises(InputError, match=r"2 x 8 video grid.*code 9 out of range"):
        backbone.sort(PRODUCT, SCRIPT, [clip])


def test_a_missing_artefact_names_the_file_and_the_command(tmp_path):
    from autocut_plugins.lm.backbone import LMBackbone

    with pytest.raises(MissingWeightsError, match=r"needs a trained model.*autocut train sft"):
        LMBackbone().sort(PRODUCT, SCRIPT, _candidates(2))
    with pytest.raises(MissingWeightsError, match=r"artefact\.json does not exist.*autocut train"):
        _backbone(tmp_path / "nowhere").sort(PRODUCT, SCRIPT, _candidates(2))


# -- unconstrained answers and the strict parser ---------------------------------------------


class Scripted:
    """The model with a bias that makes greedy decoding write ``ids`` (then the end of turn,
    or what it likes). Positions count from the assistant header that ends every prompt, so
    answer tokens a constraint forces (fed along with the prompt) count as written."""

    def __init__(self, model, ids: list[int], end_id: int | None, header: list[int]):
        self.model, self.header = model, header
        self.wanted = [*ids, end_id] if end_id is not None else ids
        self.sequence: list[int] = []

    def parameters(self):
        return self.model.parameters()

    def __call__(self, input_ids, past_key_values=None, **inputs):
        output = self.model(input_ids=input_ids, past_key_values=past_key_values, **inputs)
        if past_key_values is None:
            self.sequence = []
        self.sequence += input_ids[0].tolist()
        size = len(self.header)
        starts = [i + size for i in range(len(self.sequence) - size + 1)
                  if self.sequence[i : i + size] == self.header]  # fmt: skip
        written = len(self.sequence) - starts[-1]
        if written < len(self.wanted):
            output.logits[0, -1, self.wanted[written]] += 1e4
        return output


@pytest.fixture
def scripted(trained):
    """``write(backbone, text, end=True)``: the backbone's model writes ``text`` next."""
    swapped = []

    def write(backbone, text: str, end: bool = True):
        session = backbone._session()
        tokenizer = session.tokenizer
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        header = tokenizer("<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
        swapped.append((session, session.model))
        session.model = Scripted(session.model, ids, session.end_id if end else None, header)
        return backbone

    yield write
    for session, model in reversed(swapped):
        session.model = model


@pytest.mark.parametrize(
    ("task", "text", "end", "message"),
    [
        ("select", "Sure! The clips are", True, "expected a list of clip indices like [0, 2, 5] "
                                                "at offset 0 (near 'Sure! The clips are')"),
        ("select", "[1, 3", True, "the list has no closing ']' at offset 5"),
        ("select", "[1, 3, 4, 5]", True, "4 clips chosen, 3 wanted"),
        ("select", "[1, 3, 4] and more", True, "unexpected text after the list at offset 9"),
        ("select", "[1, 3, 4] and [5]", True, "'4] and [5' is not an index at offset 7"),
        ("select", "[1, 3, 3]", True, "index 3 appears twice at offset 7"),
        ("select", "[1, 3, 12]", True, "index 12 out of range (clips 0..5) at offset 7"),
        ("sort", "[2, 0]", True, "not a permutation of 0..2 (2 indices given)"),
        ("script", "One line.\nTwo lines.", True, "2 lines written, 3 wanted"),
        ("script", "One.\n\nTwo.\nThree.", True, "line 2 is blank"),
        ("music", "<|audio_start|><a_0_1><a_1_2><a_0_3><a_1_4><|audio_end|>", True,
         "2 vectors of 2 tokens; one track is one vector"),
        ("music", "<|audio_start|><a_0_1><a_1_2>", True, "expected <|audio_end|> last"),
        ("music", "<|audio_start|><a_1_1><a_0_2><|audio_end|>", True,
         "head 1 out of order: expected head 0 at offset 15"),
    ],
)  # fmt: skip
def test_unconstrained_answers_are_parsed_strictly(trained, scripted, task, text, end, message):
    backbone = scripted(_backbone(trained, constrained=False, max_new_tokens=40,
                                  music_grounding="vector"), text, end)  # fmt: skip
    clips = _candidates(6 if task == "select" else 3)
    ask = {
        "select": lambda: backbone.select(PRODUCT, SCRIPT, clips, 3),
        "sort": lambda: backbone.sort(PRODUCT, SCRIPT, clips),
        "script": lambda: backbone.write_script(PRODUCT, clips),
        "music": lambda: backbone.pick_music(PRODUCT, SCRIPT, clips, _tracks([(1, 2)])),
    }[task]
    with pytest.raises(AnswerParseError) as caught:
        ask()
    assert str(caught.value).startswith(f"{task} answer: {message}")
    assert backbone.last_text.startswith(text)


def test_a_free_answer_cut_by_the_token_cap_is_partial(trained, scripted):
    backbone = scripted(_backbone(trained, constrained=False, max_new_tokens=8),
                        "[1, 3, 4, 5, 6, 7]", end=False)  # fmt: skip
    with pytest.raises(AnswerParseError, match="the list has no closing"):
        backbone.select(PRODUCT, SCRIPT, _candidates(9), 3)
    assert backbone.last_generated.stopped == "length" and len(backbone.last_generated.ids) == 8


def test_the_same_bias_cannot_break_a_constrained_answer(trained, scripted):
    """What the model 'wants' to write is invalid; the constraint makes the nearest valid."""
    backbone = scripted(_backbone(trained), "[1, 3, 3, 4, 5] and more")
    selection = backbone.select(PRODUCT, SCRIPT, _candidates(6), 3)
    assert backbone.last_text.startswith("[1, 3, ") and {1, 3} < set(selection.indices)
    backbone = scripted(_backbone(trained), "One.\n\n<|frame_start|>Two.\nThree.\nFour.")
    script = backbone.write_script(PRODUCT, _candidates(3))
    assert len(script) == 3 and "<" not in backbone.last_text


def test_a_free_answer_that_is_valid_is_read(trained, scripted):
    backbone = scripted(_backbone(trained, constrained=False), "[4, 0, 2]")
    selection = backbone.select(PRODUCT, SCRIPT, _candidates(6), 3)
    assert selection.indices == (0, 2, 4) and selection.scores == ()


# -- the script-driven pipeline ---------------------------------------------------------------


def _fit_tokenizer(name: str, vectors: np.ndarray, folder: Path, encoder: str) -> Path:
    """A 2 x 8 RQ-VAE on jittered copies of the few vectors tiny footage has.

    The `autocut` preset: 20 steps are too few for the default `reference` preset's BatchNorm
    statistics, whose heads then collapse and the guard refuses them (docs/tokenizers.md).
    """
    from autocut_core.plugins import get_registry

    rng = np.random.default_rng(0)
    copies = np.repeat(vectors, max(2, 256 // len(vectors)), axis=0)
    jittered = copies + 0.05 * copies.std() * rng.standard_normal(copies.shape)
    tokenizer = get_registry().create("tokenizer", name, {
        "heads": HEADS, "codebook_size": CODES, "codebook_dim": 8, "encoder_hidden": [32],
        "decoder_hidden": [32], "epochs": 5, "batch_size": 64, "preset": "autocut",
    })  # fmt: skip
    tokenizer.fit(jittered.astype(np.float32), vectors, folder, encoder=encoder)
    return folder


@pytest.mark.slow
def test_script_driven_dry_run_with_the_lm_backbone(trained, cli, tmp_path, monkeypatch,
                                                    autocut_plugin):  # fmt: skip
    """`autocut run --backbone lm`: real indexing, real tokens, the trained model decides."""
    from autocut_plugins.lm import backbone as lm_backbone

    from autocut_core.materials.database import MaterialDB
    from autocut_core.materials.indexing import index, options_from_settings
    from autocut_core.plugins import get_registry
    from autocut_core.settings import load_settings
    from autocut_core.testing import samples

    monkeypatch.chdir(tmp_path)
    footage, music, db = tmp_path / "footage", tmp_path / "music", tmp_path / "db"
    footage.mkdir(), music.mkdir()
    samples.make_scene_video(footage / "a.mp4", samples.scenes_for([2, 2, 2]), size=(160, 120))
    samples.make_scene_video(footage / "b.mp4", samples.scenes_for([3, 2]), size=(160, 120))
    samples.make_music(music / "calm.wav", 6, "calm")
    samples.make_music(music / "energetic.wav", 6, "energetic")
    (tmp_path / "product.toml").write_text('name = "Aero Bottle"\nbrand = "Hydra"\n')
    (tmp_path / "script.txt").write_text("\n".join(SCRIPT.sentences) + "\n")
    settings = load_settings(None)
    index([footage], [music], db, options_from_settings(settings))
    with MaterialDB(db, write=False) as database:
        _, frames = database.vectors(settings.encoder, "frame")
        _, tracks = database.vectors(settings.audio_encoder, "track")
    video = _fit_tokenizer("rqvae", frames, tmp_path / "video-tok", settings.encoder)
    audio = _fit_tokenizer("rqvae-audio", tracks, tmp_path / "audio-tok", settings.audio_encoder)
    if "lm" not in get_registry().names("backbone"):
        autocut_plugin(lm_backbone, name="lm-generation")
    code, out, err = cli(
        "run", "--product", str(tmp_path / "product.toml"), "--footage", str(footage),
        "--music", str(music), "--script", str(tmp_path / "script.txt"), "--db", str(db),
        "-o", str(tmp_path / "ad.mp4"), "--dry-run", "--json", "--no-voice-over",
        "--backbone", "lm", "--backbone-opt", f"artefact={trained}",
        "--backbone-opt", f"audio_tokenizer_checkpoint={audio}",
        "--tokenizer-opt", f"checkpoint={video}", "--audio-tokenizer-opt", f"checkpoint={audio}",
    )  # fmt: skip
    assert code == 0, err
    plan = json.loads(out)["plan"]
    assert [slot["sentence"] for slot in plan["slots"]] == list(SCRIPT.sentences)
    assert len({slot["clip_id"] for slot in plan["slots"]}) == 3
    assert Path(plan["music"]["path"]).parent == music and plan["pipeline"] == "script-driven"


def test_the_example_options_answer_every_task_on_the_rqvae_example_grid():
    """What the contract suite builds: the untrained example artefact (2 x 8 grids)."""
    from autocut_plugins.lm.backbone import LMBackbone

    from autocut_core.contracts import SAMPLE_PRODUCT, sample_candidates

    backbone = LMBackbone.from_options(LMBackbone.example_options())
    assert backbone.needs_tokens and backbone.diagnose()[0].status == "ok"
    frames = [f"<|frame_start|><v_0_{i % 8}><v_1_{3 * i % 8}><|frame_end|>" for i in range(6)]
    clips = [Candidate(c.clip, frames[i], c.caption) for i, c in enumerate(sample_candidates())]
    clips[5] = Candidate(clips[5].clip, "", clips[5].caption)  # a clip without tokens is shown bare
    selection = backbone.select(SAMPLE_PRODUCT, SCRIPT, clips, 3)
    assert len(set(selection.indices)) == 3 and all(0 <= i < 6 for i in selection.indices)
    assert sorted(backbone.sort(SAMPLE_PRODUCT, SCRIPT, clips[:3]).order) == [0, 1, 2]
    assert len(backbone.write_script(SAMPLE_PRODUCT, clips[:4])) == 4
    tracks = _tracks([(1, 2), (3, 5), (6, 0)])
    assert backbone.pick_music(SAMPLE_PRODUCT, SCRIPT, clips[:3], tracks).track_id in {
        "t0",
        "t1",
        "t2",
    }
