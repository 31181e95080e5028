"""A run with too little evidence says so, and says what would fix it (issue 23, item 3).

A Chinese script against English captions, or footage without captions, used to score
0.000 everywhere and cut the first clips of one video without a word. The warnings go to
stderr as ``Warning: ...`` and into ``--json`` as ``"warnings"``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocut_core.components import Backbone
from autocut_core.pipelines.evidence import evidence_warnings
from autocut_core.testing import FakeBackbone, samples
from autocut_core.types import Candidate, Clip, Script

#: What each shot of the captioned footage shows (one cue per shot).
SHOTS = {
    "bottle.mp4": ["a steel water bottle on a desk", "ice cubes dropping into the bottle"],
    "hike.mp4": ["a hiker drinking on a mountain trail", "the bottle upside down, no leak"],
}
ENGLISH = "A steel bottle on your desk.\nIce cubes stay frozen in the bottle.\nNo leak, ever.\n"
CHINESE = "这款水瓶让饮品保持冰爽。\n二十四小时保冷。\n绝不漏水。\n"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("warning-inputs")
    captioned, bare = root / "captioned", root / "bare"
    captioned.mkdir()
    bare.mkdir()
    for length, (name, texts) in zip((2.0, 2.5), SHOTS.items(), strict=True):
        # Shot lengths differ per file: identical files would be one source to the database.
        samples.make_scene_video(captioned / name, samples.scenes_for([length, length]))
        cues = [{"start": length * i, "end": length * (i + 1), "text": text}
                for i, text in enumerate(texts)]  # fmt: skip
        (captioned / name).with_suffix(".captions.json").write_text(json.dumps(cues))
    # Other content (other shot lengths): the database must not find the captions above.
    samples.make_scene_video(bare / "vtest.mp4", samples.scenes_for([3, 2]))
    samples.make_scene_video(bare / "tree.mp4", samples.scenes_for([2, 3]))
    (root / "product.toml").write_text('name = "Aero Bottle"\n')
    (root / "en.txt").write_text(ENGLISH)
    (root / "zh.txt").write_text(CHINESE, encoding="utf-8")
    return root


def _run(cli, inputs: Path, footage: str, script: str, *extra: str) -> tuple[int, str, str]:
    return cli(
        "run", "--product", str(inputs / "product.toml"), "--footage", str(inputs / footage),
        "--script", str(inputs / script), "--db", str(inputs / "db"), "--dry-run",
        "--no-voice-over", "-o", str(inputs / "out" / f"{footage}-{script}.json"),
        "--backbone", "similarity", "--backbone-opt", "text_encoder=none", *extra,
    )  # fmt: skip


def test_chinese_script_against_english_captions_warns_in_json(cli, inputs: Path) -> None:
    # Without the multilingual encoder (with it, the two languages meet: no warning), and
    # per sentence only: the product's English name shares "bottle" with the captions.
    code, out, err = _run(cli, inputs, "captioned", "zh.txt", "--json",
                          "--backbone-opt", "multilingual_encoder=none",
                          "--backbone-opt", "brief_weight=0")  # fmt: skip
    assert code == 0, err
    data = json.loads(out)  # stdout is the JSON document alone
    warnings = data["warnings"]
    assert [slot["score"] for slot in data["plan"]["slots"]] == [0.0, 0.0, 0.0]
    assert any(w.startswith("every clip scored 0.000 against the script") for w in warnings)
    (language,) = [w for w in warnings if w.startswith("the script is in Chinese")]
    assert "captions are in a non-CJK script" in language
    assert "multilingual_encoder=muse" in language and "image_encoder=clip" in language
    assert "Warning" not in err  # under --json the warnings are in the JSON only


def test_footage_without_captions_warns_on_stderr(cli, inputs: Path) -> None:
    code, out, err = _run(cli, inputs, "bare", "en.txt")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if line.startswith("Warning: ")]
    (captions,) = [w for w in warnings if "has a caption" in w]
    assert "none of the 4 clips has a caption" in captions
    assert "<video>.captions.json" in captions and "--backbone" in captions
    assert "Warning" not in out  # warnings are stderr, the summary stdout


def test_matching_captions_give_no_warning(cli, inputs: Path) -> None:
    code, out, err = _run(cli, inputs, "captioned", "en.txt", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["warnings"] == []
    assert all(slot["score"] > 0 for slot in data["plan"]["slots"])


def _candidates(*paths: str) -> list[Candidate]:
    return [
        Candidate(clip=Clip(f"src{i}", 0.0, 2.0), caption="", source_path=path)
        for i, path in enumerate(paths)
    ]


def test_all_zero_scores_name_the_one_video_used_and_a_fix() -> None:
    offered = _candidates("/f/a.mp4", "/f/a.mp4", "/f/b.mp4")
    script = Script(sentences=("One.", "Two."))
    found = evidence_warnings(FakeBackbone(), script, offered, offered[:2], [0.0, 0.0001])
    assert found == [
        "every clip scored 0.000 against the script: backbone 'fake' found nothing linking "
        "the two, so the clips are in footage order; all 2 come from a.mp4, one of 2 videos: "
        "give the clips captions (<video>.captions.json, .srt, .vtt or .txt) or choose "
        "another backbone (--backbone)"
    ]
    assert evidence_warnings(FakeBackbone(), script, offered, offered[:2], [0.0, 0.2]) == []
    assert evidence_warnings(FakeBackbone(), script, offered, offered[:2], []) == []


class _Knows(FakeBackbone):
    name = "knows"

    def evidence_problems(self, script: Script, candidates: list[Candidate]) -> list[str]:
        return ["the footage is dark: light it"]


def test_the_backbones_own_problems_replace_the_generic_fix() -> None:
    offered = _candidates("/f/a.mp4", "/f/b.mp4")
    found = evidence_warnings(_Knows(), Script(sentences=("One.",)), offered, offered[:1], [0.0])
    assert found[0].endswith("so the clips are in footage order")
    assert found[1:] == ["the footage is dark: light it"]
    assert Backbone.evidence_problems(FakeBackbone(), Script(sentences=()), offered) == []


@pytest.mark.parametrize(
    ("options", "warned"),
    [
        # Without the multilingual encoder (tests/backbones/test_similarity_brief.py has it):
        ({"text_encoder": "none", "multilingual_encoder": "none"}, True),  # overlap only
        ({"multilingual_encoder": "none"}, True),  # CJK pairs by overlap only (weight 1)
        ({"cjk_lexical_weight": 0.2, "multilingual_encoder": "none"}, True),  # English minilm
        (
            {
                "cjk_lexical_weight": 0.2,
                "multilingual_encoder": "none",
                "text_encoder_options": {"model_dir": "/m"},
            },
            False,
        ),
    ],
)
def test_language_warning_depends_on_what_could_link_the_languages(
    options: dict, warned: bool
) -> None:
    from autocut_plugins.similarity import SimilarityBackbone

    backbone = SimilarityBackbone.from_options(options)
    offered = [
        Candidate(clip=Clip("s", 0.0, 2.0), caption="a bottle on a desk", source_path="/f/x.mp4")
    ]
    problems = backbone.evidence_problems(
        Script(sentences=(CHINESE.split(maxsplit=1)[0],)), offered
    )
    assert any(p.startswith("the script is in Chinese") for p in problems) is warned
