"""`autocut eval` and its report: Table 1 in Markdown and HTML, plots, --compare."""

from __future__ import annotations

import json
import re

import pytest

from autocut_core.evaluation.columns import COLUMNS, ranks
from autocut_core.evaluation.report import html_page, markdown
from autocut_core.evaluation.summary import SystemSummary

from .conftest import table

PNG = b"\x89PNG\r\n\x1a\n"
BASE_HEADER = [
    "Model", "Video: CSA ↑", "Video: CRA ↑", "Video: Pairwise ↑", "Video: τ ↑",
    "Script: WCD ↓", "Audio: Hit@1 ↑", "Audio: Hit@3 ↑", "Audio: MRR ↑", "Audio: MSS-proxy ↑",
    "Project: CSA exact ↑", "Project: Pairwise strict ↑", "Project: τ strict ↑",
    "Project: WCD units ↓", "Project: WCD/ad ↓", "Project: Lines ↑",
]  # fmt: skip


def test_eval_writes_results_report_and_plots(cli, sft, autocut_fakes, tmp_path):
    out = tmp_path / "fake"
    code, stdout, stderr = cli("eval", "--data", str(sft.path), "--backbone", "fake",
                                    "-o", str(out))  # fmt: skip
    assert code == 0, stderr
    assert "8 sample(s) scored, 0 already scored (skipped), 0 failed" in stdout
    for name in ("run.json", "results.jsonl", "summary.json", "report.md", "report.html"):
        assert (out / name).is_file(), name
    for plot in ("table1.png", "hits.png"):
        assert (out / "plots" / plot).read_bytes().startswith(PNG)
    rows = table((out / "report.md").read_text(encoding="utf-8"))
    assert rows[0] == BASE_HEADER
    assert rows[1] == ["fake", "0.5000", "0.5000", "0.6667", "0.3333", "5.7500", "0.5000",
                       "1.0000", "0.7083", rows[1][9], "0.5000", "0.6667", "0.3333", "1.0000",
                       "1.00", "1.0000"]  # fmt: skip
    assert 0.5 < float(rows[1][9]) < 1.0  # (1 + cos(energetic, calm)) / 2
    assert "![table1](plots/table1.png)" in (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<th class="group" colspan="4">Video</th>' in page
    assert '<th class="group" colspan="1">Script</th>' in page
    assert '<th class="group" colspan="4">Audio</th>' in page
    assert '<th class="group" colspan="6">Project</th>' in page
    assert '<img src="plots/hits.png" alt="hits">' in page

    again = cli("eval", "--data", str(sft.path), "--backbone", "fake", "-o", str(out))
    assert "0 sample(s) scored, 8 already scored (skipped)" in again[1]


def test_compare_adds_earlier_runs_as_rows(cli, sft, autocut_fakes, tmp_path):
    fake, chance = tmp_path / "fake", tmp_path / "random"
    assert cli("eval", "--data", str(sft.path), "--backbone", "fake", "-o", str(fake),
                    "--no-plots")[0] == 0  # fmt: skip
    code, stdout, stderr = cli(
        "eval", "--data", str(sft.path), "--backbone", "random", "--backbone-opt", "seed=1",
        "--name", "chance", "-o", str(chance), "--compare", str(fake), "--limit", "1",
    )  # fmt: skip
    assert code == 0, stderr
    assert "Left out (the backbone cannot do them): script." in stdout
    rows = table((chance / "report.md").read_text(encoding="utf-8"))
    assert [row[0] for row in rows[1:]] == ["chance", "fake"]
    chance_row, fake_row = rows[1], rows[2]
    assert chance_row[5] == "-" and chance_row[13:16] == ["-", "-", "-"]  # random: no script
    assert fake_row[5] == "**5.7500**"  # the only WCD is the best one
    assert fake_row[1] == "**0.5000**"  # CSA
    assert json.loads((chance / "run.json").read_text())["backbone_options"] == {"seed": 1}
    assert (chance / "plots" / "table1.png").read_bytes().startswith(PNG)

    # without --data only the report is rewritten, from the results on disk
    (chance / "report.md").unlink()
    code, stdout, _ = cli("eval", "-o", str(chance), "--compare", str(fake), "--json")
    assert code == 0
    systems = json.loads(stdout)["systems"]
    assert [s["system"] for s in systems] == ["chance", "fake"]
    assert systems[0]["samples"] == {"select": 1, "sort": 1, "music": 1}
    assert (chance / "report.md").is_file()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--task", "edit"], "unknown task(s) edit"),
        (["--task", "script", "--backbone", "random"], "backbone 'random' cannot do task"),
        (["--clip-text", "some"], "--clip-text must be one of prompt, all, none"),
        (["--backbone-opt", "sed=1", "--backbone", "random"], "Known options: seed"),
        (["--compare", "nowhere"], "nowhere: no results.jsonl here"),
    ],
)
def test_mistakes_are_one_line_errors(cli, sft, autocut_fakes, tmp_path, arguments, message):
    args = ["eval", "--data", str(sft.path), "-o", str(tmp_path / "out"), *arguments]
    if "--backbone" not in arguments:
        args += ["--backbone", "fake"]
    code, _, stderr = cli(*args)
    assert code != 0
    assert message in stderr and "Traceback" not in stderr


