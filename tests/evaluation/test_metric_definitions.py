"""A small Table 1 recomputed from known answers under both metric definitions.

The paper's definitions (§4.2, what Table 1 shows under the paper's labels) and the project's
stricter variants (the Project group) differ exactly where answers are generous or broken:
extra picks, malformed orders, punctuation and missing script lines. Every expected value
below is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import pytest

from autocut_core.evaluation.columns import COLUMNS, value_of
from autocut_core.evaluation.report import markdown
from autocut_core.evaluation.summary import summarise
from autocut_core.plugins import get_registry

#: task -> (evaluator, [(prediction, reference), ...])
ANSWERS = {
    "select": ("selection", [
        ([0, 1], {"indices": [0, 1], "pool": 4}),     # exact: paper 1, exact 1
        ([0, 1, 2], {"indices": [0, 1], "pool": 4}),  # extra pick: paper 1, exact 0
        ([0, 3], {"indices": [0, 2], "pool": 4}),     # a positive missed: 0, 0
        ([1, 1], {"indices": [1], "pool": 4}),        # repeated index, malformed: 0, 0
    ]),
    "sort": ("ordering", [
        ([0, 1, 2], [0, 1, 2]),        # exact: pairwise 1
        ([1, 0, 2, 3], [0, 1, 2, 3]),  # 1 of 6 pairs swapped: 5/6
        ([2, 1, 0], [0, 1, 2]),        # reversed: 0
        ([0, 2], [0, 1, 2]),           # not a permutation, malformed
    ]),
    "script": ("script", [
        # paper characters: |3-3|, |2-4| -> 1; spoken units: |2-3|, |2-4| -> 1.5
        (["好吃！", "清爽"], ["很好吃", "清爽不腻"]),
        # paper: |8-8| and the missing "Cold." |0-5| -> 2.5; units on the aligned line: 0
        (["Buy now."], ["Buy now.", "Cold."]),
    ]),
}  # fmt: skip

EXPECTED = {
    ("select", "csa"): 2 / 4,
    ("select", "csa_exact"): 1 / 4,
    ("sort", "cra"): 1 / 4,
    # paper: the malformed answer is skipped, (1 + 5/6 + 0) / 3 = 11/18; tau = 2 * 11/18 - 1
    ("sort", "pairwise"): 11 / 18,
    ("sort", "kendall_tau"): 4 / 18,
    # strict: it counts 0 (tau -1), (1 + 5/6 + 0 + 0) / 4 = 11/24; tau = 2 * 11/24 - 1
    ("sort", "pairwise_strict"): 11 / 24,
    ("sort", "kendall_tau_strict"): -1 / 12,
    ("script", "wcd"): (1.0 + 2.5) / 2,
    ("script", "wcd_units"): (1.5 + 0.0) / 2,
}


def records():
    rows = []
    for task, (name, pairs) in ANSWERS.items():
        evaluator = get_registry().create("evaluator", name)
        scores = evaluator.score_batch([p for p, _ in pairs], [r for _, r in pairs])
        for index, metrics in enumerate(scores):
            rows.append({"task": task, "evaluator": name, "sample_id": f"{task}-{index}",
                         "metrics": metrics})  # fmt: skip
    return rows


def test_table_one_by_both_definitions():
    system = summarise("known", records())
    columns = {(column.task, column.metric): column for column in COLUMNS}
    for key, expected in EXPECTED.items():
        assert value_of(system, columns[key]) == pytest.approx(expected), key


def test_the_report_names_which_definition_each_column_is():
    report = markdown([summarise("known", records())])
    header = report.splitlines()[2]
    for label in ("Video: CSA ↑", "Video: Pairwise ↑", "Script: WCD ↓", "Project: CSA exact ↑",
                  "Project: Pairwise strict ↑", "Project: WCD units ↓"):  # fmt: skip
        assert label in header
    row = report.splitlines()[4]
    assert "0.5000" in row and "0.6111" in row and "1.7500" in row  # CSA, Pairwise, WCD
