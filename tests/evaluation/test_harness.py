"""The harness: rebuild inputs from the SFT meta, run backbones, score, resume."""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from autocut_core.errors import AutocutError, InputError
from autocut_core.evaluation.harness import evaluate
from autocut_core.evaluation.records import read_samples
from autocut_core.evaluation.results import read_results
from autocut_core.evaluation.tasks import candidates_of, tracks_of
from autocut_core.plugins import get_registry
from autocut_core.testing import FakeBackbone
from autocut_core.types import Ordering

from .conftest import EXPECTED_FAKE


def backbone(name, options=None):
    return get_registry().create("backbone", name, options)


def logmel_cosine(first, second):
    from autocut_core.media import decode_audio

    encoder = get_registry().create("encoder", "logmel")
    a, b = (encoder.encode([decode_audio(p, encoder.sample_rate)])[0] for p in (first, second))
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def assert_metrics(actual, expected):
    for task, metrics in expected.items():
        for metric, value in metrics.items():
            assert actual[task][metric] == pytest.approx(value), (task, metric)


class TestReading:
    def test_meta_becomes_typed_inputs(self, sft):
        samples = read_samples(sft.path)
        assert [s.task for s in samples] == ["select", "sort", "script", "music"] * 2
        select, sort, _, music = samples[4:]
        assert select.product.name == "鲜榨果汁" and select.lang == "zh"
        # no prompt shows the clips' sentences: a select positive's is a script line
        assert all(c.caption == "" for c in candidates_of(select))
        shown = candidates_of(select, "all")
        assert [c.caption for c in shown] == [
            "每天早上新鲜橙子",
            "冰爽清甜 Juice",
            "城市夜晚的车流",
        ]
        assert shown[1].clip.start == 1.0 and shown[1].clip.end == 2.0
        assert shown[1].source_path == str(sft.videos["zh"])
        assert shown[1].tokens.startswith("<|frame_start|><v_0_1>")
        # the sort prompt does not show the clips' sentences: they would be the answer
        assert all(c.caption == "" for c in candidates_of(sort))
        assert next(c.caption for c in candidates_of(sort, "all")) == "冰爽清甜 Juice"
        tracks = tracks_of(music)
        assert [t.track.title for t in tracks] == ["energetic", "calm", "bright"]
        assert tracks[1].track.duration == pytest.approx(3.0, abs=0.05)
        assert music.record.meta.answer.track_id == "trk_calm"

    def test_limit_is_per_task(self, sft):
        samples = read_samples(sft.path, ["sort", "music"], limit=1)
        assert [(s.task, s.ad_id) for s in samples] == [("sort", "ad-en"), ("music", "ad-en")]

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (lambda d: d.update(task="edit"), "'task' must be one of"),
            (lambda d: d["meta"].pop("answer"), "field 'meta.answer': required field is missing"),
            (lambda d: d["meta"]["answer"].update(order=[0, 0, 1]), "repeats or leaves 0..2"),
            (lambda d: d["meta"]["candidates"][0].update(end=0.0), "end 0.0 is not after start"),
            (
                lambda d: d["meta"]["product"].update(colour="red"),
                "field 'meta.product.colour': unknown field",
            ),
        ],
    )
    def test_a_bad_line_names_the_file_line_and_field(self, sft, change, message):
        lines = sft.path.read_text(encoding="utf-8").splitlines()
        data = json.loads(lines[1])  # the English sort sample
        change(data)
        lines[1] = json.dumps(data, ensure_ascii=False)
        sft.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with pytest.raises(InputError, match=f"test.jsonl:2(.|\n)*{message}"):
            read_samples(sft.path)

    def test_not_json_and_missing_files(self, tmp_path):
        broken = tmp_path / "broken.jsonl"
        broken.write_text('{"task": "select"\n', encoding="utf-8")
        with pytest.raises(InputError, match=r"broken.jsonl:1: not valid JSON"):
            read_samples(broken)
        with pytest.raises(InputError, match=r"gone\.jsonl: test set not found"):
            read_samples(tmp_path / "gone.jsonl")

    def test_a_music_reference_outside_its_pool_is_refused(self, sft):
        lines = sft.path.read_text(encoding="utf-8").splitlines()
        data = json.loads(lines[3])
        data["meta"]["answer"]["track_id"] = "trk_nowhere"
        sft.path.write_text(json.dumps(data) + "\n", encoding="utf-8")
        with pytest.raises(InputError, match=r"'trk_nowhere' is not in meta\.music_pool"):
            read_samples(sft.path)


