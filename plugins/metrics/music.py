"""Music metrics: where the reference track ranks (Hit@k, MRR) and how close the pick sounds.

The paper scores background music with MSS, a Music Flamingo judgement of how similar the
predicted and reference tracks are. That model is not available offline, so ``mss_proxy`` is
the cosine similarity of the two tracks' audio embeddings (the ``logmel`` descriptor by
default, or the material database's stored track vectors): a proxy, reported under its own
name, not the paper's number. Rank metrics need no model at all.

Predictions are rankings: a list whose items are track ids, or lists of ids that are tied.
A backbone that only picks one track ranks it first and leaves the rest of the pool tied
behind it. Ties are scored by their expectation over a random tie-break, so a pick-only
backbone and a chance baseline get exactly the credit chance would give them: with the
reference among ``m`` tied tracks from position ``p`` on, ``Hit@k = (k - p + 1) / m`` (clipped
to [0, 1]) and the reciprocal rank is the mean of ``1 / r`` for ``r = p .. p + m - 1``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from autocut_core.components import ComponentSettings, Evaluator
from autocut_core.errors import InputError
from autocut_core.types import MusicChoice

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.components import Encoder


class MusicSettings(ComponentSettings):
    ks: tuple[int, ...] = Field((1, 3, 5), description="The k of each Hit@k")
    similarity: bool = Field(
        True, description="Also compute mss_proxy (embedding cosine) where track files are known"
    )
    encoder: str = Field("logmel", description="Audio encoder of mss_proxy")
    encoder_options: dict[str, Any] = Field(
        default_factory=dict, description="Options of that encoder (as in [encoders.NAME])"
    )
    db: Path | None = Field(
        None,
        description="Material database: its stored track vectors of `encoder` are used "
        "instead of decoding the files (tracks missing there are decoded)",
    )
    max_seconds: float = Field(120.0, gt=0, description="Seconds of each track decoded")

    @field_validator("ks")
    @classmethod
    def _positive(cls, ks: tuple[int, ...]) -> tuple[int, ...]:
        if not ks or any(k < 1 for k in ks):
            raise ValueError("every k must be >= 1")
        return tuple(sorted(set(ks)))


class Ranking:
    """A prediction as tiers of tied track ids, best first, and the track it plays."""

    def __init__(self, tiers: list[list[str]], picked: str | None, path: str | None):
        self.tiers = tiers
        self.picked = picked
        self.path = path

    @classmethod
    def of(cls, value: Any) -> Ranking:
        """Read a :class:`MusicChoice`, a track id, a ranking list, None, or a mapping
        ``{"ranking": [...], "track_id": picked, "path": its file}``."""
        if isinstance(value, MusicChoice):
            return cls([[value.track_id]], value.track_id, None)
        if value is None:
            return cls([], None, None)
        if isinstance(value, str | int):
            return cls([[str(value)]], str(value), None)
        if isinstance(value, Mapping):
            picked = value.get("track_id")
            listed = value.get("ranking")
            tiers = _tiers(listed) if listed is not None else ([[str(picked)]] if picked else [])
            if picked is None and tiers:
                picked = tiers[0][0]
            path = value.get("path")
            return cls(tiers, None if picked is None else str(picked), path and str(path))
        tiers = _tiers(value)
        return cls(tiers, tiers[0][0] if tiers else None, None)


def _tiers(items: Iterable[Any]) -> list[list[str]]:
    return [
        [str(i) for i in item] if isinstance(item, list | tuple) else [str(item)] for item in items
    ]


class Reference:
    """The correct track id(s), the reference file, and the pool that was offered."""

    def __init__(self, value: Any):
        self.path: str | None = None
        self.pool: list[str] | None = None
        if isinstance(value, MusicChoice):
            value = value.track_id
        if isinstance(value, Mapping):
            ids = value.get("track_ids") or [value.get("track_id")]
            self.path = value.get("path") and str(value["path"])
            if value.get("pool") is not None:
                self.pool = [str(item) for item in value["pool"]]
        elif isinstance(value, str | int):
            ids = [value]
        else:
            ids = list(value)
        self.ids = {str(item) for item in ids if item is not None}
        if not self.ids:
            raise InputError(f"music reference without a track id: {value!r}")
        self.track_id = sorted(self.ids)[0] if len(self.ids) > 1 else next(iter(self.ids))


def expected_hits(tiers: list[list[str]], wanted: set[str], ks: Sequence[int]) -> dict[str, float]:
    """Hit@k and reciprocal rank of the best-placed wanted id, in expectation over ties."""
    position = 1
    for tier in tiers:
        size, found = len(tier), sum(1 for item in tier if item in wanted)
        if found:
            # P(the first wanted id sits at offset r of the tier) = C(m-r, j-1) / C(m, j).
            total = math.comb(size, found)
            chances = [math.comb(size - r, found - 1) / total for r in range(1, size + 1)]
            scores = {
                f"hit@{k}": min(
                    1.0, float(sum(p for r, p in enumerate(chances) if position + r <= k))
                )
                for k in ks
            }
            scores["mrr"] = sum(p / (position + r) for r, p in enumerate(chances))
            return scores
        position += size
    return {**{f"hit@{k}": 0.0 for k in ks}, "mrr": 0.0}


class MusicEvaluator(Evaluator[MusicSettings]):
    """Prediction: a ranking (see :class:`Ranking`). Reference: the track id, or
    ``{"track_id", "path", "pool"}``: ids of the pool the prediction does not rank are
    tied behind it; ids outside the pool and repeats are dropped and flag ``valid = 0``."""

    name = "music"
    description = "Hit@k and MRR of the reference track; mss_proxy: audio-embedding cosine"
    task = "music"

    def __init__(self, settings: MusicSettings | None = None):
        super().__init__(settings)
        self._vectors: dict[str, np.ndarray] = {}
        self._encoder: Encoder | None = None

    def score_batch(
        self, predictions: Sequence[Any], references: Sequence[Any]
    ) -> list[dict[str, float]]:
        pairs = [
            (Ranking.of(p), Reference(r)) for p, r in zip(predictions, references, strict=True)
        ]
        return [self._score(ranking, reference) for ranking, reference in pairs]

    def aggregate(self, per_sample: Sequence[Mapping[str, float]]) -> dict[str, float]:
        """Means over the samples that have each metric (``mss_proxy`` needs track files)."""
        keys: dict[str, None] = {}
        for sample in per_sample:
            keys.update(dict.fromkeys(sample))
        summary = {}
        for key in keys:
            values = [sample[key] for sample in per_sample if key in sample]
            summary[key] = sum(values) / len(values)
        return summary

    def _score(self, ranking: Ranking, reference: Reference) -> dict[str, float]:
        settings = self.settings
        tiers, valid = _clean(ranking.tiers, reference.pool)
        scores = expected_hits(tiers, reference.ids, settings.ks)
        scores["valid"] = float(valid)
        if settings.similarity and ranking.picked is not None:
            similarity = self._similarity(ranking, reference)
            if similarity is not None:
                scores["mss_proxy"] = similarity
        return scores

    def _similarity(self, ranking: Ranking, reference: Reference) -> float | None:
        """The cosine, or None where the reference's sound is unknown (no file, no db):
        then no sample gets the metric, so right picks cannot inflate its mean alone."""
        import numpy as np

        settings = self.settings
        if reference.path is None and settings.db is None:
            return None
        if ranking.picked in reference.ids:
            return 1.0
        wanted = self._vector(reference.track_id, reference.path)
        predicted = self._vector(ranking.picked, ranking.path)
        if predicted is None or wanted is None:
            missing = ranking.picked if predicted is None else reference.track_id
            raise InputError(
                f"evaluator 'music': track '{missing}' has no file and no stored "
                f"'{settings.encoder}' vector, so mss_proxy cannot be computed; give its path "
                "({'track_id': ..., 'path': ...}) or a db, or set similarity = false"
            )
        norms = float(np.linalg.norm(predicted) * np.linalg.norm(wanted))
        return float(predicted @ wanted / norms) if norms > 0 else 0.0

    def _vector(self, track_id: str | None, path: str | None) -> np.ndarray | None:
        key = f"id:{track_id}" if track_id else f"path:{path}"
        if key in self._vectors:
            return self._vectors[key]
        vector = self._stored_vector(track_id) if track_id else None
        if vector is None and path:
            vector = self._encode_file(path)
        if vector is not None:
            self._vectors[key] = vector
        return vector

    def _stored_vector(self, track_id: str) -> np.ndarray | None:
        settings = self.settings
        if settings.db is None:
            return None
        import numpy as np

        from autocut_core.materials.database import MaterialDB

        with MaterialDB(settings.db, create=False, write=False) as database:
            try:
                return np.asarray(database.vector(settings.encoder, "track", track_id))
            except KeyError:
                return None

    def _encode_file(self, path: str) -> np.ndarray:
        from autocut_core.media import MediaError, decode_audio

        settings = self.settings
        encoder = self._audio_encoder()
        assert encoder.sample_rate is not None
        samples = decode_audio(path, encoder.sample_rate, max_seconds=settings.max_seconds)
        if samples.size == 0:
            raise MediaError(path, "no audio samples could be decoded")
        return encoder.encode([samples])[0]

    def _audio_encoder(self) -> Encoder:
        if self._encoder is None:
            from autocut_core.plugins import get_registry

            settings = self.settings
            encoder = get_registry().create("encoder", settings.encoder, settings.encoder_options)
            if encoder.modality != "audio":
                raise InputError(
                    f"evaluator 'music': encoder '{settings.encoder}' takes {encoder.modality}, "
                    "not audio; choose an audio encoder (logmel, panns)"
                )
            self._encoder = encoder
        return self._encoder


def _clean(tiers: list[list[str]], pool: list[str] | None) -> tuple[list[list[str]], bool]:
    """Tiers without repeats and (with a pool) without unknown ids, the unranked pool tied
    last; and whether the prediction was clean to begin with."""
    seen: set[str] = set()
    allowed = None if pool is None else set(pool)
    cleaned = []
    for tier in tiers:
        kept = []
        for item in tier:
            if item not in seen and (allowed is None or item in allowed):
                kept.append(item)
            seen.add(item)
        if kept:
            cleaned.append(kept)
    ranked = sum(len(tier) for tier in cleaned)
    valid = ranked == sum(len(tier) for tier in tiers) and ranked > 0
    if pool is not None:
        rest = [item for item in dict.fromkeys(pool) if item not in seen]
        if rest:
            cleaned.append(rest)
    return cleaned, valid
