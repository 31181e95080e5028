"""The ``reference`` profile: the reference implementation's prompts, answers and files.

The strings below are the reference's (AdAutoCut/Autocut,
``data_preprocess/sft_data_generator_CT2.py``), written out here by hand so that a change of
one character in :mod:`autocut_core.editing.reference_prompts` fails. The corpus is the
session's synthetic one, rebuilt with ``--profile reference`` from the same database and
tokenizers (no indexing, no training). LLaMA-Factory is not installed here, so its reading
is checked the way its loader does it: the reference's configs name the datasets, the
``dataset_info.json`` maps them to files and columns, and each row must then be a ShareGPT
conversation in the tags given.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from autocut_core.editing.profiles import corpus_profile, get_profile
from autocut_core.editing.prompts import AnswerParseError, format_answer
from autocut_core.editing.records import RECORD_TYPES
from autocut_core.errors import InputError
from autocut_core.evaluation.records import read_samples
from autocut_core.types import Candidate, Clip, Product

from .conftest import autocut, read_jsonl

REFERENCE = get_profile("reference")
PRODUCT = Product(name="保温杯", brand="", selling_points=("保温12小时", "一键开盖"))
FRAMES = "<|frame_start|><v_0_1><v_1_2><|frame_end|>"
CLIP = f"<|clip_start|><|video_start|>{FRAMES}<|video_end|><|clip_end|>"
#: The dataset names of the reference's LLaMA-Factory configs (sft_emb_H800_mz.yaml,
#: pt_emb_H800.yaml): what `dataset:` and `eval_dataset:` say there.
REFERENCE_CONFIGS = {
    "sft": {"dataset": "sft_1109_train", "eval_dataset": "sft_1109_eval"},
    "pt": {"dataset": "pt_831_train", "eval_dataset": "pt_831_eval"},
}


def _clips(count: int) -> list[Candidate]:
    return [Candidate(Clip(f"s{i}", 0.0, 2.0), FRAMES, f"own sentence {i}") for i in range(count)]


# -- prompts and answers ------------------------------------------------------------------------


def test_select_is_asked_in_the_reference_wording():
    system, human = REFERENCE.build_prompt("select", PRODUCT, ["第一句", "第二句"], _clips(3))
    assert system == ""
    assert human == (
        "你是专业的视频剪辑师。请你根据商品信息和广告台词，从提供的素材池中选择相关的视频片段，并输出它们的编号。\n"
        "【输出要求】\n"
        " 1）只输出与下方台词句数相同数量的视频片段编号；\n"
        " 2）输出的视频片段编号不能有重复；\n"
        "【本次台词总句数】：2 段；\n"
        "【商品】：保温杯\n"
        "【品牌】：无\n"
        "【卖点】：保温12小时；一键开盖\n"
        "【广告台词如下】\n"
        "第一句\n第二句\n\n"
        "【视频片段素材（含不相关的样本，正样本约占一半）】\n"
        f"1){CLIP}\n2){CLIP}\n3){CLIP}\n"
        "【现在请输出相关的视频片段编号】"
    )  # fmt: skip
    assert "own sentence" not in human  # a candidate's own sentence is never shown


def test_sort_script_and_music_are_asked_in_the_reference_wording():
    _, sort = REFERENCE.build_prompt("sort", PRODUCT, ["第一句", "第二句"], _clips(2))
    assert sort == (
        "你是专业的视频剪辑师。请你根据提供的广告台词顺序，将视频片段进行排序。\n"
        "【输出要求】\n"
        " 1）只输出与下方台词句数相同数量的视频片段编号；\n"
        " 2）输出的视频片段编号不能有重复；\n"
        "【本次台词总句数】：2 段；\n"
        "【商品】：保温杯\n【品牌】：无\n【卖点】：保温12小时；一键开盖\n"
        "【广告台词如下】\n第一句\n第二句\n\n"
        f"【视频片段如下】\n1){CLIP}\n2){CLIP}\n"
        "【现在请输出按正确顺序排列的视频片段编号序列】"
    )  # fmt: skip
    _, script = REFERENCE.build_prompt("script", PRODUCT, None, _clips(2))
    assert script == (
        "你是专业广告台词助手。看到每个视频片段的视频帧 token 后，为该视频片段写一句中文台词，"
        "要求口语自然连贯、贴合画面、符合商品和品牌信息。\n"
        "【输出要求】\n"
        " 1) 只输出与下方视频片段数量相同的台词行数；\n"
        " 2) 每行对应一个视频片段，顺序与视频 tokens 中的视频片段顺序一致；\n"
        "【本次片段总数】：2 段；请严格输出 2 行台词（每行一句）。\n"
        "【商品】：保温杯\n【品牌】：无\n【卖点】：保温12小时；一键开盖\n"
        f"【视频片段如下】\n1){CLIP}\n2){CLIP}\n"
        "【现在开始输出台词】"
    )  # fmt: skip
    bare = [Candidate(Clip("s9", 0.0, 2.0), "", "")]
    _, music = REFERENCE.build_prompt("music", PRODUCT, ["  只有 一句 "], bare)
    assert music == (
        "你是专业的广告背景音乐生成助手。请根据广告的商品信息、台词、以及视频片段，输出对应广告的背景音频。\n"
        "【输出要求】\n"
        "1) 只输出一行，且仅包含 <|audio_start|>…<|audio_end|>；\n"
        "2) 禁止输出任何解释、编号、引号或额外符号。\n\n"
        "【商品】：保温杯\n【品牌】：无\n【卖点】：保温12小时；一键开盖\n"
        "【台词和视频片段如下】\n"
        "<|clip_start|><|text_start|>只有 一句<|text_end|><|video_start|><|frame_start|>"
        "<|frame_end|><|video_end|><|clip_end|>\n"
        "【现在请输出相关的背景音乐】"
    )  # fmt: skip
    with pytest.raises(ValueError, match=r"2 sentences for 1 clips"):
        REFERENCE.build_prompt("music", PRODUCT, ["一", "二"], bare)


def test_only_chinese_prompts_exist_in_the_reference_profile():
    with pytest.raises(ValueError, match=r"profile 'reference' has prompts in zh only, not 'en'"):
        REFERENCE.build_prompt("sort", PRODUCT, ["a"], _clips(1), "en")
    assert REFERENCE.language("An English script.") == "zh"


@pytest.mark.parametrize(
    ("task", "answer", "text"),
    [("select", [4, 0, 11], "1,5,12"), ("sort", [2, 0, 1], "3,1,2"), ("sort", [0], "1")],
)
def test_answers_are_1_based_comma_lists_and_parse_back(task, answer, text):
    assert REFERENCE.format_answer(task, answer) == text
    parsed = REFERENCE.parse_answer(task, text, candidates=12 if task == "select" else len(answer))
    assert parsed == (sorted(answer) if task == "select" else answer)
    assert format_answer(task, answer) == "[" + ", ".join(map(str, sorted(answer) if task == "select" else answer)) + "]"  # fmt: skip


@pytest.mark.parametrize(
    ("task", "text", "message"),
    [
        ("select", "", "select answer: the answer is empty"),
        ("select", "[1,2]", "select answer: '[1' is not an index at offset 0"),
        ("select", "1,,2", "select answer: an empty item at offset 2"),
        ("select", "0,3", "select answer: index 0 out of range (clips 1..6) at offset 0"),
        ("select", "2, 7", "select answer: index 7 out of range (clips 1..6) at offset 3"),
        ("select", "1，2", "select answer: '1，2' is not an index at offset 0"),
        ("select", "3,3", "select answer: index 3 appears twice at offset 2"),
        ("select", "1,2,3", "select answer: 3 clips chosen, 2 wanted"),
        ("sort", "1,2", "sort answer: not a permutation of 1..3 (2 indices given)"),
        ("sort", "1,2,3.", "sort answer: '3.' is not an index at offset 4"),
    ],
)
def test_answers_are_parsed_as_strictly_as_autocuts(task, text, message):
    limits = {"candidates": 6, "count": 2} if task == "select" else {"candidates": 3}
    with pytest.raises(AnswerParseError) as caught:
        REFERENCE.parse_answer(task, text, **limits)
    assert str(caught.value).startswith(message)


def test_an_unknown_profile_names_the_known_ones():
    with pytest.raises(
        ValueError, match=r"unknown prompt profile 'paper'; profiles are autocut, reference"
    ):
        get_profile("paper")


# -- the corpus ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reference(built, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The session corpus rebuilt in the reference profile (its database and tokenizers)."""
    out = tmp_path_factory.mktemp("reference") / "data"
    summary = json.loads(autocut(
        "dataset", "build", str(built.corpus.folder), "-o", str(out), "--db",
        str(built.folder / "db"), "--config", str(built.config), "--profile", "reference",
        "--tokenizer-opt", f"checkpoint={built.folder / 'tokenizers' / 'video'}",
        "--audio-tokenizer-opt", f"checkpoint={built.folder / 'tokenizers' / 'audio'}",
        "--no-transcribe", "--json",
    ))  # fmt: skip
    return out, summary