class TestScoring:
    def test_fake_backbone_matches_the_hand_computed_metrics(self, sft, autocut_fakes, tmp_path):
        result = evaluate(sft.path, backbone("fake"), tmp_path / "out", plots=False)
        (summary,) = result.systems
        assert_metrics(summary.metrics, EXPECTED_FAKE)
        # zh: fake picked "energetic" instead of "calm"; en picked the reference itself
        similarity = logmel_cosine(sft.tracks["energetic"], sft.tracks["calm"])
        assert summary.metrics["music"]["mss_proxy"] == pytest.approx((1 + similarity) / 2)
        assert summary.samples == {"select": 2, "sort": 2, "script": 2, "music": 2}
        assert summary.errors == {"select": 0, "sort": 0, "script": 0, "music": 0}
        records = read_results(tmp_path / "out" / "results.jsonl")
        first = records[0]
        assert first["prediction"] == {"indices": [0, 1], "scores": [1.0, 1.0]}
        assert first["reference"] == {"indices": [0, 2], "pool": 4}
        script_zh = next(r for r in records if r["task"] == "script" and r["lang"] == "zh")
        assert script_zh["prediction"]["lines"] == ["鲜榨果汁, shot 1.", "鲜榨果汁, shot 2."]
        assert script_zh["metrics"]["wcd_units"] == 1.5
        assert script_zh["metrics"]["wcd"] == 4.0  # the paper's: every character, |13-8|, |13-10|
        saved = json.loads((tmp_path / "out" / "summary.json").read_text())
        assert saved["metrics"]["select"]["csa"] == 0.5

    def test_showing_every_clip_sentence_leaks_the_script(self, sft, autocut_fakes, tmp_path):
        result = evaluate(sft.path, backbone("fake"), tmp_path / "out", tasks=["script"],
                          clip_text="all", plots=False)  # fmt: skip
        assert result.systems[0].metrics["script"]["wcd"] == 0.0

    def test_random_is_reproducible_and_its_records_rescore_alike(self, sft, tmp_path):
        first = evaluate(sft.path, backbone("random"), tmp_path / "a", plots=False)
        second = evaluate(sft.path, backbone("random"), tmp_path / "b", plots=False)
        assert first.left_out == ["script"] and first.tasks == ["select", "sort", "music"]
        records = read_results(tmp_path / "a" / "results.jsonl")
        assert [r["prediction"] for r in records] == [
            r["prediction"] for r in read_results(tmp_path / "b" / "results.jsonl")
        ]
        assert first.systems[0].metrics == second.systems[0].metrics
        for record in records:
            evaluator = get_registry().create("evaluator", record["evaluator"])
            (again,) = evaluator.score_batch([record["prediction"]], [record["reference"]])
            assert again == pytest.approx(record["metrics"])
            if record["task"] == "sort":
                assert sorted(record["prediction"]["order"]) == [0, 1, 2]

    def test_a_task_the_backbone_cannot_do_is_refused_when_asked(self, sft, tmp_path):
        with pytest.raises(InputError, match="backbone 'random' cannot do task"):
            evaluate(sft.path, backbone("random"), tmp_path / "out", tasks=["script"])

    def test_backbone_errors_are_recorded_and_scored_as_wrong(self, sft, autocut_plugin, tmp_path):
        class Refusing(FakeBackbone):
            name = "refusing"

            def _sort(self, product, script, candidates) -> Ordering:
                raise AutocutError("sort answer: the list is empty at offset 1")

        autocut_plugin(_plugin(Refusing), name="refusing")
        result = evaluate(sft.path, backbone("refusing"), tmp_path / "out", tasks=["sort"])
        assert result.systems[0].errors == {"sort": 2}
        # The paper's pairwise and tau skip malformed answers, and no other is left.
        assert result.systems[0].metrics["sort"] == {
            "cra": 0.0, "pairwise_strict": 0.0, "kendall_tau_strict": -1.0, "valid": 0.0
        }  # fmt: skip
        assert len(result.stats.errors) == 2
        assert "the list is empty" in read_results(tmp_path / "out" / "results.jsonl")[0]["error"]

    def test_a_ranking_backbone_is_scored_by_its_ranking(self, sft, autocut_plugin, tmp_path):
        class Ranking(FakeBackbone):
            name = "ranking"
            capabilities = FakeBackbone.capabilities | {"rank_music"}

            def _rank_music(self, product, script, clips, tracks) -> Sequence[float]:
                # the first two tracks of each pool tie at the top
                return [0.5, 0.5, 0.1][: len(tracks)]

        autocut_plugin(_plugin(Ranking), name="ranking")
        result = evaluate(sft.path, backbone("ranking"), tmp_path / "out", tasks=["music"])
        music = result.systems[0].metrics["music"]
        # in both ads the reference shares ranks 1-2 with one other track
        assert music["hit@1"] == 0.5 and music["hit@3"] == 1.0
        assert music["mrr"] == pytest.approx(0.75)
        record = read_results(tmp_path / "out" / "results.jsonl")[1]
        assert record["prediction"]["ranking"] == [["trk_energetic", "trk_calm"], ["trk_bright"]]


