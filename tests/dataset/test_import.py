"""`autocut dataset import`: each layout into caption JSONL, hostile rows refused and counted."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from autocut_core.dataset.importing import import_ads
from autocut_core.editing.caption_ads import CaptionAd, resolve_gold
from autocut_core.editing.records import dump_record
from autocut_core.errors import InputError
from autocut_core.evaluation.caption_data import caption_tasks

CSV_HEADER = ["ad_id", "clip_id", "caption", "order", "sentence", "start", "end", "source",
              "product", "brand", "selling_points", "lang"]  # fmt: skip
CSV_ROWS = [
    ["tea", "t2", "冰块落进透明的茶杯", "2", "冰块落进茶杯", "2", "4", "tea.mp4", "冷泡茶", "山岚",
     "零糖；冷泡", "zh"],
    ["tea", "t1", "茶园里采摘茶叶", "1", "清晨采摘茶叶", "0", "2", "tea.mp4", "", "", "", ""],
    ["tea", "x9", "城市夜晚的车流", "", "", "", "", "", "", "", "", ""],
    ["shoe", "s1", "a shoe on a scale", "1", "Light as air.", "", "", "", "Runner", "Acme", "", ""],
    ["shoe", "s2", "a runner on a trail", "2", "Run further.", "", "", "", "", "", "", ""],
]  # fmt: skip


def write_csv(path: Path, rows: list[list[str]], header: list[str] = CSV_HEADER) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_ads(path: Path) -> list[CaptionAd]:
    return [CaptionAd.model_validate_json(line) for line in path.read_text().splitlines()]


def test_csv_rows_become_ads(cli, tmp_path):
    source = write_csv(tmp_path / "ads.csv", CSV_ROWS)
    out = tmp_path / "ads.jsonl"
    code, stdout, stderr = cli("dataset", "import", str(source), "-o", str(out), "--layout", "csv")
    assert code == 0, stderr
    assert "Imported 2 ad(s) (5 clips)" in stdout and "refused 0" in stdout
    tea, shoe = read_ads(out)
    assert (tea.ad_id, tea.lang, tea.product.name, tea.product.brand) == (
        "tea",
        "zh",
        "冷泡茶",
        "山岚",
    )
    assert tea.product.selling_points == ("零糖", "冷泡")
    assert tea.script == ["清晨采摘茶叶", "冰块落进茶杯"]  # by order, not by row
    assert [c.clip_id for c in tea.clips] == ["t2", "t1", "x9"]
    assert (tea.clips[0].start, tea.clips[0].end, tea.clips[0].source) == (2.0, 4.0, "tea.mp4")
    assert tea.clips[2].timed is False
    assert resolve_gold(tea) == ([0, 1], [1, 0])
    assert shoe.lang is None and resolve_gold(shoe) == ([0, 1], [0, 1])
    # ... and the output runs through `autocut eval` as it is.
    code, stdout, stderr = cli("eval", "--data", str(out), "--backbone", "random", "-o",
                               str(tmp_path / "eval"), "--no-plots")  # fmt: skip
    assert code == 0, stderr
    assert (
        "3 sample(s) scored" in stdout
    )  # tea: select + sort, shoe: sort (random writes no script)
    assert "Caption data: select: 1 ad(s) gave no sample (no distractor clips" in stderr


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (["bad", "b1", "x", "two", "line"], "ads.csv:7: ad 'bad': column 'order': 'two' is not"),
        (["bad", "b1", "x", "1", ""], "ads.csv:7: ad 'bad': column 'sentence': empty for a clip"),
        (["bad", "b1", "x", "1", "s", "3"], "ads.csv:7: ad 'bad': column 'end': give start and"),
        (["bad", "b1", "x", "1", "s", "3", "2"], "column 'end': 2.0 is not after start 3.0"),
        (["bad", "b1", "x", "3", "s"], "ads.csv:7: ad 'bad': column 'order': the places [3] are"),
        (["bad", "", "x", "1", "s"], "ads.csv:7: ad 'bad': column 'clip_id': empty"),
        (
            ["tea", "t3", "x", "", "", "", "", "", "", "Other brand"],
            "ads.csv:7: ad 'tea': column 'brand': 'Other brand' differs from '山岚' on line 2",
        ),
    ],
)
def test_hostile_csv_rows_refuse_their_ad_and_are_counted(cli, tmp_path, row, message):
    source = write_csv(tmp_path / "ads.csv", [*CSV_ROWS, row + [""] * (12 - len(row))])
    out = tmp_path / "ads.jsonl"
    code, stdout, stderr = cli("dataset", "import", str(source), "-o", str(out), "--layout",
                               "csv", "--json")  # fmt: skip
    assert code == 0, stderr
    report = json.loads(stdout)
    refused_ad = row[0]
    assert report["refused"] == 1 and message in report["refusals"][0]
    assert report["imported"] == (1 if refused_ad == "tea" else 2)
    assert refused_ad not in {ad.ad_id for ad in read_ads(out)}


def test_a_bad_csv_header_imports_nothing(cli, tmp_path):
    source = write_csv(tmp_path / "ads.csv", [r[:3] + r[4:] for r in CSV_ROWS],
                       [h for h in CSV_HEADER if h != "order"] + [])  # fmt: skip
    code, _, stderr = cli("dataset", "import", str(source), "-o", str(tmp_path / "o.jsonl"),
                          "--layout", "csv")  # fmt: skip
    assert code != 0 and "no ad could be imported" in stderr
    assert "ads.csv:1: no gold column: give 'order' and/or 'selected'" in stderr
    typo = write_csv(tmp_path / "typo.csv", CSV_ROWS, [*CSV_HEADER[:-1], "language"])
    with pytest.raises(InputError, match=r"typo\.csv:1: unknown column\(s\) language"):
        import_ads(typo, tmp_path / "o.jsonl", "csv")
    assert not (tmp_path / "o.jsonl").exists()


def test_a_folder_of_per_ad_files(cli, tmp_path):
    folder = tmp_path / "ads"
    folder.mkdir()
    ad17 = {
        "ad_id": 17, "chunk_id": 3, "product": "冷泡茶", "brand": None, "features": ["零糖"],
        "video": "ads/17.mp4",
        "clips": [{"clip_id": 0, "text": "清晨采摘茶叶", "caption": "采摘茶叶的手", "start": 0.0,
                   "end": 2.1},
                  {"clip_id": 1, "text": "冰块落进茶杯", "caption": "透明茶杯里的冰块", "start": 2.1,
                   "end": 4.0}],
        "distractors": [{"ad_id": 3, "clip_id": 5, "caption": "城市夜晚的车流"}],
    }  # fmt: skip
    (folder / "17.json").write_text(json.dumps(ad17, ensure_ascii=False), encoding="utf-8")
    plain = {"product": "Runner", "features": None,
             "clips": [{"text": "Light as air.", "caption": "a shoe"}]}  # fmt: skip
    (folder / "shoe.json").write_text(json.dumps(plain), encoding="utf-8")
    (folder / "broken.json").write_text('{"clips": [', encoding="utf-8")
    (folder / "blank.json").write_text(json.dumps({"clips": [{"text": " ", "caption": "x"}]}))
    (folder / "wrong.json").write_text(json.dumps({"clips": "none"}))
    out = tmp_path / "ads.jsonl"
    code, stdout, stderr = cli("dataset", "import", str(folder), "-o", str(out), "--layout",
                               "folder")  # fmt: skip
    assert code == 0, stderr
    assert "Imported 2 ad(s) (4 clips)" in stdout and "refused 3" in stdout
    assert f"refused {folder / 'blank.json'}: field 'clips.0.text': empty" in stderr
    assert f"refused {folder / 'broken.json'}: not valid JSON (line 1, column 12" in stderr
    assert f"refused {folder / 'wrong.json'}: field 'clips': input should be a valid list" in stderr
    tea, shoe = read_ads(out)
    assert (tea.ad_id, tea.product.name, tea.product.brand, tea.product.selling_points) == (
        "17",
        "冷泡茶",
        "",
        ("零糖",),
    )
    assert tea.script == ["清晨采摘茶叶", "冰块落进茶杯"]
    assert [(c.clip_id, c.ad_id, c.source) for c in tea.clips] == [
        ("0", "", "ads/17.mp4"), ("1", "", "ads/17.mp4"), ("5", "3", "")]  # fmt: skip
    assert resolve_gold(tea) == ([0, 1], [0, 1])
    assert all(clip.caption != line for clip, line in zip(tea.clips, tea.script, strict=False))
    assert shoe.ad_id == "shoe" and shoe.product.selling_points == ()


def _sft_lines(ad: CaptionAd, uncaptioned: bool = False) -> list[str]:
    records = caption_tasks(ad).records
    lines = []
    for record in records:
        data = dump_record(record)
        for clip in data["meta"]["candidates"]:
            clip.update(source_id="src", start=clip.get("start", 0.0),
                        end=clip.get("end", 1.0))  # fmt: skip
            if uncaptioned:  # the builder's records: a transcript sentence, no caption
                clip.pop("caption", None)
                clip["text"] = "a transcript sentence"
        lines.append(json.dumps(data, ensure_ascii=False))
    return lines


def test_the_projects_sft_jsonl_is_grouped_into_ads(tmp_path):
    from tests.evaluation.caption_files import EN_ADS, ZH_ADS

    shoe = CaptionAd.model_validate(EN_ADS[0])
    tea = CaptionAd.model_validate(ZH_ADS[0])
    lines = _sft_lines(shoe) + _sft_lines(tea, uncaptioned=True)
    duplicate = lines[1]
    orphan = json.loads(lines[0]) | {"ad_id": ""}
    hostile = ["{not json", json.dumps(orphan), duplicate, '{"task": "edit"}']
    source = tmp_path / "val.jsonl"
    source.write_text("\n".join(lines + hostile) + "\n", encoding="utf-8")
    report = import_ads(source, tmp_path / "ads.jsonl", "sft")
    assert report.imported == 2 and len(report.refused) == 4
    assert [str(r).split(": ", 1)[0] for r in report.refused] == [
        f"{source}:{n}" for n in (7, 8, 9, 10)
    ]
    assert "not valid JSON" in str(report.refused[0])
    assert "field 'ad_id': empty" in str(report.refused[1])
    assert "a second sort record of ad 'en-shoe' (line 2 is used)" in str(report.refused[2])
    assert "field 'task': must be one of select, sort, script, music" in str(report.refused[3])
    got_shoe, got_tea = read_ads(tmp_path / "ads.jsonl")
    # The same ad back: its script, its clips in playing order, then the distractors.
    assert got_shoe.script == shoe.script and got_shoe.product == shoe.product
    own = [shoe.clips[i] for i in resolve_gold(shoe)[1] or []]
    assert [c.caption for c in got_shoe.clips[:3]] == [c.caption for c in own]
    assert {c.clip_id for c in got_shoe.clips[3:]} == {"d1", "d2", "d3"}
    assert resolve_gold(got_shoe) == ([0, 1, 2], [0, 1, 2])
    # The transcript sentence never becomes a caption; the report counts what has none.
    assert all(clip.caption == "" for clip in got_tea.clips)
    assert report.uncaptioned == 6 and "6 of 12 clips have no caption" in report.notes[0]
