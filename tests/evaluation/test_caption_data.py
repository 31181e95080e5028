"""Caption data straight into `autocut eval`: no adapter, the file's ids, captions as captions."""

from __future__ import annotations

import copy
import json

import pytest

from autocut_core.errors import InputError
from autocut_core.evaluation.records import read_test_set
from autocut_core.evaluation.tasks import candidates_of

from .caption_files import EN_ADS, ZH_ADS, write_ads
from .conftest import table

#: similarity by word / character overlap only: deterministic, no model to load.
OVERLAP = ["--backbone", "similarity", "--backbone-opt", "text_encoder=none",
           "--backbone-opt", "multilingual_encoder=none"]  # fmt: skip


@pytest.mark.parametrize(("lang", "ads"), [("en", EN_ADS), ("zh", ZH_ADS)])
def test_caption_jsonl_runs_through_the_cli(cli, tmp_path, lang, ads):
    data = write_ads(tmp_path / f"{lang}.jsonl", ads)
    out = tmp_path / "eval"
    code, stdout, stderr = cli("eval", "--data", str(data), *OVERLAP, "-o", str(out), "--no-plots")
    assert code == 0, stderr
    assert "6 sample(s) scored, 0 already scored (skipped), 0 failed" in stdout
    # Captions share the script's words only for the ad's own clips (caption_files.py), so
    # reading them is enough to answer every select and sort sample exactly.
    row = dict(zip(*table((out / "report.md").read_text(encoding="utf-8")), strict=True))
    assert row["Video: CSA ↑"] == "1.0000" and row["Project: CSA exact ↑"] == "1.0000"
    assert row["Video: CRA ↑"] == "1.0000" and row["Project: Lines ↑"] == "1.0000"
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    # The file's ad ids and nothing invented: task/ad/line/hash of the line.
    assert [r["sample_id"].split("/")[:3] for r in results] == [
        [task, ad["ad_id"], str(line)]
        for line, ad in enumerate(ads, start=1)
        for task in ("select", "sort", "script")
    ]
    assert {r["lang"] for r in results} == {lang}
    run = json.loads((out / "run.json").read_text())
    assert run["layout"] == "captions" and run["blind"] == []


def test_captions_reach_the_backbone_as_captions_and_times_stay_unknown(tmp_path):
    samples = read_test_set(write_ads(tmp_path / "en.jsonl", EN_ADS)).samples
    select = samples[0]
    assert (select.task, select.ad_id) == ("select", "en-shoe")
    shown = {entry.clip_id: entry for entry in select.candidates}
    # Shown in a seeded shuffle of their own, not in the file's order.
    assert [entry.clip_id for entry in select.candidates] != ["c3", "d1", "c1", "d2", "c2", "d3"]
    assert select.record.meta.answer.indices == sorted(
        [entry.clip_id for entry in select.candidates].index(c) for c in ("c1", "c2", "c3")
    )
    candidates = {e.clip_id: c for e, c in zip(select.candidates, candidates_of(select),
                                                strict=True)}  # fmt: skip
    timed, untimed = candidates["c1"], candidates["d1"]
    assert timed.caption == timed.clip.caption == "a shoe on a kitchen scale, light as a feather"
    assert (timed.timed, timed.clip.start, timed.clip.end) == (True, 0.0, 2.0)
    assert timed.source_path == "footage/shoe.mp4"
    assert untimed.timed is False and untimed.caption == "a cat sleeping on a sofa"
    assert shown["d1"].ad_id == "en-cat" and all(entry.text == "" for entry in shown.values())
    assert all(c.caption == "" for c in candidates_of(select, "none"))
    sort = samples[1]
    assert [e.clip_id for e in sort.candidates] != ["c1", "c2", "c3"]  # never shown in order
    order = sort.record.meta.answer.order
    assert [sort.candidates[i].clip_id for i in order] == ["c1", "c2", "c3"]


def test_tasks_an_ad_cannot_give_are_counted_not_hidden(cli, tmp_path):
    ad = copy.deepcopy(ZH_ADS[1])
    ad["clips"] = ad["clips"][:2]  # no distractor left: no select sample
    ad["script"] = ad["script"][:1]  # one line for two clips: no script sample
    data = write_ads(tmp_path / "zh.jsonl", [ZH_ADS[0], ad])
    code, stdout, stderr = cli("eval", "--data", str(data), *OVERLAP, "-o", str(tmp_path / "e"),
                               "--no-plots")  # fmt: skip
    assert code == 0, stderr
    assert "4 sample(s) scored" in stdout
    assert "Caption data: script: 1 ad(s) gave no sample (1 script lines for 2 clips" in stderr
    assert "Caption data: select: 1 ad(s) gave no sample (no distractor clips" in stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda ad: ad["gold"].update(order=["c1", "c9"]),
            r"en\.jsonl:1: invalid caption ad.*no clip has clip_id 'c9'",
        ),
        (lambda ad: ad["gold"].update(order=["c1", 7]), r"position 7 is outside 0\.\.5"),
        (lambda ad: ad["gold"].update(order=["c1", "c1"]), "gold.order names a clip twice"),
        (lambda ad: ad["clips"][0].pop("end"), r"field 'clips\.0'.*give both start and end"),
        (
            lambda ad: ad["clips"][0].update(captions="typo"),
            r"field 'clips\.0\.captions': unknown field",
        ),
        (lambda ad: ad.update(script=["fine", " "]), "script line 1 is blank"),
        (lambda ad: ad.update(lang="fr"), "lang must be 'en' or 'zh'"),
        (
            lambda ad: ad["gold"].update(selected=["c1"]),
            "gold.order and gold.selected name different clips",
        ),
        (lambda ad: ad.pop("product"), r"field 'product': required field is missing"),
    ],
)
def test_hostile_caption_ads_are_refused_with_file_line_and_field(tmp_path, change, message):
    ad = copy.deepcopy(EN_ADS[0])
    change(ad)
    path = write_ads(tmp_path / "en.jsonl", [ad])
    with pytest.raises(InputError, match=f"(?s){message}"):
        read_test_set(path)


