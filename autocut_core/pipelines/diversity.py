"""How different two ads of one brief are: the stated measure of `autocut run --variants`.

Four parts, each in [0, 1], and their mean:

- ``clips``: the Jaccard distance of the two sets of clips played,
  ``1 - |A ∩ B| / |A ∪ B|`` (clip ids: a source and a stretch of it);
- ``order``: the normalised Kendall tau distance of the sentences both ads speak, the share
  of their pairs spoken in opposite order (0 with fewer than two shared sentences);
- ``music``: 1 when the two ads play different tracks (one silent and one not: different),
  else 0;
- ``hook``: 1 when they open with different sentences, else 0.

``total = (clips + order + music + hook) / 4``. Two identical plans measure 0; two ads with
no clip in common, to different music, opening differently and in reverse order measure 1.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from autocut_core.types import EditPlan


@dataclass(frozen=True)
class Diversity:
    """The measure between variants ``first`` and ``second`` (0-based)."""

    first: int
    second: int
    clips: float
    order: float
    music: float
    hook: float

    @property
    def total(self) -> float:
        return (self.clips + self.order + self.music + self.hook) / 4

    def to_dict(self) -> dict[str, float | int]:
        return {
            "first": self.first + 1,
            "second": self.second + 1,
            "clips": round(self.clips, 4),
            "order": round(self.order, 4),
            "music": self.music,
            "hook": self.hook,
            "total": round(self.total, 4),
        }


def jaccard_distance(a: set[str], b: set[str]) -> float:
    union = a | b
    return 0.0 if not union else 1 - len(a & b) / len(union)


def order_distance(a: Sequence[str], b: Sequence[str]) -> float:
    """Share of the pairs of shared items that the two sequences put in opposite order."""
    position_a = {item: i for i, item in enumerate(a)}
    position_b = {item: i for i, item in enumerate(b)}
    shared = [item for item in a if item in position_b]
    pairs = list(itertools.combinations(shared, 2))
    if not pairs:
        return 0.0
    opposite = sum(
        (position_a[x] - position_a[y]) * (position_b[x] - position_b[y]) < 0 for x, y in pairs
    )
    return opposite / len(pairs)


def measure(a: EditPlan, b: EditPlan, first: int = 0, second: int = 1) -> Diversity:
    sentences_a = [slot.sentence for slot in a.slots]
    sentences_b = [slot.sentence for slot in b.slots]
    music_a = a.music.track_id if a.music else None
    music_b = b.music.track_id if b.music else None
    return Diversity(
        first=first,
        second=second,
        clips=jaccard_distance({s.clip_id for s in a.slots}, {s.clip_id for s in b.slots}),
        order=order_distance(sentences_a, sentences_b),
        music=float(music_a != music_b),
        hook=float(sentences_a[:1] != sentences_b[:1]),
    )


def pairwise(plans: Sequence[EditPlan]) -> list[Diversity]:
    """The measure for every pair of plans, (0, 1), (0, 2), ..., (1, 2), ..."""
    return [
        measure(plans[i], plans[j], i, j) for i, j in itertools.combinations(range(len(plans)), 2)
    ]
