"""The ``similarity`` backbone: every decision by similarity, nothing trained.

``select`` and ``sort`` match script sentences to clips (captions and/or frames, see
:mod:`.scoring`) with an optimal assignment (:mod:`autocut_core.editing.assignment`),
``select`` on each clip's fit to its sentence blended with its fit to the whole brief
(:mod:`.brief`); ``write_script`` puts the
product's selling points under the clips they fit (:mod:`.script_lines`); ``pick_music``
matches the footage's look and motion to the tracks' sound in a shared mood space
(:mod:`.mood`). It is the zero-shot baseline between ``random`` and a trained ``lm``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autocut_core.components import Backbone
from autocut_core.editing import assignment
from autocut_core.materials.captions import words_from_name
from autocut_core.types import (
    Candidate,
    MusicCandidate,
    MusicChoice,
    Ordering,
    Product,
    Script,
    Selection,
)

from . import brief, evidence, mood
from .scoring import ClipScorer
from .script_lines import write_lines
from .settings import SimilaritySettings

if TYPE_CHECKING:
    import numpy as np


class SimilarityBackbone(Backbone[SimilaritySettings]):
    name = "similarity"
    description = (
        "Zero-shot: sentence-clip similarity (captions, optional CLIP frames) with optimal "
        "assignment; selling points as script; music by visual/audio mood"
    )
    capabilities = frozenset({"select", "sort", "write_script", "pick_music"})

    def __init__(self, settings: SimilaritySettings | None = None):
        super().__init__(settings)
        self.scorer = ClipScorer(self.settings)
        self._sounds: dict[tuple[str, int], mood.TrackSound] = {}

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # Overlap only: the contract checks the interface and must not need the text extra.
        return {"text_encoder": "none"}

    def evidence_problems(self, script: Script, candidates: Sequence[Candidate]) -> list[str]:
        """No captions, captions in another language than the script, no text encoder
        (:mod:`.evidence`), each with its fix."""
        return evidence.problems(self.settings, self.scorer.text, script, candidates)

    def _select(
        self, product: Product, script: Script, candidates: Sequence[Candidate], count: int
    ) -> Selection:
        if count == 0:
            return Selection(indices=())
        queries = _queries(product, script)
        scores = self.scorer.scores(queries, candidates)
        weight = self.settings.brief_weight
        if weight > 0:
            whole = self.scorer.scores([brief.brief_text(product, script)], candidates)[0]
            scores = brief.blend(scores, whole, weight)
        picked = assignment.select(scores, count)
        indices = tuple(column for column, _, _ in picked)
        notes = self.scorer.evidence([candidates[i] for i in indices])
        # Each pick's sentence row, so the plan's evidence can name the runner-ups the choice
        # was made among (on the same blended scale as the score).
        return Selection(
            indices=indices,
            scores=tuple(score for _, _, score in picked),
            evidence=tuple(notes),
            pool_scores=tuple(tuple(float(v) for v in scores[row]) for _, row, _ in picked),
        )

    def _sort(self, product: Product, script: Script, candidates: Sequence[Candidate]) -> Ordering:
        if not candidates:
            return Ordering(order=())
        if not script.sentences:
            return Ordering(order=tuple(range(len(candidates))))
        placed = assignment.order(self.scorer.scores(list(script.sentences), candidates))
        return Ordering(
            order=tuple(column for column, _ in placed),
            scores=tuple(score for _, score in placed),
        )

    def _write_script(self, product: Product, candidates: Sequence[Candidate]) -> Script:
        return write_lines(product, candidates, self.scorer)

    def _pick_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> MusicChoice:
        """The track nearest the footage's mood, blended with title-vs-product text when the
        tracks have titles; without footage (no ``source_path``) the titles alone decide, and
        without either the first track is returned with no score (there is nothing to go on)."""
        import numpy as np

        if len(tracks) == 1:
            return MusicChoice(track_id=tracks[0].track.track_id)
        settings = self.settings
        by_mood = self._mood_fit(clips, tracks)
        by_title = self._title_fit(product, script, tracks)
        if by_mood is not None and by_title is not None:
            weight = settings.music_text_weight
            total = (1 - weight) * by_mood + weight * by_title
        elif by_mood is not None:
            total = by_mood
        elif by_title is not None:
            total = by_title
        else:
            return MusicChoice(track_id=tracks[0].track.track_id)
        best = int(np.argmax(total))  # the first of equals: deterministic
        return MusicChoice(track_id=tracks[best].track.track_id, score=float(total[best]))

    def _mood_fit(
        self, clips: Sequence[Candidate], tracks: Sequence[MusicCandidate]
    ) -> np.ndarray | None:
        """Minus each track's distance to the footage in the mood space; None without footage."""
        import numpy as np

        filmed = [clip for clip in clips if clip.source_path]
        if not filmed:
            return None
        footage = mood.footage_mood(self.scorer.looks(filmed))
        sounds = [self._listen(os.fsdecode(track.track.path)) for track in tracks]
        weight = self.settings.brightness_weight
        return -np.asarray(mood.distances(footage, mood.track_moods(sounds), weight))

    def _title_fit(
        self, product: Product, script: Script, tracks: Sequence[MusicCandidate]
    ) -> np.ndarray | None:
        """How well each title fits the product and script (z-scores); None if titles are
        missing or all fit alike."""
        import numpy as np

        # Library titles are file stems ("upbeat_drums-02"): their words, not their separators.
        titles = [words_from_name(track.track.title) for track in tracks]
        if not any(title.strip() for title in titles):
            return None
        about = " ".join([product.name, product.category, product.description,
                          *product.selling_points, *script.sentences])  # fmt: skip
        fit = self.scorer.text.similarity([about], titles)[0].astype(np.float64)
        spread = float(fit.std())
        if spread < 1e-9:
            return None
        return (fit - fit.mean()) / spread

    def _listen(self, path: str) -> mood.TrackSound:
        """A track's measurements, decoded once per backbone (a library is offered again and
        again); keyed by modification time so a replaced file is measured again."""
        try:
            key = (path, os.stat(path).st_mtime_ns)
        except OSError:
            return mood.listen(path, self.settings.music_seconds)
        if key not in self._sounds:
            self._sounds[key] = mood.listen(path, self.settings.music_seconds)
        return self._sounds[key]


def _queries(product: Product, script: Script) -> list[str]:
    """What the clips are matched to: the script, or without one the product's own words."""
    if script.sentences:
        return list(script.sentences)
    facts = [*product.selling_points, product.description, product.name]
    return [text for text in facts if text.strip()] or [product.name]
