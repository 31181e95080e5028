"""Clips grounded from decoded tokens (``--grounding tokens``, paper §3.6 / §7.2).

A real RQ-VAE is trained here on the real ``histogram`` frame vectors of two generated scene
videos (ten distinct shots, eleven clips); the clips' tokens are its codes of their frames,
so grounding must bring each clip back from its own tokens, by content and not by index.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from autocut_core import hookimpl
from autocut_core.errors import InputError
from autocut_core.materials.database import MaterialDB
from autocut_core.materials.indexing import IndexOptions, index
from autocut_core.plugins import get_registry
from autocut_core.testing import FakeBackbone, samples
from autocut_core.tokens.clip_votes import assign
from autocut_core.tokens.frames import frames_in_span
from autocut_core.tokens.grounding import ground_clips
from autocut_core.tokens.strings import format_frames
from autocut_core.types import Candidate

#: Small on purpose: 30 frame vectors fill 4 heads of 8 codes; trains in a few seconds.
TOKENIZER = {
    "heads": 4, "codebook_size": 8, "codebook_dim": 32, "encoder_hidden": [64],
    "decoder_hidden": [64], "epochs": 60, "batch_size": 64, "lr": 0.003, "seed": 0,
}  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two videos of five 3 s shots each (all ten scene sources), indexed, and a tokenizer
    trained on their frame vectors."""
    root = tmp_path_factory.mktemp("grounding")
    scenes = samples.SCENE_SOURCES
    for name, first in (("a.mp4", 0), ("b.mp4", 5)):
        shots = [samples.Scene(3, scenes[first + i]) for i in range(5)]
        samples.make_scene_video(root / "footage" / name, shots, size=(160, 90), audio=False)
    index([root / "footage"], [], root / "db", IndexOptions())
    with MaterialDB(root / "db", write=False) as db:
        _, vectors = db.vectors("histogram", "frame")
    get_registry().create("tokenizer", "rqvae", TOKENIZER).fit(
        vectors, vectors, root / "tok", encoder="histogram"
    )
    (root / "product.toml").write_text('name = "Aero Bottle"\nbrand = "Hydra"\n')
    (root / "script.txt").write_text("Meet the Aero bottle.\nIt keeps drinks cold.\nNo leaks.\n")
    return root


def _tokenizer(folder: Path):
    return get_registry().create("tokenizer", "rqvae", {"checkpoint": str(folder)})


def _frame_vectors(db: MaterialDB, clip) -> np.ndarray:
    vectors = dict(zip(*db.vectors("histogram", "frame"), strict=True))
    frames = db.frames(clip.source_id)
    positions = frames_in_span([second for _, second, _ in frames], clip.start, clip.end)
    return np.stack([vectors[frames[p][0]] for p in positions])


def _pool(db: MaterialDB, tokenizer) -> list[Candidate]:
    """Every clip of the database, with the tokens of its own frames (as `autocut run` makes
    them for a token backbone that reads every frame)."""
    return [
        Candidate(
            clip=clip,
            tokens=format_frames(tokenizer.encode_batch(_frame_vectors(db, clip))),
            source_path=db.source(clip.source_id).path,
        )
        for clip in db.clips()
    ]


def test_every_clip_grounds_to_itself_from_its_own_tokens(world):
    tokenizer = _tokenizer(world / "tok")
    with MaterialDB(world / "db", write=False) as db:
        pool = _pool(db, tokenizer)
        alone = [ground_clips(db, tokenizer, [clip], pool)[0] for clip in pool]
        together = ground_clips(db, tokenizer, pool, pool)
        assert all(db.clip(found.grounded) for found in alone + together)  # real clips
    assert len(pool) == 11  # the Game of Life shot is cut in two: it changes as it evolves
    itself = sum(found.unit == unit for unit, found in enumerate(alone))
    kept = sum(found.unit == unit for unit, found in enumerate(together))
    # Measured over 20 tokenizer seeds (0..19): alone, 10 of 11 clips ground to themselves in
    # every seed (the miss: the one-frame second half of the Game of Life shot grounds to its
    # first half); all eleven at once, 11 in 18 seeds and 9 in 2 (those two halves swap).
    # Every slot's frames agreed on its clip (share 1.0) in every seed.
    assert itself >= 10 and kept >= 9
    assert len({found.grounded for found in together}) == len(pool)  # no clip twice
    assert all(0.0 < found.score <= 1.0 for found in together)


