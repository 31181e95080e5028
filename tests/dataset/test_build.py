"""`autocut dataset build` on the session's synthetic ads: formats, tasks, split, filters."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter

import pytest

from autocut_core.dataset.transcripts import load_sentences
from autocut_core.editing.prompts import ANSWER_KEYS, format_answer, leaked_sentences, parse_answer
from autocut_core.errors import InputError
from autocut_core.evaluation.records import read_samples
from autocut_core.inputs import load_product
from autocut_core.media import probe
from autocut_core.testing.synthetic_ads import write_corpus
from autocut_core.tokens.strings import parse_codes

from .conftest import AUDIO_TOKENIZER, VIDEO_TOKENIZER, autocut, read_jsonl

pytestmark = pytest.mark.slow

CLIP = re.compile(
    r"<\|clip_start\|><\|text_start\|>[^<]+<\|text_end\|><\|video_start\|>"
    r"(?:<\|frame_start\|>(?:<v_\d+_\d+>)+<\|frame_end\|>)+<\|video_end\|><\|clip_end\|>"
)


def test_every_file_is_written(built):
    names = {p.relative_to(built.folder).as_posix() for p in built.folder.rglob("*") if p.is_file()}
    for name in ("align/train.jsonl", "align/val.jsonl", "sft/train.jsonl", "sft/val.jsonl",
                 "ads.jsonl", "dataset_info.json", "summary.json",
                 "tokenizers/video/tokenizer.json", "tokenizers/audio/tokenizer.json",
                 "db/materials.sqlite"):  # fmt: skip
        assert name in names
    assert not [name for name in names if name.endswith(".part")]


def test_the_filters_remove_exactly_the_bad_ads(built):
    summary, expected = built.summary, built.corpus.expected
    for name, result in summary["filters"].items():
        wanted = sorted(ad for ad, outcome in expected.items() if outcome == name)
        assert result["ads"] == wanted, name
        assert result["removed"] == len(wanted)
    assert summary["filters"]["relevance"]["available"] is False
    skipped = {entry["ad_id"]: entry["reason"] for entry in summary["skipped"]}
    assert sorted(skipped) == sorted(ad for ad, outcome in expected.items() if outcome == "skipped")
    assert (
        "bad_broken_srt.srt: line 5: expected a 'start --> end' line" in skipped["bad_broken_srt"]
    )
    assert skipped["bad_missing_transcript"].startswith("no transcript: expected")
    statuses = {ad["ad_id"]: ad["status"] for ad in read_jsonl(built.folder / "ads.jsonl")}
    assert sorted(a for a, s in statuses.items() if s == "sft") == sorted(
        ad for ad, outcome in expected.items() if outcome == "sft"
    )
    assert summary["ads"] == {"found": 15, "skipped": 3, "alignment": 12, "sft": 8}


def test_alignment_lines_are_one_token_sequence_per_ad(built):
    manifest = {ad["ad_id"]: ad for ad in read_jsonl(built.folder / "ads.jsonl")}
    lines = built.records("align", "train") + built.records("align", "val")
    assert sorted(line["ad_id"] for line in lines) == sorted(
        ad for ad, entry in manifest.items() if entry["status"] in ("align", "sft")
    )
    for line in lines:
        assert set(line) == {"text", "ad_id"}
        text, ad = line["text"], manifest[line["ad_id"]]
        assert text.startswith("<|ad_start|>") and text.endswith("<|ad_end|>")
        assert len(CLIP.findall(text)) == len(ad["clips"])
        for clip in ad["clips"]:
            assert f"<|text_start|>{clip['text']}<|text_end|>" in text
            assert clip["frames"] >= 1
        music = re.findall(r"<\|audio_start\|>(.*?)<\|audio_end\|>", text)
        assert len(music) == (1 if ad["track_id"] else 0)
        # An ad without a .bgm sidecar (the long one) has the repet music stem instead.
        stem = "separator repet:repet-sim-d0.5-k40-t0:v1 (music stem)"
        assert ad["music_source"] == ("sidecar" if ad["bgm"] else stem)
        if music:
            audio = built.summary["tokenizers"]["audio"]
            assert parse_codes(music[0], "a", audio["heads"], audio["codebook_size"]).shape == (
                1,
                8,
            )
        facts = text.split("<|clip_start|>")[0]
        assert ("【商品】" in facts) == (ad["language"] == "zh")


def test_sft_lines_have_the_sharegpt_shape(built):
    for record in built.sft():
        assert list(record) == ["conversations", "system", "task", "lang", "ad_id", "meta"]
        human, gpt = record["conversations"]
        assert human["from"] == "human" and gpt["from"] == "gpt"
        assert isinstance(record["system"], str) and record["system"]
        assert record["lang"] in ("en", "zh")
        meta = record["meta"]
        assert meta["product"]["name"] and meta["candidates"]
        value = parse_answer(record["task"], gpt["value"], candidates=len(meta["candidates"]))
        assert value == meta["answer"][ANSWER_KEYS[record["task"]]]
        assert format_answer(record["task"], value) == gpt["value"]


def test_every_sft_ad_has_each_task_once(built):
    sft_ads = [ad for ad, outcome in built.corpus.expected.items() if outcome == "sft"]
    counts = Counter((record["ad_id"], record["task"]) for record in built.sft())
    assert set(counts.values()) == {1}
    assert {ad for ad, _ in counts} == set(sft_ads)
    for task in ("select", "sort", "script", "music"):
        assert sum(1 for ad, t in counts if t == task) == len(sft_ads)
    files = {
        split: Counter(r["task"] for r in built.records("sft", split)) for split in ("train", "val")
    }
    assert {split: dict(count) for split, count in files.items()} == built.summary["records"]["sft"]


def ads_by_id(built) -> dict[str, dict]:
    return {ad["ad_id"]: ad for ad in read_jsonl(built.folder / "ads.jsonl")}


def test_select_pools_are_half_positives_half_negatives(built):
    ads = ads_by_id(built)
    for record in (r for r in built.sft() if r["task"] == "select"):
        meta, ad = record["meta"], ads[record["ad_id"]]
        positives = [i for i, c in enumerate(meta["candidates"]) if c["ad_id"] == record["ad_id"]]
        assert meta["answer"]["indices"] == positives
        assert len(positives) == len(ad["clips"]) == len(meta["candidates"]) // 2
        assert sorted(meta["candidates"][i]["text"] for i in positives) == sorted(meta["script"])
        assert f"Select the {len(positives)} clips" in record["conversations"][0]["value"] or (
            f"{len(positives)}个片段" in record["conversations"][0]["value"]
        )
        negatives = [c for c in meta["candidates"] if c["ad_id"] != record["ad_id"]]
        assert all(ads[c["ad_id"]]["status"] == "sft" for c in negatives)
        assert "bad_duplicate" not in {c["ad_id"] for c in negatives}


def test_no_select_prompt_shows_a_clips_own_sentence(built):
    """The candidates are video tokens only: a positive's sentence is a script line, so
    showing it would give the answer away (the script section lists it once, as asked)."""
    selects = [r for r in built.sft() if r["task"] == "select"]
    assert selects
    for record in selects:
        human = record["conversations"][0]["value"]
        pool = human.split("【候选片段】" if record["lang"] == "zh" else "Candidate clips")[1]
        assert "<|text_start|>" not in human
        for clip in record["meta"]["candidates"]:
            assert clip["text"] and clip["text"] not in pool
        assert leaked_sentences(human, record["meta"]["script"]) == []


def test_sort_answers_put_the_shuffled_clips_back_in_script_order(built):
    for record in (r for r in built.sft() if r["task"] == "sort"):
        meta = record["meta"]
        order = meta["answer"]["order"]
        assert sorted(order) == list(range(len(meta["candidates"])))
        assert [meta["candidates"][i]["text"] for i in order] == meta["script"]
        assert order != sorted(order)  # never shown already in order
        assert "<|text_start|>" not in record["conversations"][0]["value"]


def test_script_answers_have_one_line_per_clip(built):
    ads = ads_by_id(built)
    for record in (r for r in built.sft() if r["task"] == "script"):
        meta, ad = record["meta"], ads[record["ad_id"]]
        lines = record["conversations"][1]["value"].split("\n")
        assert lines == meta["answer"]["lines"] == [clip["text"] for clip in ad["clips"]]
        assert len(lines) == len(meta["candidates"])
        assert "script" not in meta


def test_music_answers_are_the_ads_own_track_among_a_pool(built):
    audio = built.summary["tokenizers"]["audio"]
    ads = ads_by_id(built)
    for record in (r for r in built.sft() if r["task"] == "music"):
        meta = record["meta"]
        tokens = parse_answer(
            "music", record["conversations"][1]["value"],
            heads=audio["heads"], codebook_size=audio["codebook_size"],
        )  # fmt: skip
        assert tokens == meta["answer"]["tokens"]
        assert meta["answer"]["track_id"] == ads[record["ad_id"]]["track_id"]
        pool = [track["track_id"] for track in meta["music_pool"]]
        assert len(set(pool)) == len(pool) and pool.count(meta["answer"]["track_id"]) == 1
        assert len(pool) >= 2
        for track in meta["music_pool"]:
            parse_codes(track["tokens"], "a", audio["heads"], audio["codebook_size"])


def test_chinese_ads_get_chinese_prompts(built):
    chinese = [r for r in built.sft() if r["lang"] == "zh"]
    assert chinese
    for record in chinese:
        human = record["conversations"][0]["value"]
        assert all(label in human for label in ("【商品】", "【品牌】", "【卖点】"))
        assert record["system"].startswith("你是 AutoCut")
        assert record["meta"]["product"]["brand"] in human


def test_the_split_is_by_ad_and_nothing_of_validation_reaches_training(built):
    for corpus in ("align", "sft"):
        train = {r["ad_id"] for r in built.records(corpus, "train")}
        val = {r["ad_id"] for r in built.records(corpus, "val")}
        assert train and val and not train & val
    val_ads = set(built.summary["split"]["val"])
    for record in built.records("sft", "train"):
        seen = {c["ad_id"] for c in record["meta"]["candidates"]}
        assert not seen & val_ads
        tracks = {t["track_id"] for t in record["meta"].get("music_pool", [])}
        val_tracks = {a["track_id"] for a in ads_by_id(built).values() if a["ad_id"] in val_ads}
        assert not tracks & val_tracks
    # The duplicate shares its original's side.
    sides = {ad["ad_id"]: ad["split"] for ad in read_jsonl(built.folder / "ads.jsonl")}
    original = next(p.copy_of for p in (a.plan for a in built.corpus.ads) if p.copy_of)
    assert sides["bad_duplicate"] == sides[original]


def test_the_eval_harness_reads_the_validation_set(built):
    samples = read_samples(built.folder / "sft" / "val.jsonl")
    assert sorted({s.task for s in samples}) == ["music", "script", "select", "sort"]


def test_dataset_info_describes_both_corpora_for_llama_factory(built):
    info = json.loads((built.folder / "dataset_info.json").read_text())
    sft = info["autocut_sft_train"]
    assert sft["formatting"] == "sharegpt" and sft["file_name"] == "sft/train.jsonl"
    assert sft["columns"] == {"messages": "conversations", "system": "system"}
    assert sft["tags"] == {"role_tag": "from", "content_tag": "value",
                           "user_tag": "human", "assistant_tag": "gpt"}  # fmt: skip
    assert info["autocut_align_val"] == {
        "file_name": "align/val.jsonl",
        "columns": {"prompt": "text"},
    }
    for entry in info.values():
        assert (built.folder / entry["file_name"]).is_file()


def test_rebuilding_is_safe_and_gives_the_same_files(built, tmp_path):
    files = [
        "align/train.jsonl",
        "align/val.jsonl",
        "sft/train.jsonl",
        "sft/val.jsonl",
        "ads.jsonl",
    ]
    before = {name: (built.folder / name).read_bytes() for name in files}
    again = json.loads(autocut(
        "dataset", "build", str(built.corpus.folder), "-o", str(built.folder),
        "--config", str(built.config), "--jobs", "1", *VIDEO_TOKENIZER, *AUDIO_TOKENIZER,
        "--no-transcribe", "--json",
    ))  # fmt: skip
    assert again["index"]["new_videos"] == 0 and again["index"]["unchanged"] > 0
    assert again["tokenizers"]["video"]["reused"] and again["tokenizers"]["audio"]["reused"]
    assert {name: (built.folder / name).read_bytes() for name in files} == before
    # Elsewhere, from the same database and the trained tokenizers given by checkpoint.
    given = [
        "--tokenizer-opt", f"checkpoint={built.folder / 'tokenizers' / 'video'}",
        "--audio-tokenizer-opt", f"checkpoint={built.folder / 'tokenizers' / 'audio'}",
    ]  # fmt: skip
    other = tmp_path / "copy"
    autocut("dataset", "build", str(built.corpus.folder), "-o", str(other), "--db",
            str(built.folder / "db"), "--config", str(built.config), *given,
            "--no-transcribe")  # fmt: skip
    assert {name: (other / name).read_bytes() for name in files} == before
    assert not (other / "db").exists()
    # Another seed: another split or other shuffles.
    reseeded = tmp_path / "seed"
    autocut("dataset", "build", str(built.corpus.folder), "-o", str(reseeded), "--db",
            str(built.folder / "db"), "--config", str(built.config), "--seed", "7", *given)  # fmt: skip
    assert (reseeded / "sft" / "train.jsonl").read_bytes() != before["sft/train.jsonl"]


def test_both_languages_and_several_samples_on_request(built, tmp_path):
    given = [
        "--tokenizer-opt", f"checkpoint={built.folder / 'tokenizers' / 'video'}",
        "--audio-tokenizer-opt", f"checkpoint={built.folder / 'tokenizers' / 'audio'}",
    ]  # fmt: skip
    summary = json.loads(autocut(
        "dataset", "build", str(built.corpus.folder), "-o", str(tmp_path), "--db",
        str(built.folder / "db"), "--config", str(built.config), "--lang", "both",
        "--samples-per-ad", "2", "--tasks", "select,sort", "--max-frames-per-clip", "1",
        *given, "--json",
    ))  # fmt: skip
    records = read_jsonl(tmp_path / "sft" / "train.jsonl")
    per_ad = Counter((r["ad_id"], r["task"], r["lang"]) for r in records)
    assert set(per_ad.values()) == {2} and {r["task"] for r in records} == {"select", "sort"}
    assert summary["records"]["sft"]["train"] == {"select": 4 * len({r["ad_id"] for r in records}),
                                                  "sort": 4 * len({r["ad_id"] for r in records})}  # fmt: skip
    for record in records:
        for candidate in record["meta"]["candidates"]:
            assert candidate["tokens"].count("<|frame_start|>") == 1
    # The summary describes the given checkpoints, not the option defaults.
    for kind in ("video", "audio"):
        shown = summary["tokenizers"][kind]["options"]
        saved = json.loads((built.folder / "tokenizers" / kind / "tokenizer.json").read_text())
        assert (shown["preset"], shown["codebook_size"]) == (
            saved["preset"],
            saved["codebook_size"],
        )


def test_stats_prints_figure_3s_table_and_draws_it(built, tmp_path):
    plot = tmp_path / "fig3.png"
    table = autocut("dataset", "stats", str(built.folder), "--plot", str(plot))
    assert "clips per ad" in table and "clip duration (s)" in table and "ad text length" in table
    assert re.search(r"clips per ad\s+sft\s+8\s", table)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 10_000
    stats = json.loads(autocut("dataset", "stats", str(built.folder), "--json"))
    assert stats["stages"]["alignment"]["ad_seconds"]["max"] >= 120  # the long ad is aligned
    assert stats["stages"]["sft"]["ad_seconds"]["max"] < 120
    assert stats["stages"]["sft"]["clip_seconds"]["min"] >= 2
    assert stats["records"] == built.summary["records"] | {"sft": built.summary["records"]["sft"]}


# --- the synthetic ads the build read --------------------------------------------------------


def test_written_ads_match_their_plans(synthetic):
    for ad in synthetic.ads:
        plan = ad.plan
        facts = probe(ad.video)
        assert facts.duration == pytest.approx(ad.duration, abs=0.15)
        assert facts.has_audio and (facts.width, facts.height) == (160, 120)
        assert load_product(ad.product) == plan.product
        if plan.music:
            assert probe(ad.bgm).duration == pytest.approx(ad.duration, abs=0.15)
        else:
            assert ad.bgm is None and plan.kind == "too_long" and ad.duration >= 120
        if plan.kind == "missing_transcript":
            assert ad.transcript is None
        elif plan.kind == "broken_srt":
            with pytest.raises(InputError, match="line 5"):
                load_sentences(ad.transcript)
        elif plan.kind == "empty":
            assert load_sentences(ad.transcript) == []
        else:
            sentences = load_sentences(ad.transcript)
            assert [s.text for s in sentences] == list(plan.script)
            assert [(s.start, s.end) for s in sentences] == [c[:2] for c in ad.cues]


def test_a_duplicate_is_a_byte_for_byte_copy(synthetic):
    by_id = {ad.plan.ad_id: ad for ad in synthetic.ads}
    copy = by_id["bad_duplicate"]
    original = by_id[copy.plan.copy_of]
    for field in ("video", "transcript", "bgm"):
        assert getattr(copy, field).read_bytes() == getattr(original, field).read_bytes()


def test_rendering_is_deterministic(synthetic, tmp_path):
    plan = next(ad.plan for ad in synthetic.ads if ad.plan.kind == "repetitive")
    again = write_corpus([dataclasses.replace(plan)], tmp_path).ads[0]
    first = next(ad for ad in synthetic.ads if ad.plan == plan)
    assert again.video.read_bytes() == first.video.read_bytes()
    assert again.bgm.read_bytes() == first.bgm.read_bytes()
    assert again.transcript.read_text() == first.transcript.read_text()