class TestResume:
    def test_a_rerun_skips_what_is_scored(self, sft, autocut_plugin, tmp_path):
        calls = []

        class Counting(FakeBackbone):
            name = "counting"

            def _select(self, product, script, candidates, count):
                calls.append(product.name)
                return super()._select(product, script, candidates, count)

        autocut_plugin(_plugin(Counting), name="counting")
        out = tmp_path / "out"
        partial = evaluate(sft.path, backbone("counting"), out, limit=1, plots=False)
        assert partial.stats.scored == 4 and calls == ["Juice"]
        full = evaluate(sft.path, backbone("counting"), out, plots=False)
        assert (full.stats.scored, full.stats.skipped) == (4, 4)
        assert calls == ["Juice", "鲜榨果汁"]
        records = read_results(out / "results.jsonl")
        assert len({r["sample_id"] for r in records}) == len(records) == 8
        assert_metrics(full.systems[0].metrics, EXPECTED_FAKE)

    def test_an_interrupted_run_leaves_a_valid_file_and_resumes(
        self, sft, autocut_plugin, tmp_path
    ):
        class Interrupted(FakeBackbone):
            name = "interrupted"
            interrupt = True

            def _write_script(self, product, candidates):
                if Interrupted.interrupt:
                    raise KeyboardInterrupt  # Ctrl-C in the middle of the third sample
                return super()._write_script(product, candidates)

        autocut_plugin(_plugin(Interrupted), name="interrupted")
        out = tmp_path / "out"
        with pytest.raises(KeyboardInterrupt):
            evaluate(sft.path, backbone("interrupted"), out, plots=False)
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["task"] for line in lines] == ["select", "sort"]
        Interrupted.interrupt = False
        resumed = evaluate(sft.path, backbone("interrupted"), out, plots=False)
        assert (resumed.stats.scored, resumed.stats.skipped) == (6, 2)
        assert_metrics(resumed.systems[0].metrics, EXPECTED_FAKE)

    def test_a_torn_last_line_is_dropped_and_cut_off(self, sft, autocut_fakes, tmp_path):
        out = tmp_path / "out"
        evaluate(sft.path, backbone("fake"), out, limit=1, plots=False)
        with open(out / "results.jsonl", "ab") as handle:
            handle.write(b'{"sample_id": "select/ad-zh/5/0123')  # a power cut mid-line
        assert len(read_results(out / "results.jsonl")) == 4
        result = evaluate(sft.path, backbone("fake"), out, plots=False)
        assert result.stats.scored == 4
        lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == 8 and all(json.loads(line) for line in lines)

    def test_another_system_is_refused_unless_fresh(self, sft, autocut_fakes, tmp_path):
        out = tmp_path / "out"
        evaluate(sft.path, backbone("fake"), out, plots=False)
        with pytest.raises(InputError, match=r"backbone 'fake' -> 'random'"):
            evaluate(sft.path, backbone("random"), out, plots=False)
        fresh = evaluate(sft.path, backbone("random"), out, fresh=True, plots=False)
        assert fresh.stats.scored == 6
        assert {r["system"] for r in read_results(out / "results.jsonl")} == {"random"}
        with pytest.raises(InputError, match=r"backbone_options \{'seed': 0\} -> \{'seed': 3\}"):
            evaluate(sft.path, backbone("random", {"seed": 3}), out, plots=False)


def test_the_similarity_backbone_gets_a_row(sft, autocut_plugin, tmp_path):
    """The zero-shot baseline on real footage: it matches sentences to the clips' text, which
    only the ablation shows it (there, the positives' sentences are the script's)."""
    if "similarity" not in get_registry().names("backbone"):
        import autocut_plugins.similarity as similarity_plugin

        autocut_plugin(similarity_plugin, name="similarity")
    similarity = backbone("similarity", {"text_encoder": "none"})
    result = evaluate(sft.path, similarity, tmp_path / "sim", plots=False, clip_text="all")
    metrics = result.systems[0].metrics
    assert metrics["select"]["csa"] == 1.0  # the positives' sentences are the script's
    # Under the prompts the clips show no text and similarity has no image encoder: it would
    # answer blind (the input order), so the run is refused before anything is scored ...
    with pytest.raises(
        InputError,
        match=r"cannot see the inputs of 4 task\(s\)(.|\n)*"
        r"sort: 2 of 2 sample\(s\).*none of the 3 clips has a caption",
    ):
        evaluate(sft.path, similarity, tmp_path / "honest", plots=False)
    assert not (tmp_path / "honest").exists()
    # ... or, asked for, run with the row marked in the report.
    blind = evaluate(sft.path, similarity, tmp_path / "honest", plots=False, allow_blind=True)
    honest = blind.systems[0]
    assert honest.metrics["select"]["valid"] == 1.0 and honest.errors["select"] == 0
    assert [line.split(":")[0] for line in blind.blind] == ["select", "sort", "script", "music"]
    report = (tmp_path / "honest" / "report.md").read_text()
    assert "- WARNING: similarity ran blind on sort: 2 of 2 sample(s)" in report
    assert metrics["sort"]["valid"] == 1.0 and metrics["music"]["valid"] == 1.0
    assert metrics["script"]["line_agreement"] == 1.0
    assert result.systems[0].errors == {"select": 0, "sort": 0, "script": 0, "music": 0}


def _plugin(cls):
    from autocut_core import hookimpl

    class Plugin:
        @staticmethod
        @hookimpl
        def register_backbones(register):
            register(cls)

    return Plugin
