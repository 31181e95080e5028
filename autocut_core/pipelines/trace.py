"""The evidence record of every slot and of the music, written into the plan as it is made.

"Why did it pick that clip?" has an answer only while the choice is being made: which clip
scored what against which sentence, which clips it beat, which product fact the line says.
A plan read back later cannot recompute it (the footage, the model, the settings may all
have changed), so the pipeline records it here, on the slots, from exactly the numbers the
backbone chose by (``Selection.pool_scores``), and `autocut explain` and the contact sheet
only read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from autocut_core.editing.provenance import source_fact
from autocut_core.types import (
    Candidate,
    MusicCue,
    MusicEvidence,
    Product,
    RunnerUp,
    Slot,
    SlotEvidence,
)

#: Runner-up clips recorded per slot.
RUNNER_UPS = 3


def _key(candidate: Candidate) -> tuple[str, str, float, float]:
    clip = candidate.clip
    return candidate.source_path, clip.source_id, clip.start, clip.end


def slot_evidence(
    clips: Sequence[Candidate],
    sentences: Sequence[str],
    scores: Sequence[float | None],
    pool: Sequence[Candidate],
    pool_scores: Sequence[Sequence[float]],
    product: Product | None,
    chosen_by: str,
    bases: Sequence[str] = (),
) -> list[SlotEvidence]:
    """One record per slot in playing order.

    ``pool_scores[k]`` scores every clip of ``pool`` for slot ``k`` on the scale of
    ``scores[k]``; the runner-ups are the best-scoring pool clips that no slot plays (a clip
    another slot plays was not free to take). A slot without a score (none given, or the
    clip was replaced by token grounding) has no runner-ups: nothing ranks them. ``bases[k]``
    is what the backbone says slot ``k``'s choice rested on.
    """
    played = {_key(candidate) for candidate in clips}
    records = []
    for k, (candidate, sentence) in enumerate(zip(clips, sentences, strict=True)):
        score = scores[k] if k < len(scores) else None
        runner_ups: tuple[RunnerUp, ...] = ()
        if score is not None and k < len(pool_scores):
            runner_ups = _runner_ups(pool, pool_scores[k], played)
        records.append(
            SlotEvidence(
                clip_id=candidate.clip.clip_id,
                sentence=sentence,
                chosen_by=chosen_by,
                caption=candidate.caption,
                score=score,
                fact=source_fact(sentence, product),
                runner_ups=runner_ups,
                basis=bases[k] if k < len(bases) else "",
            )
        )
    return records


def _runner_ups(
    pool: Sequence[Candidate], row: Sequence[float], played: set[tuple[str, str, float, float]]
) -> tuple[RunnerUp, ...]:
    """The best free clips of ``pool`` by ``row``; equal scores in pool order."""
    free = [i for i, candidate in enumerate(pool) if _key(candidate) not in played]
    free.sort(key=lambda i: (-row[i], i))
    return tuple(
        RunnerUp(
            clip_id=pool[i].clip.clip_id,
            source_path=pool[i].source_path,
            start=pool[i].clip.start,
            end=pool[i].clip.end,
            score=float(row[i]),
            caption=pool[i].caption,
        )
        for i in free[:RUNNER_UPS]
    )


def with_evidence(slots: Sequence[Slot], records: Sequence[SlotEvidence]) -> tuple[Slot, ...]:
    """The slots, each carrying its record."""
    return tuple(
        replace(slot, evidence=record) for slot, record in zip(slots, records, strict=True)
    )


def with_music_evidence(cue: MusicCue | None, evidence: MusicEvidence | None) -> MusicCue | None:
    """The cue carrying why its track was chosen (no cue: no music, nothing to explain)."""
    return None if cue is None else replace(cue, evidence=evidence)
