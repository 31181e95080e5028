"""How well each text (a script sentence, a selling point) fits each candidate clip.

Two sources of evidence, used as configured:

- captions (``Candidate.caption``): text vs text in the ``text_encoder``'s space, blended with
  lexical overlap (:mod:`.lexical`); lexical overlap alone without an encoder;
- frames (``image_encoder``, e.g. ``clip``): the sentence in the joint space's text tower vs
  the mean of the clip's frame vectors.

With both, each score matrix is standardised (z-scores over the matrix: the two spaces have
different cosine ranges, CLIP's are narrow) and blended by ``visual_weight``; the scores
returned are then relative, not cosines. With neither (no captions, no image encoder) every
score is 0 and the assignments fall back to the candidates' original order.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .footage import ClipLook, look_at_clips
from .spaces import ImageSpace, TextEncoderSlot, TextSpace

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.types import Candidate

    from .settings import SimilaritySettings

#: Clip looks (frames + statistics) kept between calls: select, then sort, then pick_music
#: usually see the same clips.
LOOK_CACHE_SIZE = 1024

LookKey = tuple[str, int, float, float]


class ClipScorer:
    """Text-to-clip scores and clip looks for one backbone instance (its caches live here)."""

    def __init__(self, settings: SimilaritySettings):
        self.settings = settings
        chosen = settings.model_fields_set
        # Named or configured on purpose: it must load. Only a bare default may fall back.
        multilingual = TextEncoderSlot(
            settings.multilingual_encoder,
            dict(settings.multilingual_encoder_options),
            required=bool({"multilingual_encoder", "multilingual_encoder_options"} & chosen),
            role="multilingual_encoder",
        )
        self.text = TextSpace(
            settings.text_encoder,
            dict(settings.text_encoder_options),
            settings.lexical_weight,
            required=bool({"text_encoder", "text_encoder_options"} & chosen),
            cjk_lexical_weight=settings.cjk_lexical_weight,
            multilingual=multilingual,
            multilingual_lexical_weight=settings.multilingual_lexical_weight,
        )
        self.image = (
            ImageSpace(
                settings.image_encoder,
                dict(settings.image_encoder_options),
                settings.image_text_encoder,
            )
            if settings.image_encoder is not None
            else None
        )
        self._looks: OrderedDict[LookKey, ClipLook] = OrderedDict()

    def scores(self, texts: Sequence[str], candidates: Sequence[Candidate]) -> np.ndarray:
        """``[len(texts), len(candidates)]``, higher is a better fit."""
        import numpy as np

        captions = [candidate.caption for candidate in candidates]
        parts: list[np.ndarray] = []
        if any(caption.strip() for caption in captions):
            parts.append(self.text.similarity(list(texts), captions))
        if self.image is not None and texts and candidates:
            keys = [self._look_key(candidate) for candidate in candidates]
            visual = self.image.similarity(
                list(texts), keys, lambda: [look.frames for look in self.looks(candidates)]
            )
            parts.append(visual)
        if not parts:
            return np.zeros((len(texts), len(candidates)), dtype=np.float32)
        if len(parts) == 1:
            return parts[0]
        weight = self.settings.visual_weight
        return ((1 - weight) * _standardise(parts[0]) + weight * _standardise(parts[1])).astype(
            np.float32
        )

    def evidence(self, candidates: Sequence[Candidate]) -> list[str]:
        """Per candidate, in words, what :meth:`scores` compared for it: its frames in the
        image encoder's space, its caption (and who wrote it) in which text space."""
        image = f"frames ({self.settings.image_encoder})" if self.image is not None else ""
        space = self.text.space_name()
        notes = []
        for candidate in candidates:
            parts = [image] if image else []
            if candidate.caption.strip():
                parts.append(f"{_caption_label(candidate)} ({space})")
            notes.append(" + ".join(parts) or "nothing (footage order)")
        return notes

    def looks(self, candidates: Sequence[Candidate]) -> list[ClipLook]:
        """Frames and statistics of each candidate's clip (decoded once, then cached)."""
        keys = [self._look_key(candidate) for candidate in candidates]
        missing = [i for i, key in enumerate(keys) if key not in self._looks]
        if missing:
            fresh = look_at_clips(
                [candidates[i] for i in missing],
                frames_per_clip=self.settings.frames_per_clip,
                fps=self.settings.analysis_fps,
                max_side=self.settings.max_side,
            )
            for index, look in zip(missing, fresh, strict=True):
                self._looks[keys[index]] = look
        result = []
        for key in keys:
            self._looks.move_to_end(key)
            result.append(self._looks[key])
        while len(self._looks) > LOOK_CACHE_SIZE:
            self._looks.popitem(last=False)
        return result

    @staticmethod
    def _look_key(candidate: Candidate) -> LookKey:
        # The file's modification time is part of the key: a re-exported shot is looked at again.
        path = os.fsdecode(candidate.source_path)
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            mtime = -1  # look_at_clips names the file when it reads it
        return (path, mtime, candidate.clip.start, candidate.clip.end)


def _caption_label(candidate: Candidate) -> str:
    source = candidate.caption_source
    if source.startswith("captioner:"):
        return f"caption by {source.split(':')[1]}"
    if source == "sidecar":
        return "sidecar caption"
    if source == "file name":
        return "file name"
    return "caption"


def _standardise(matrix: np.ndarray) -> np.ndarray:
    import numpy as np

    spread = float(matrix.std())
    if spread < 1e-9:
        return np.zeros_like(matrix)
    return (matrix - matrix.mean()) / spread