def test_the_profile_is_recorded_and_read_back(reference):
    out, summary = reference
    assert summary["profile"] == "reference"
    assert corpus_profile(out / "sft" / "val.jsonl") == "reference"
    assert corpus_profile(out / "sft" / "nowhere" / "x.jsonl") == "autocut"  # no summary there


def test_each_ad_gives_one_task_and_the_tasks_are_balanced(reference, built):
    out, summary = reference
    records = read_jsonl(out / "sft" / "train.jsonl") + read_jsonl(out / "sft" / "val.jsonl")
    per_ad = Counter(record["ad_id"] for record in records)
    assert set(per_ad.values()) == {1}
    assert set(per_ad) == {r["ad_id"] for r in built.sft()}  # every SFT ad, once
    train = Counter(record["task"] for record in read_jsonl(out / "sft" / "train.jsonl"))
    assert max(train.values()) - min(train.values()) <= 1 and len(train) == 4, train
    assert summary["records"]["sft"]["train"] == {
        task: train[task] for task in summary["records"]["sft"]["train"]
    }


def test_every_record_is_the_reference_format_and_still_evaluates(reference):
    out, _ = reference
    heads = {
        "select": "你是专业的视频剪辑师。请你根据商品信息和广告台词",
        "sort": "你是专业的视频剪辑师。请你根据提供的广告台词顺序",
        "script": "你是专业广告台词助手。",
        "music": "你是专业的广告背景音乐生成助手。",
    }
    for split in ("train", "val"):
        for record in read_jsonl(out / "sft" / f"{split}.jsonl"):
            task, (asked, answer) = record["task"], record["conversations"]
            assert record["lang"] == "zh" and record["system"] == ""
            assert asked["from"] == "human" and asked["value"].startswith(heads[task])
            typed = RECORD_TYPES[task].model_validate(record)
            if task in ("select", "sort"):
                assert re.fullmatch(r"[1-9][0-9]*(,[1-9][0-9]*)*", answer["value"])
                limits = {"candidates": len(typed.meta.candidates)}
                assert (
                    REFERENCE.parse_answer(task, answer["value"], **limits)
                    == typed.meta.answer_value
                )
            if task == "select":
                assert "<|text_start|>" not in asked["value"]
    assert read_samples(out / "sft" / "val.jsonl")  # the harness reads it (no leak refused)


