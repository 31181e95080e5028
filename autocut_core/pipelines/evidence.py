"""Warnings for a run that had too little to go on: the ad is made, but the user must know.

A Chinese script against English captions, or footage with no captions at all, gives the
``similarity`` backbone nothing to compare: every score is 0, the assignment falls back to
footage order, and the ad silently uses the first clips of the first video. Nothing fails,
so nothing would be said. Here the pipeline looks at the scores it got and asks the
backbone what it lacked (:meth:`~autocut_core.components.Backbone.evidence_problems`), and
returns sentences that each name a fix; the CLI prints them as warnings and lists them under
``"warnings"`` in ``--json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autocut_core.components import Backbone
from autocut_core.types import Candidate, Script

#: A score under this (in size) prints as 0.000 in the summary: no evidence at all.
ZERO_SCORE = 5e-4


def evidence_warnings(
    backbone: Backbone,
    script: Script,
    offered: Sequence[Candidate],
    chosen: Sequence[Candidate],
    scores: Sequence[float],
) -> list[str]:
    """What was missing when ``backbone`` matched ``script`` to the ``offered`` clips and
    chose ``chosen`` with ``scores`` (empty: the backbone gives none)."""
    problems = backbone.evidence_problems(script, offered)
    found = []
    if scores and all(abs(score) < ZERO_SCORE for score in scores):
        used = {candidate.source_path for candidate in chosen}
        videos = {candidate.source_path for candidate in offered}
        where = ""
        if len(chosen) > 1 and len(used) == 1 and len(videos) > 1:
            name = Path(next(iter(used))).name
            where = f"; all {len(chosen)} come from {name}, one of {len(videos)} videos"
        fix = "" if problems else (
            ": give the clips captions (<video>.captions.json, .srt, .vtt or .txt) or "
            "choose another backbone (--backbone)"
        )  # fmt: skip
        found.append(
            f"every clip scored 0.000 against the script: backbone '{backbone.name}' found "
            f"nothing linking the two, so the clips are in footage order{where}{fix}"
        )
    return found + problems