def test_tokens_of_another_clip_ground_to_that_clip_not_to_the_index(world):
    tokenizer = _tokenizer(world / "tok")
    with MaterialDB(world / "db", write=False) as db:
        pool = _pool(db, tokenizer)
        asked = Candidate(clip=pool[0].clip, tokens=pool[8].tokens, source_path="a.mp4")
        (found,) = ground_clips(db, tokenizer, [asked], pool)
    assert found.asked == pool[0].clip.clip_id
    assert found.grounded == pool[8].clip.clip_id and found.unit == 8 and found.changed
    assert found.to_dict()["changed"] is True


def test_a_collision_goes_to_the_next_best_vote(world):
    # Measured over 20 tokenizer seeds: this and the test above hold in every one.
    tokenizer = _tokenizer(world / "tok")
    with MaterialDB(world / "db", write=False) as db:
        pool = _pool(db, tokenizer)
        first, second = ground_clips(db, tokenizer, [pool[2], pool[2]], pool)
        # The next best vote is where the tokens ground when clip 2 is not there at all.
        rest = pool[:2] + pool[3:]
        (without,) = ground_clips(db, tokenizer, [pool[2]], rest)
    assert first.grounded == pool[2].clip.clip_id and not first.changed  # tie: earlier slot
    assert second.grounded == without.grounded != pool[2].clip.clip_id and second.changed
    assert second.score == pytest.approx(without.score)


def test_the_surer_slot_keeps_a_contested_clip():
    # Frame "f1" belongs to clip 0, "f2" to clip 1, "f3" to clip 2. Slot 0 has one of two
    # frames on clip 0; slot 1 both of its frames, so it keeps clip 0 and slot 0 re-votes:
    # its frames' nearest free clips are 2 (0.7) and 1 (0.6), so clip 2 by similarity.
    units = {"f1": [0], "f2": [1], "f3": [2]}
    slot0 = [[("f1", 0.9), ("f3", 0.7)], [("f2", 0.6), ("f1", 0.5)]]
    slot1 = [[("f1", 0.8), ("f2", 0.1)], [("f1", 0.7), ("f3", 0.1)]]
    votes = assign([slot0, slot1], units)
    assert votes is not None
    assert [(v.unit, v.votes, v.frames) for v in votes] == [(2, 1, 2), (0, 2, 2)]
    assert [v.score for v in votes] == pytest.approx([0.7, 0.75])
    # Hits that run out of free clips ask for a deeper search.
    assert assign([[[("f1", 0.9)]], [[("f1", 0.8)]]], units) is None


def test_an_untrained_tokenizer_is_refused(world):
    untrained = get_registry().create("tokenizer", "rqvae", {"random_init": True, "dim": 128})
    with MaterialDB(world / "db", write=False) as db:
        pool = _pool(db, _tokenizer(world / "tok"))
        with pytest.raises(InputError, match="tokenizer 'rqvae' is not trained"):
            ground_clips(db, untrained, pool[:1], pool)


@pytest.mark.parametrize(
    ("encoder", "width", "message"),
    [
        ("efficientnet", 128, r"no frame vectors from encoder 'efficientnet'.*histogram"),
        ("histogram", 64, r"'histogram' frame vectors are 128-D but .* decodes 64-D"),
    ],
)
def test_a_database_without_the_tokenizers_vectors_is_refused(
    world, tmp_path, encoder, width, message
):
    with MaterialDB(world / "db", write=False) as db:
        pool = _pool(db, _tokenizer(world / "tok"))
        _, vectors = db.vectors("histogram", "frame")
        other = get_registry().create("tokenizer", "rqvae", {**TOKENIZER, "epochs": 1})
        other.fit(vectors[:, :width], vectors[:, :width], tmp_path / "tok", encoder=encoder)
        with pytest.raises(InputError, match=message):
            ground_clips(db, _tokenizer(tmp_path / "tok"), pool[:1], pool)


