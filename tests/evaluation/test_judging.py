"""VSC and SQ columns from an LLM judge: a loopback chat server plays GPT-4o."""

from __future__ import annotations

import json

import pytest

from autocut_core.evaluation.harness import evaluate
from autocut_core.evaluation.results import read_results
from autocut_core.llm.judges import Judge
from autocut_core.plugins import get_registry
from autocut_core.testing.chat_server import LocalChatServer

from .conftest import table

SQ_ANSWER = {"basic_quality": 27, "expression": 31, "length_rhythm": 22, "total": 80,
             "justification": "Clear, a little flat."}  # fmt: skip


def _text(body) -> str:
    parts = []
    for message in body["messages"][1:]:
        content = message["content"]
        if isinstance(content, str):
            parts.append(content)
        else:
            parts += [p.get("text", "") for p in content if p.get("type") == "text"]
    return "\n".join(parts)


def judge_answers(body) -> str:
    """VSC: 1 for the line about cold, 2 otherwise; SQ: 80 points; garbage when asked to."""
    system, text = body["messages"][0]["content"], _text(body)
    if "BROKEN" in text:
        return "I would rather not say."
    if "0, 1 or 2" in system:
        return "1" if "Cold" in text else "2"
    return json.dumps(SQ_ANSWER)


@pytest.fixture
def server():
    with LocalChatServer(responder=judge_answers) as running:
        yield running


@pytest.fixture
def judge_options(server, tmp_path):
    return {"base_url": server.url, "cache_dir": str(tmp_path / "chat-cache"), "api_key_env": "",
            "timeout": 5.0, "max_retries": 0}  # fmt: skip


def test_judged_columns_are_hand_computable_and_resumable(sft, autocut_fakes, tmp_path,
                                                          server, judge_options):  # fmt: skip
    fake = get_registry().create("backbone", "fake")
    out = tmp_path / "out"
    result = evaluate(sft.path, fake, out, plots=False, judge=Judge.from_options(judge_options))
    metrics = result.systems[0].metrics
    # sort, fake keeps the shown order: en pairs (Fresh.., 2) and (Cold.., 1) -> 1.5;
    # zh pairs both 2 -> 2.0; the mean over the two ads is 1.75
    assert metrics["sort"]["vsc"] == pytest.approx(1.75)
    assert metrics["script"]["sq"] == 80.0
    assert result.systems[0].judged == {"sort": 2, "script": 2}
    assert result.judge_stats.judged == 4 and not result.judge_stats.errors
    vsc_requests = [seen for seen in server.requests if seen.images()]
    assert len(vsc_requests) == 4  # one frame per (sentence, clip) pair
    rows = table((out / "report.md").read_text(encoding="utf-8"))
    assert rows[0][5:7] == ["Video: VSC ↑", "Script: SQ ↑"]
    assert rows[1][5:7] == ["1.7500", "80.00"]

    again = evaluate(sft.path, fake, out, plots=False, judge=Judge.from_options(judge_options))
    assert (again.judge_stats.judged, again.judge_stats.skipped) == (0, 4)
    assert len(read_results(out / "judges.jsonl")) == 4


def test_invalid_answers_score_zero_and_unreadable_judges_are_left_out(
    sft, autocut_plugin, tmp_path, server, judge_options
):
    from autocut_core import hookimpl
    from autocut_core.testing import FakeBackbone
    from autocut_core.types import Ordering, Script

    class Sloppy(FakeBackbone):
        name = "sloppy"

        def _sort(self, product, script, candidates):
            return Ordering(order=(0, 0, 1))  # not a permutation: VSC 0, no request

        def _write_script(self, product, candidates):
            # one line per clip (a wrong count is refused before any judge sees it)
            lines = (
                ["BROKEN line."] * len(candidates) if product.name == "Juice" else ["新鲜", "冰爽"]
            )
            return Script(sentences=tuple(lines))

    class Plugin:
        @staticmethod
        @hookimpl
        def register_backbones(register):
            register(Sloppy)

    autocut_plugin(Plugin, name="sloppy")
    sloppy = get_registry().create("backbone", "sloppy")
    result = evaluate(sft.path, sloppy, tmp_path / "out", tasks=["sort", "script"],
                      plots=False, judge=Judge.from_options(judge_options))  # fmt: skip
    assert not any(seen.images() for seen in server.requests)
    summary = result.systems[0]
    assert summary.metrics["sort"]["vsc"] == 0.0 and summary.judged["sort"] == 2
    # the English script's judge answered nonsense: only the Chinese one counts
    assert summary.metrics["script"]["sq"] == 80.0 and summary.judged["script"] == 1
    (failed,) = result.judge_stats.errors
    assert failed[0].startswith("script/ad-en/") and "JudgeError" in failed[1]


def test_eval_judge_flags(cli, sft, autocut_fakes, tmp_path, judge_options):
    # (an empty value cannot be given as a flag; a local server needs no key anyway)
    flags = [f"--judge-opt={k}={v}" for k, v in judge_options.items() if k != "api_key_env"]
    code, stdout, stderr = cli("eval", "--data", str(sft.path), "--backbone", "fake",
                                    "-o", str(tmp_path / "out"), "--no-plots", *flags)  # fmt: skip
    assert code == 0, stderr
    assert "Judged 4 sample(s) (0 already judged, 0 failed)" in stdout
    code, _, stderr = cli("eval", "--data", str(sft.path), "--backbone", "fake",
                               "-o", str(tmp_path / "other"), "--judge-opt", "timeout=-1")  # fmt: skip
    assert code == 2 and "--judge-opt" in stderr
