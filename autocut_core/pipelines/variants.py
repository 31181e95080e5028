"""`autocut run --variants N`: N different ads from one brief, for an A/B test.

An ad team asks for "three versions to test", and three versions that show the same clips
to the same music test nothing. Variant ``k`` (0 is the plain ad) is made by the same
pipeline and backbone, steered three ways, each a rule a reviewer can check in the plans:

- **clips**: the script-driven pipeline offers the backbone only the clips the earlier
  variants used least, and of those the least recently (unused ones while enough are left
  for the script), so it picks different shots where the footage has them
  (:func:`fresh_candidates`; the footage-driven pipeline plays every curated clip);
- **music**: likewise the tracks of the library used least, least recently
  (:func:`fresh_tracks`);
- **hook and order**: the line (and its clip) that opens the ad rotates: variant ``k``
  opens with the ``k``-th pair (counted over every pair but the last, which stays last:
  it is the call to action in a script written that way), the others follow in their
  order (:func:`opening_order`).

How different the variants came out is measured, not assumed
(:mod:`autocut_core.pipelines.diversity`) and shown in the run's summary.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from autocut_core.components import Pipeline
from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_write_text
from autocut_core.pipelines.diversity import Diversity, pairwise
from autocut_core.pipelines.request import EditRequest, EditResult, Variant
from autocut_core.progress import Prefixed
from autocut_core.types import Candidate, MusicCandidate, Script

T = TypeVar("T")
#: Most variants one run makes (each is a full render).
MAX_VARIANTS = 20


def _least_used(
    items: Sequence[T], key: Callable[[T], str], used: Sequence[Sequence[str]], need: int
) -> list[T]:
    """The items the earlier variants used least, and of those the least recently, at least
    ``need`` of them (all items when there are fewer), in their original order so the
    backbone's tie-breaks stay the same. ``used`` has what each earlier variant played."""
    if not used or len(items) <= need:
        return list(items)
    uses: Counter[str] = Counter()
    last: dict[str, int] = {}
    for index, played in enumerate(used):
        for name in set(played):
            uses[name] += 1
            last[name] = index

    def tier(item: T) -> tuple[int, int]:
        return uses[key(item)], last.get(key(item), -1)

    for level in sorted({tier(item) for item in items}):
        kept = [item for item in items if tier(item) <= level]
        if len(kept) >= need:
            return kept
    return list(items)


def fresh_candidates(
    variant: Variant | None, candidates: Sequence[Candidate], count: int
) -> list[Candidate]:
    """The clips offered to a variant's selection of ``count`` (all of them for variant 0)."""
    if variant is None:
        return list(candidates)
    return _least_used(candidates, lambda c: c.clip.clip_id, variant.used_clips, count)


def fresh_tracks(variant: Variant | None, tracks: Sequence[MusicCandidate]) -> list[MusicCandidate]:
    """The tracks offered to a variant's music choice."""
    if variant is None:
        return list(tracks)
    return _least_used(tracks, lambda t: t.track.track_id, variant.used_tracks, 1)


def opening_order(variant: Variant | None, count: int) -> list[int]:
    """The playing order of a variant's ``count`` (clip, sentence) pairs: the pair it opens
    with first, the others in order; the last stays last when there are three or more."""
    if variant is None or count < 2:
        return list(range(count))
    movable = count - 1 if count >= 3 else count
    hook = variant.index % movable
    return [hook, *(i for i in range(count) if i != hook)]


def reordered(
    variant: Variant | None,
    clips: Sequence[Candidate],
    script: Script,
    scores: Sequence[float],
    pool_scores: Sequence[Sequence[float]],
) -> tuple[list[Candidate], Script, list[float], list[Sequence[float]]]:
    """Clips, sentences (with their roles) and their scores in the variant's playing order
    (pairs move together)."""
    order = opening_order(variant, len(clips))
    lines = tuple(script.sentences[i] for i in order)
    roles = tuple(script.roles[i] for i in order) if script.roles else ()
    return (
        [clips[i] for i in order],
        Script(sentences=lines, language=script.language, roles=roles),
        [scores[i] for i in order] if len(scores) == len(order) else list(scores),
        [pool_scores[i] for i in order] if len(pool_scores) == len(order) else list(pool_scores),
    )


def variant_output(output: Path, index: int) -> Path:
    """``out/ad.mp4`` -> ``out/ad-v1.mp4`` (variant 0), ``out/ad-v2.mp4``, ...: each variant
    has its own MP4, plan, contact sheet and voice folder beside the others."""
    return output.with_name(f"{output.stem}-v{index + 1}{output.suffix}")


def summary_path(output: Path) -> Path:
    """``out/ad.mp4`` -> ``out/ad.variants.json``, the summary beside the variants."""
    return output.with_name(f"{output.stem}.variants.json")


@dataclass(frozen=True)
class VariantsResult:
    """Every variant's result, in order, the diversity of each pair, and the summary file."""

    results: tuple[EditResult, ...]
    diversity: tuple[Diversity, ...]
    summary: Path

    def to_dict(self) -> dict[str, Any]:
        from autocut_core.editing.timeline import total_duration

        return {
            "measure": "mean of clip-set Jaccard distance, Kendall tau distance of the "
            "sentence order, music differs, hook differs",
            "variants": [
                {
                    "variant": number,
                    "video": str(result.video) if result.video else None,
                    "plan": str(result.side_outputs.get("plan", "")),
                    "duration": round(total_duration(result.plan), 3),
                    "hook": result.plan.slots[0].sentence if result.plan.slots else "",
                    "clips": [slot.clip_id for slot in result.plan.slots],
                    "music": result.plan.music.track_id if result.plan.music else None,
                    "music_path": result.plan.music.path if result.plan.music else None,
                }
                for number, result in enumerate(self.results, start=1)
            ],
            "pairs": [pair.to_dict() for pair in self.diversity],
            "mean_diversity": round(
                sum(pair.total for pair in self.diversity) / len(self.diversity), 4
            )
            if self.diversity
            else None,
        }


def run_variants(pipeline: Pipeline, request: EditRequest, count: int) -> VariantsResult:
    """Make ``count`` variants of ``request``, each told what the ones before it used."""
    if not 1 <= count <= MAX_VARIANTS:
        raise InputError(f"--variants {count}: choose 1 to {MAX_VARIANTS}")
    results: list[EditResult] = []
    clips: list[tuple[str, ...]] = []
    tracks: list[tuple[str, ...]] = []
    for index in range(count):
        variant = Variant(index, count, tuple(clips), tuple(tracks))
        asked = replace(
            request,
            output=variant_output(request.output, index),
            variant=variant,
            progress=Prefixed(request.progress, f"variant {index + 1}/{count}: "),
        )
        result = pipeline.run(asked)
        results.append(result)
        music = result.plan.music
        clips.append(tuple(slot.clip_id for slot in result.plan.slots))
        tracks.append((music.track_id,) if music is not None else ())
    request.output.parent.mkdir(parents=True, exist_ok=True)
    made = VariantsResult(
        tuple(results), tuple(pairwise([r.plan for r in results])), summary_path(request.output)
    )
    atomic_write_text(made.summary, json.dumps(made.to_dict(), ensure_ascii=False, indent=2) + "\n")
    return made
