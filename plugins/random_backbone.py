"""``random``: the chance baseline of every table (paper §4.2 compares against it).

Selects, orders and picks music uniformly at random from a seeded generator; it cannot write
a script, and says so through its capabilities.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import Backbone, ComponentSettings
from autocut_core.types import (
    Candidate,
    MusicCandidate,
    MusicChoice,
    Ordering,
    Product,
    Script,
    Selection,
)


class RandomSettings(ComponentSettings):
    seed: int = Field(0, description="Seed of the random generator (same seed, same answers)")


class RandomBackbone(Backbone[RandomSettings]):
    name = "random"
    description = "Chance baseline: uniform random selection, order and music"
    capabilities = frozenset({"select", "sort", "pick_music"})

    def __init__(self, settings: RandomSettings | None = None):
        super().__init__(settings)
        self._random = random.Random(self.settings.seed)

    def _select(
        self, product: Product, script: Script, candidates: Sequence[Candidate], count: int
    ) -> Selection:
        return Selection(indices=tuple(self._random.sample(range(len(candidates)), count)))

    def _sort(self, product: Product, script: Script, candidates: Sequence[Candidate]) -> Ordering:
        order = list(range(len(candidates)))
        self._random.shuffle(order)
        return Ordering(order=tuple(order))

    def _pick_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> MusicChoice:
        return MusicChoice(track_id=self._random.choice(tracks).track.track_id)


@hookimpl
def register_backbones(register):
    register(RandomBackbone)
