"""A slot's evidence record in words: what `autocut explain` and the contact sheet show.

Both read the record the pipeline wrote (``Slot.evidence``, ``MusicCue.evidence``) and
nothing else. A record about another clip or sentence than the slot now has (a hand edit
since), or on a slot marked edited, is *stale*: it is shown as such, never as the reason
for what the slot shows now.
"""

from __future__ import annotations

from pathlib import Path

from autocut_core.types import FactSource, MusicCue, RunnerUp, Slot, SlotEvidence

FACT_KINDS = {"selling_point": "selling point", "description": "description", "name": "name"}


def current_evidence(slot: Slot) -> SlotEvidence | None:
    """The slot's record when it is still about what the slot shows, else None."""
    record = slot.evidence
    if record is None or slot.edited:
        return None
    if record.clip_id != slot.clip_id or record.sentence != slot.sentence:
        return None
    return record


def is_stale(slot: Slot) -> bool:
    return slot.evidence is not None and current_evidence(slot) is None


def fact_label(fact: FactSource | None) -> str:
    """``selling point "leak proof cap" (67 % of its words)``, or ``no product fact``."""
    if fact is None:
        return "no product fact"
    return f'{FACT_KINDS.get(fact.kind, fact.kind)} "{fact.text}" ({fact.match:.0%} of its words)'


def clip_label(source_path: str, start: float, end: float) -> str:
    """``bottle.mp4 2.00-4.48``: the file and the stretch of it."""
    return f"{Path(source_path).name} {start:.2f}-{end:.2f}"


def runner_up_label(runner_up: RunnerUp) -> str:
    """``0.152 bottle.mp4 2.00-4.48``."""
    return (
        f"{runner_up.score:.3f} {clip_label(runner_up.source_path, runner_up.start, runner_up.end)}"
    )


def music_label(cue: MusicCue | None) -> str:
    """``energetic.wav: backbone similarity, score -0.840, of 2 tracks`` (or why none)."""
    if cue is None:
        return "no music"
    name = Path(cue.path).name
    record = cue.evidence
    if record is None:
        return f"{name}: no evidence recorded"
    if record.track_id != cue.track_id:
        return f"{name}: changed by hand (the evidence was for track {record.track_id})"
    score = "no score" if record.score is None else f"score {record.score:.3f}"
    offered = f", of {record.offered} tracks" if record.offered > 1 else ""
    return f"{name}: {record.chosen_by}, {score}{offered}"