def test_the_alignment_text_is_the_references_without_product_facts(reference):
    out, _ = reference
    for line in read_jsonl(out / "align" / "train.jsonl"):
        assert line["text"].startswith("<|ad_start|><|clip_start|><|text_start|>")
        assert line["text"].endswith("<|ad_end|>") and "【商品】" not in line["text"]


def test_the_references_llamafactory_configs_read_the_files_unchanged(reference):
    """Resolve each name the reference's configs use as LLaMA-Factory does and check the rows."""
    out, _ = reference
    info = json.loads((out / "dataset_info.json").read_text(encoding="utf-8"))
    assert set(info) == {name for config in REFERENCE_CONFIGS.values() for name in config.values()}
    sft_jsonl = {"sft_1109_train": "train", "sft_1109_eval": "val"}
    for name in REFERENCE_CONFIGS["sft"].values():
        entry = info[name]
        assert entry["formatting"] == "sharegpt"
        columns, tags = entry["columns"], entry["tags"]
        assert columns == {"messages": "conversations", "system": "system", "tools": "tools"}
        rows = json.loads((out / entry["file_name"]).read_text(encoding="utf-8"))
        full = read_jsonl(out / "sft" / f"{sft_jsonl[name]}.jsonl")
        assert isinstance(rows, list) and len(rows) == len(full) > 0
        for row, record in zip(rows, full, strict=True):
            assert set(row) == {"conversations", "system", "tools"}  # nothing but the reference's
            assert row["system"] == "" and row["tools"] == ""
            roles = [turn[tags["role_tag"]] for turn in row[columns["messages"]]]
            assert roles == [tags["user_tag"], tags["assistant_tag"]]
            assert row["conversations"] == record["conversations"]
    for name in REFERENCE_CONFIGS["pt"].values():
        entry = info[name]
        assert entry["columns"] == {"prompt": "text"} and "formatting" not in entry
        assert all(isinstance(line["text"], str) for line in read_jsonl(out / entry["file_name"]))


def test_the_autocut_profile_keeps_its_dataset_info(built):
    info = json.loads((built.folder / "dataset_info.json").read_text(encoding="utf-8"))
    assert set(info) == {
        "autocut_sft_train",
        "autocut_sft_val",
        "autocut_align_train",
        "autocut_align_val",
    }
    assert built.summary["profile"] == "autocut" and not (built.folder / "llamafactory").exists()


def test_eval_records_the_test_sets_profile(reference, tmp_path):
    out, _ = reference
    autocut("eval", "--data", str(out / "sft" / "val.jsonl"), "--backbone", "random", "-o",
            str(tmp_path / "eval"), "--no-plots", "--json")  # fmt: skip
    run = json.loads((tmp_path / "eval" / "run.json").read_text(encoding="utf-8"))
    assert run["profile"] == "reference"


def test_a_language_the_profile_lacks_is_refused(built, cli, tmp_path):
    code, _, err = cli(
        "dataset", "build", str(built.corpus.folder), "-o", str(tmp_path / "x"),
        "--profile", "reference", "--lang", "en",
    )  # fmt: skip
    assert (
        code == 2 and "profile 'reference' has prompts in zh only; --lang en does not fit it" in err
    )
    code, _, err = cli("dataset", "build", str(built.corpus.folder), "-o", str(tmp_path / "y"),
                       "--profile", "paper")  # fmt: skip
    assert code == 2 and "profile must be one of autocut, reference, not 'paper'" in err
    (tmp_path / "bad" / "sft").mkdir(parents=True)
    (tmp_path / "bad" / "summary.json").write_text('{"profile": "paper"}')
    with pytest.raises(
        InputError, match=r"summary\.json: 'profile' must be one of autocut, reference"
    ):
        corpus_profile(tmp_path / "bad" / "sft" / "val.jsonl")