def test_layouts_are_not_mixed_in_one_file(tmp_path, sft):
    lines = sft.path.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_text(lines[0] + "\n" + json.dumps(EN_ADS[0]) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"mixed\.jsonl:2: a caption ad .* in a file of SFT"):
        read_test_set(path)


def test_a_task_the_backbone_cannot_see_is_refused_or_run_loudly(cli, tmp_path):
    blank = copy.deepcopy(EN_ADS[:1])
    for clip in blank[0]["clips"]:
        clip["caption"] = ""
    data = write_ads(tmp_path / "blank.jsonl", blank)
    out = tmp_path / "e"
    code, _, stderr = cli("eval", "--data", str(data), *OVERLAP, "-o", str(out), "--no-plots")
    assert code != 0
    assert "backbone 'similarity' cannot see the inputs of 3 task(s)" in stderr
    assert "sort: 1 of 1 sample(s), e.g. sort/en-shoe/1/" in stderr
    assert "none of the 3 clips has a caption" in stderr and "--allow-blind" in stderr
    assert not (out / "results.jsonl").exists()

    code, _stdout, stderr = cli("eval", "--data", str(data), *OVERLAP, "-o", str(out),
                               "--no-plots", "--allow-blind")  # fmt: skip
    assert code == 0, stderr
    assert "Warning: RUN BLIND (--allow-blind): sort: 1 of 1 sample(s)" in stderr
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "- WARNING: similarity ran blind on select: 1 of 1 sample(s)" in report
    assert json.loads((out / "run.json").read_text())["blind"][0].startswith("select: 1 of 1")


def test_the_trained_model_is_blind_on_caption_data(tmp_path):
    """``lm`` reads clips by their video tokens only, and caption data has none."""
    from autocut_plugins.lm.backbone import LMBackbone

    from autocut_core.evaluation.harness import evaluate

    data = write_ads(tmp_path / "zh.jsonl", ZH_ADS)
    lm = LMBackbone.from_options({})  # the model loads on first use: refused before that
    with pytest.raises(InputError, match=r"backbone 'lm' cannot see(.|\n)*none of the 6 clips "
                       r"has video tokens"):  # fmt: skip
        evaluate(data, lm, tmp_path / "lm", tasks=["select", "sort"], plots=False)


def test_openai_on_chinese_caption_data_is_asked_in_chinese_and_malformed_answers_count(
    cli, tmp_path
):
    """A real loopback chat server: the paper's bare answer is read, a repeated index is a
    malformed answer (an error, scored as invalid), never a guess."""
    from autocut_core.testing.chat_server import LocalChatServer, Reply

    data = write_ads(tmp_path / "zh.jsonl", ZH_ADS)
    with LocalChatServer() as server:
        server.push(Reply.text("0,1,2"), Reply.text("0,0"))
        code, stdout, stderr = cli(
            "eval", "--data", str(data), "--backbone", "openai",
            "--backbone-opt", f"base_url={server.url}", "--backbone-opt", "api_key_env=\"\"",
            "--backbone-opt", "cache=false", "--backbone-opt", "reask=false",
            "--backbone-opt", "max_retries=0", "--task", "sort", "-o", str(tmp_path / "e"),
            "--no-plots", "--json",
        )  # fmt: skip
        requests = [request.text() for request in server.requests]
    assert code == 0, stderr
    summary = json.loads(stdout)
    assert summary["run"] == {"scored": 2, "skipped": 0, "errors": 1,
                              "seconds": summary["run"]["seconds"]}  # fmt: skip
    (system,) = summary["systems"]
    assert system["errors"] == {"sort": 1} and system["metrics"]["sort"]["valid"] == 0.5
    assert all("请你根据提供的广告台词顺序，将视频片段进行排序" in text for text in requests)
    assert "【商品】冷泡茶\n【品牌】山岚\n【卖点】零糖；冷泡" in requests[0]
    assert "【商品】东北大米\n\n【广告台词如下】" in requests[1]  # no 【品牌】无
    assert "秒）" not in requests[0] and "（2.0 秒）" in requests[1]  # times only where known
    results = [json.loads(line) for line in (tmp_path / "e" / "results.jsonl").open()]
    assert "index 0 appears twice" in results[1]["error"]
