"""The paper's data filters (§7.6.2), each counting what it removed.

Applied in this order; an ad is counted by the first filter it fails:

``empty``          the transcript has no words (no speech, or only music notes and dots).
                   Such an ad has nothing to align, so it leaves both corpora.
``duration``       the video lasts ``max_duration`` (120) seconds or more.
``clip_duration``  a sentence clip is shorter than ``min_clip`` (2) or longer than
                   ``max_clip`` (60) seconds.
``clip_count``     fewer than ``min_clips`` (2) clips: nothing to select among or to order.
``repetitive``     heavy repetition: at most half of the sentences are distinct, or at most
                   half of the word trigrams are (characters for Chinese), e.g. a chorus.
``duplicate``      the same {brand, product name, script} as an ad kept before it (ad id
                   order), compared after folding case, punctuation and spacing.
``relevance``      the paper keeps an ad only if a VLM (Qwen2.5-VL-32B) scores >= 80 % of its
                   clips above 4 for visual-script relevance. No such model runs offline, so
                   this filter is reported as unavailable and removes nothing.

All but ``empty`` apply to the SFT corpus only: the alignment corpus is the larger, noisier
set the paper describes (§4.1, Figure 3), the SFT corpus its curated subset.

:class:`FilterReport` keeps, per filter, every ad it removed and why, so the build report can
show counts and examples, and so a corpus that ends empty is an error naming the filters
that emptied it and the settings that loosen them (a too strict ``--min-clip`` once removed
every ad from the SFT corpus without a word).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from autocut_core.dataset.clips import ClipSpan
from autocut_core.text import is_cjk
from autocut_core.types import Product

#: Filter names in the order they run (``relevance`` is reported, never run).
FILTERS: tuple[str, ...] = (
    "empty",
    "duration",
    "clip_duration",
    "clip_count",
    "repetitive",
    "duplicate",
)
#: What each filter removes, for the build report.
WHY: dict[str, str] = {
    "empty": "the transcript has no words",
    "duration": "the video is too long",
    "clip_duration": "a sentence clip is too short or too long",
    "clip_count": "too few sentence clips",
    "repetitive": "the script repeats itself",
    "duplicate": "same brand, product and script as an earlier ad",
}
#: The :class:`FilterSettings` fields (and `autocut dataset build` options) each filter reads.
SETTINGS_OF: dict[str, tuple[str, ...]] = {
    "empty": (),
    "duration": ("max_duration",),
    "clip_duration": ("min_clip", "max_clip"),
    "clip_count": ("min_clips",),
    "repetitive": ("max_repetition",),
    "duplicate": (),
}
#: Examples kept per filter in the build report.
EXAMPLES = 3
RELEVANCE_NOTE = (
    "not available offline: the paper scores each clip's first frame against its sentence "
    "with Qwen2.5-VL-32B and keeps ads with >= 80% of clips scoring > 4"
)


@dataclass(frozen=True)
class FilterSettings:
    max_duration: float = 120.0
    min_clip: float = 2.0
    max_clip: float = 60.0
    min_clips: int = 2
    #: An ad is repetitive when the share of distinct sentences or trigrams is at most this.
    max_repetition: float = 0.5


class FilterReport:
    """Every ad each filter removed, with the reason, in the order they were checked."""

    def __init__(self) -> None:
        self.removed: dict[str, list[tuple[str, str]]] = {name: [] for name in FILTERS}

    def add(self, name: str, ad_id: str, reason: str) -> None:
        self.removed[name].append((ad_id, reason))

    def summary(self) -> dict[str, dict[str, object]]:
        """Per filter: count, ad ids, what it removes, the corpora it applies to, examples."""
        return {
            name: {
                "removed": len(entries),
                "ads": [ad_id for ad_id, _ in entries],
                "why": WHY[name],
                "corpora": "alignment and sft" if name == "empty" else "sft",
                "examples": [
                    {"ad_id": ad_id, "reason": reason} for ad_id, reason in entries[:EXAMPLES]
                ],
            }
            for name, entries in self.removed.items()
        }

    def emptied(self, corpus: str, candidates: int) -> str:
        """Why ``corpus`` ended with no ad: the filters that removed the ``candidates`` ads
        that reached them, each with a count, an example and the settings that loosen it."""
        names = [name for name in FILTERS if self.removed[name]]
        if corpus == "alignment":
            names = [name for name in names if name == "empty"]
        parts = []
        for name in names:
            ad_id, reason = self.removed[name][0]
            knobs = ", ".join(f"--{knob.replace('_', '-')}" for knob in SETTINGS_OF[name])
            parts.append(
                f"filter '{name}' removed {len(self.removed[name])} ({WHY[name]}; e.g. "
                f"{ad_id}: {reason})" + (f"; loosen it with {knobs}" if knobs else "")
            )
        return (
            f"the {corpus} corpus would be empty: of the {candidates} readable ad(s), "
            + "; ".join(parts)
        )


def first_failure(
    duration: float, clips: Sequence[ClipSpan], settings: FilterSettings
) -> tuple[str, str] | None:
    """``(filter, detail)`` of the first per-ad filter the ad fails, or None if it passes.

    ``duplicate`` needs the other ads and is checked by :class:`DuplicateFilter`.
    """
    if not any(_words(clip.text) for clip in clips):
        return "empty", "the transcript has no words"
    if duration >= settings.max_duration:
        return "duration", f"the video lasts {duration:.1f} s (limit < {settings.max_duration:g} s)"
    for number, clip in enumerate(clips, start=1):
        if not settings.min_clip <= clip.duration <= settings.max_clip:
            return "clip_duration", (
                f"clip {number} ({clip.text[:30]!r}) lasts {clip.duration:.2f} s "
                f"(allowed {settings.min_clip:g}-{settings.max_clip:g} s)"
            )
    if len(clips) < settings.min_clips:
        return "clip_count", f"{len(clips)} clip(s), at least {settings.min_clips} needed"
    repetition = repetition_detail([clip.text for clip in clips], settings.max_repetition)
    if repetition:
        return "repetitive", repetition
    return None


def repetition_detail(sentences: Sequence[str], limit: float = 0.5) -> str | None:
    """Why a script counts as heavily repetitive, or None if it does not."""
    folded = [" ".join(_words(sentence)) for sentence in sentences]
    folded = [sentence for sentence in folded if sentence]
    if len(folded) >= 2:
        distinct = len(set(folded)) / len(folded)
        if distinct <= limit:
            return f"only {len(set(folded))} of {len(folded)} sentences are distinct"
    words = [word for sentence in sentences for word in _words(sentence)]
    trigrams = list(zip(words, words[1:], words[2:], strict=False))
    if len(trigrams) >= 6:
        share = len(set(trigrams)) / len(trigrams)
        if share <= limit:
            return f"only {share:.0%} of word trigrams are distinct"
    return None


class DuplicateFilter:
    """Remembers the {brand, product, script} of every ad kept so far."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def check(self, ad_id: str, product: Product, sentences: Sequence[str]) -> str | None:
        """The ad id this ad duplicates, or None (and then it is remembered)."""
        key = duplicate_key(product, sentences)
        if key in self._seen:
            return self._seen[key]
        self._seen[key] = ad_id
        return None


def duplicate_key(product: Product, sentences: Sequence[str]) -> str:
    """The hash of {brand, product, script} that near-duplicates share."""
    fields = {
        "brand": " ".join(_words(product.brand)),
        "product": " ".join(_words(product.name)),
        "script": [" ".join(_words(sentence)) for sentence in sentences],
    }
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    """Case- and width-folded words; each CJK character counts as a word."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words: list[str] = []
    for match in _WORD.finditer(folded):
        word = match.group()
        if any(is_cjk(char) for char in word):
            words.extend(char for char in word if not char.isspace())
        else:
            words.append(word)
    return words
