"""Frames vote for clips: which clip each slot's decoded tokens ground to (paper §7.2).

A slot's tokens decode to one vector per frame; the search returns, per decoded vector, the
nearest 1 fps frames of the pool, best first. Each decoded frame votes for the clip its
nearest frame belongs to (the reference's ``(frame_id, clip_id)`` pair), and the clip with
the most votes wins (ties: the higher summed similarity, then the earlier clip of the pool).

No clip may play twice, so the slots are settled one at a time, the surest first (the
largest share of its frames agreeing, then the higher mean similarity, then the earlier
slot); the slots left then vote again without the clips already taken, each frame for the
nearest frame of a clip still free. That is the "next best vote": a slot that loses its clip
to a surer slot gets the clip its frames rank next, not an arbitrary one.

This module only counts; :func:`autocut_core.tokens.grounding.ground_clips` decodes and
searches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: One decoded frame's search result: ``(frame_id, similarity)``, nearest first.
FrameHits = Sequence[tuple[str, float]]


@dataclass(frozen=True)
class Vote:
    """The clip a slot's frames chose: ``unit`` (a position in the pool), how many of its
    ``frames`` voted for it, and the mean similarity of those votes' nearest frames."""

    unit: int
    votes: int
    frames: int
    score: float


def tally(
    hits: Sequence[FrameHits], units_of: Mapping[str, Sequence[int]], taken: set[int]
) -> Vote | None:
    """One slot's vote among the clips not ``taken``; None when no frame found a free clip
    among its hits (the search must go deeper)."""
    votes: dict[int, int] = {}
    sums: dict[int, float] = {}
    for frame_hits in hits:
        for frame_id, score in frame_hits:
            free = [unit for unit in units_of.get(frame_id, ()) if unit not in taken]
            if free:
                for unit in free:  # a frame on a boundary belongs to both clips
                    votes[unit] = votes.get(unit, 0) + 1
                    sums[unit] = sums.get(unit, 0.0) + score
                break
    if not votes:
        return None
    unit = max(votes, key=lambda u: (votes[u], sums[u], -u))
    return Vote(unit=unit, votes=votes[unit], frames=len(hits), score=sums[unit] / votes[unit])


def assign(
    slots: Sequence[Sequence[FrameHits]], units_of: Mapping[str, Sequence[int]]
) -> list[Vote] | None:
    """A distinct clip for every slot, the surest slot first; None when some slot's hits
    ran out of free clips (search again with more hits per frame)."""
    chosen: dict[int, Vote] = {}
    taken: set[int] = set()
    while len(chosen) < len(slots):
        best: tuple[tuple[float, float, int], int, Vote] | None = None
        for slot, hits in enumerate(slots):
            if slot in chosen:
                continue
            vote = tally(hits, units_of, taken)
            if vote is None:
                return None
            key = (vote.votes / max(vote.frames, 1), vote.score, -slot)
            if best is None or key > best[0]:
                best = (key, slot, vote)
        assert best is not None
        _, slot, vote = best
        chosen[slot] = vote
        taken.add(vote.unit)
    return [chosen[slot] for slot in range(len(slots))]