def test_missing_test_set_and_empty_report(cli, tmp_path):
    code, _, stderr = cli("eval", "--data", str(tmp_path / "no.jsonl"), "--backbone",
                               "random", "-o", str(tmp_path / "out"))  # fmt: skip
    assert code == 2 and "no.jsonl: test set not found" in stderr
    code, _, stderr = cli("eval", "-o", str(tmp_path / "empty"))
    assert code == 2 and "nothing to report" in stderr


def summary(name, **metrics):
    system = SystemSummary(system=name)
    for key, value in metrics.items():
        task, metric = key.split("__")
        system.metrics.setdefault(task, {})[metric.replace("_at_", "@")] = value
    return system


class TestTable:
    def test_best_is_bold_second_underlined_and_wcd_is_lower_better(self):
        systems = [
            summary("a", select__csa=0.6, script__wcd=3.0),
            summary("b", select__csa=0.6, script__wcd=5.0),
            summary("c", select__csa=0.1, script__wcd=7.0),
            summary("d", select__csa=0.0),
        ]
        csa = next(c for c in COLUMNS if c.metric == "csa")
        wcd = next(c for c in COLUMNS if c.metric == "wcd")
        assert ranks(systems, csa) == [1, 1, 2, None]  # a tie shares the best place
        assert ranks(systems, wcd) == [1, 2, None, None]
        rows = table(markdown(systems))
        assert [row[1] for row in rows[1:]] == ["**0.6000**", "**0.6000**", "<u>0.1000</u>",
                                                "0.0000"]  # fmt: skip
        assert [row[5] for row in rows[1:]] == ["**3.0000**", "<u>5.0000</u>", "7.0000", "-"]

    def test_judge_columns_appear_only_when_judged(self):
        plain = table(markdown([summary("a", select__csa=0.5)]))
        assert "Video: VSC ↑" not in plain[0] and "Script: SQ ↑" not in plain[0]
        judged = [summary("a", select__csa=0.5, select__vsc=1.25, script__sq=81.5),
                  summary("b", select__csa=0.2)]  # fmt: skip
        rows = table(markdown(judged))
        assert rows[0][5:7] == ["Video: VSC ↑", "Script: SQ ↑"]
        assert rows[1][5:7] == ["**1.2500**", "**81.50**"] and rows[2][5:7] == ["-", "-"]
        assert "<th>SQ ↑</th>" in html_page(judged)

    def test_names_are_escaped_and_told_apart(self):
        first, second = summary("lm|v2", select__csa=0.5), summary("lm|v2", select__csa=0.4)
        first.folder, second.folder = "/runs/a", "/runs/b"
        rows = table(markdown([first, second]))
        assert [row[0] for row in rows[1:]] == [r"lm\|v2 (a)", r"lm\|v2 (b)"]
        page = html_page([summary("<b>x</b>", select__csa=0.5)])
        assert "&lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
        assert re.search(r"<td>0\.5000</td>", page)