def test_a_clip_without_tokens_is_refused(world):
    tokenizer = _tokenizer(world / "tok")
    with MaterialDB(world / "db", write=False) as db:
        pool = _pool(db, tokenizer)
        bare = Candidate(clip=pool[0].clip, source_path="a.mp4")
        with pytest.raises(InputError, match=r"clip \w+ \(a.mp4\) has no video tokens"):
            ground_clips(db, tokenizer, [bare], pool)


# --- autocut run --grounding tokens ----------------------------------------------------------


class _TokenReader(FakeBackbone):
    """Reads tokens (so the pipeline makes them) and answers by index, as `lm` does."""

    name = "token-reader"
    needs_tokens = True


class _Plugin:
    @staticmethod
    @hookimpl
    def register_backbones(register):
        register(_TokenReader)


def _run(cli, world: Path, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    config = tmp_path / "autocut.toml"
    config.write_text(
        '[render]\nwidth = 180\nheight = 320\nfps = 15\ncrf = 32\npreset = "ultrafast"\n'
        f'[tokenizers.rqvae]\ncheckpoint = "{world / "tok"}"\n'
    )
    return cli(
        "run", "--config", str(config), "--product", str(world / "product.toml"),
        "--script", str(world / "script.txt"), "--footage", str(world / "footage"),
        "--db", str(world / "db"), "-o", str(tmp_path / "ad.mp4"), "--json", *extra,
    )  # fmt: skip


def test_run_with_token_grounding_renders_the_grounded_clips(cli, world, tmp_path, autocut_plugin):
    autocut_plugin(_Plugin, name="token-reader")
    code, out, err = _run(
        cli, world, tmp_path, "--backbone", "token-reader", "--grounding", "tokens",
        "--no-voice-over",
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert Path(result["video"]).is_file() and Path(result["video"]).stat().st_size > 0
    grounding = result["grounding"]
    slots = result["plan"]["slots"]
    assert [entry["slot"] for entry in grounding] == [1, 2, 3]
    assert [slot["clip_id"] for slot in slots] == [entry["grounded"] for entry in grounding]
    # The backbone answered the first three clips; their own tokens bring them back.
    assert [entry["changed"] for entry in grounding] == [False, False, False]
    with MaterialDB(world / "db", write=False) as db:
        (first_video,) = [s for s in db.sources("video") if s.path.endswith("a.mp4")]
        first = [clip.clip_id for clip in db.clips(first_video.source_id)][:3]
        assert [entry["asked"] for entry in grounding] == first
        assert all(db.clip(entry["grounded"]) for entry in grounding)


def test_index_grounding_is_the_default_and_reports_nothing(cli, world, tmp_path, autocut_plugin):
    autocut_plugin(_Plugin, name="token-reader")
    code, out, err = _run(
        cli, world, tmp_path, "--backbone", "token-reader", "--dry-run", "--no-voice-over"
    )
    assert code == 0, err
    assert json.loads(out)["grounding"] == []


def test_a_backbone_without_tokens_is_refused_before_indexing(cli, world, tmp_path):
    (tmp_path / "run.toml").write_text('[run]\ngrounding = "tokens"\n')
    code, _, err = cli(
        "run", "--config", str(tmp_path / "run.toml"), "--product", str(world / "product.toml"),
        "--script", str(world / "script.txt"), "--footage", str(world / "footage"),
        "--db", str(tmp_path / "db"), "--backbone", "random", "--dry-run",
    )  # fmt: skip
    assert code == 2
    assert "--grounding tokens decodes the video tokens" in err and "'random'" in err
    assert not (tmp_path / "db").exists()  # refused up front


def test_an_untrained_tokenizer_is_refused_before_indexing(cli, world, tmp_path, autocut_plugin):
    autocut_plugin(_Plugin, name="token-reader")
    code, _, err = cli(
        "run", "--product", str(world / "product.toml"), "--script", str(world / "script.txt"),
        "--footage", str(world / "footage"), "--db", str(tmp_path / "db"),
        "--backbone", "token-reader", "--grounding", "tokens", "--dry-run",
    )  # fmt: skip
    assert code == 2 and "tokenizer 'rqvae' is not trained" in err
    assert not (tmp_path / "db").exists()


def test_an_unknown_grounding_is_refused(cli, world, tmp_path):
    code, _, err = _run(cli, world, tmp_path, "--grounding", "nearest", "--dry-run")
    assert code == 2 and "unknown --grounding 'nearest'" in err
