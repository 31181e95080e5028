"""The four SFT tasks of one ad (paper §7.6.3) as ShareGPT records.

``select``  positives are the ad's clips, negatives as many clips of other ads (1:1; of ads
            in the same language when there are enough), all shuffled; the answer is the
            positives' indices, ascending.
``sort``    the ad's clips shuffled (never left in order when there are two or more); the
            answer is the permutation ``order[i]`` = the shown index of the clip playing i-th.
``script``  the ad's clips in order; the answer is its script, one line per clip.
``music``   the ad's clips in order and its script; the answer is its background music's
            audio tokens. ``meta.music_pool`` holds that track and up to ``music_pool - 1``
            other ads' tracks (shuffled) for ranking metrics. Ads without music have no
            ``music`` record.

Prompts and answers are written in the chosen profile (:mod:`autocut_core.editing.profiles`):
AutoCut's own, or the reference implementation's, in which each ad gives one record of one
task (:func:`assign_tasks`) as the reference's generator assigns them.

Every random choice comes from a generator seeded with (seed, ad id, task, sample), so a
record depends only on its ad, the seed and the pools, not on how many ads came before.
Negatives and other tracks come from the pools the build passes: ads of the same split side
for training ads (nothing of a validation ad reaches the training files) and never an ad of
the same group (a duplicate's clips are no negatives).
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from autocut_core.dataset.records import Ad, AdClip
from autocut_core.editing.profiles import DEFAULT_PROFILE, PROFILES, Profile, get_profile
from autocut_core.editing.prompts import TASKS, prompt_language
from autocut_core.editing.records import (
    RECORD_TYPES,
    ClipEntry,
    MusicMeta,
    ScriptAnswer,
    ScriptMeta,
    SelectAnswer,
    SelectMeta,
    SftMeta,
    SftRecord,
    SortAnswer,
    SortMeta,
    TrackEntry,
)
from autocut_core.types import Candidate, Clip, Product

LANG_CHOICES = ("auto", "en", "zh", "both")
T = TypeVar("T")


@dataclass(frozen=True)
class TaskOptions:
    seed: int = 0
    #: ``auto``: each ad's prompts in its script's language; ``both``: English and Chinese.
    lang: str = "auto"
    tasks: tuple[str, ...] = TASKS
    #: Records per ad and task, each with its own shuffle and negatives.
    samples_per_ad: int = 1
    #: Tracks in a music record's ``music_pool``, the ad's own included.
    music_pool: int = 10
    #: The prompt/answer profile (``autocut`` or ``reference``).
    profile: str = DEFAULT_PROFILE

    def __post_init__(self) -> None:
        if self.lang not in LANG_CHOICES:
            raise ValueError(f"lang must be one of {', '.join(LANG_CHOICES)}, not {self.lang!r}")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        profile = get_profile(self.profile)
        wanted = {"auto": [], "both": ["en", "zh"]}.get(self.lang, [self.lang])
        for lang in wanted:
            if lang not in profile.languages:
                raise ValueError(
                    f"profile {self.profile!r} has prompts in {', '.join(profile.languages)} "
                    f"only; --lang {self.lang} does not fit it"
                )
        unknown = [task for task in self.tasks if task not in TASKS]
        if unknown or not self.tasks:
            raise ValueError(f"tasks must be among {', '.join(TASKS)}, got {list(self.tasks)}")
        if self.samples_per_ad < 1 or self.music_pool < 1:
            raise ValueError("samples_per_ad and music_pool must be at least 1")


def languages(ad: Ad, choice: str, profile: str = DEFAULT_PROFILE) -> list[str]:
    if choice == "both":
        return ["en", "zh"]
    if choice != "auto":
        return [choice]
    own = get_profile(profile).languages
    return [own[0]] if len(own) == 1 else [prompt_language(ad.sentences)]


def eligible_tasks(ad: Ad, tasks: Sequence[str]) -> list[str]:
    """The ``tasks`` an ad can give a record of (``music`` needs its music's tokens)."""
    return [task for task in tasks if task != "music" or ad.bgm_tokens]


def assign_tasks(ads: Sequence[Ad], options: TaskOptions) -> dict[str, tuple[str, ...]]:
    """Each ad's tasks: all of ``options.tasks``, or one each for a one-task-per-ad profile.

    One task per ad, as the reference's generator assigns them (each ad the source of one
    task's records only), but balanced instead of by fixed ratios that leave ads unused: the
    ads in an order fixed by the seed and their ids take, in turn, the task used least so far
    among those they can give (ties: the tasks' order). So the tasks' counts stay within one
    of each other, except ``music`` when too few ads have music.
    """
    if not get_profile(options.profile).one_task_per_ad:
        return {ad.ad_id: tuple(eligible_tasks(ad, options.tasks)) for ad in ads}

    def key(ad: Ad) -> str:
        return hashlib.sha256(f"{options.seed}/{ad.ad_id}".encode()).hexdigest()

    used = dict.fromkeys(options.tasks, 0)
    chosen: dict[str, tuple[str, ...]] = {}
    for ad in sorted(ads, key=key):
        possible = eligible_tasks(ad, options.tasks)
        if not possible:
            chosen[ad.ad_id] = ()
            continue
        task = min(possible, key=lambda name: (used[name], options.tasks.index(name)))
        used[task] += 1
        chosen[ad.ad_id] = (task,)
    return chosen


class Pool:
    """The clips and tracks records may draw negatives and other music from.

    Built once per split side and shared by its records: each draw samples indices instead
    of copying the pool, so a corpus of thousands of ads costs no more per record than a dozen.
    """

    def __init__(self, ads: Sequence[Ad]):
        self.clips: list[tuple[Ad, AdClip]] = [(ad, clip) for ad in ads for clip in ad.clips]
        self.by_language: dict[str, list[tuple[Ad, AdClip]]] = defaultdict(list)
        for ad, clip in self.clips:
            self.by_language[ad.language].append((ad, clip))
        self._group_clips = Counter((ad.group, ad.language) for ad, _ in self.clips)
        tracks: dict[str, Ad] = {}
        for ad in ads:
            if ad.bgm_tokens:
                tracks.setdefault(ad.track_id, ad)
        self.tracks = [tracks[track_id] for track_id in sorted(tracks)]

    def negatives(self, ad: Ad, count: int, rng: random.Random) -> list[tuple[Ad, AdClip]]:
        """Up to ``count`` clips of other groups' ads, in the ad's language when there are
        enough of those (a sentence in another language would give a negative away)."""
        own = self._group_clips[(ad.group, ad.language)]
        same_language = self.by_language.get(ad.language, [])
        if len(same_language) - own >= count:
            return _draw(same_language, count, own, lambda entry: entry[0].group != ad.group, rng)
        own = sum(n for (group, _), n in self._group_clips.items() if group == ad.group)
        return _draw(self.clips, count, own, lambda entry: entry[0].group != ad.group, rng)

    def other_tracks(self, ad: Ad, count: int, rng: random.Random) -> list[Ad]:
        """Up to ``count`` ads with music other than this ad's track."""
        own = sum(1 for other in self.tracks if other.track_id == ad.track_id)
        return _draw(self.tracks, count, own, lambda other: other.track_id != ad.track_id, rng)


def _draw(
    population: Sequence[T], count: int, excluded: int, keep: Any, rng: random.Random
) -> list[T]:
    """``count`` items drawn uniformly from those ``keep`` accepts, where at most
    ``excluded`` items are refused: sample that many more, then drop the refused ones."""
    size = min(len(population), count + excluded)
    chosen = [population[i] for i in rng.sample(range(len(population)), size)]
    return [item for item in chosen if keep(item)][:count]


def sft_records(
    ad: Ad, pool: Pool, options: TaskOptions, tasks: Sequence[str] | None = None
) -> list[SftRecord]:
    """The ad's records: for each sample, each of ``tasks`` (default: ``options.tasks``; the
    build passes :func:`assign_tasks`'s) and each language."""
    profile = get_profile(options.profile)
    records = []
    for sample in range(options.samples_per_ad):
        for task in eligible_tasks(ad, options.tasks if tasks is None else tasks):
            rng = random.Random(f"{options.seed}/{ad.ad_id}/{task}/{sample}")
            meta = _META[task](ad, pool, rng, options)
            for lang in languages(ad, options.lang, options.profile):
                records.append(_record(profile, task, lang, ad, meta))
    return records


def _record(profile: Profile, task: str, lang: str, ad: Ad, meta: SftMeta) -> SftRecord:
    candidates = [_candidate(entry) for entry in meta.candidates]
    script = None if isinstance(meta, ScriptMeta) else meta.script
    system, human = profile.build_prompt(
        task, meta.product, script, candidates, lang, count=len(ad.clips)
    )
    answer = profile.format_answer(task, meta.answer_value)
    # Validated as the task's record type: a meta of another task is refused here.
    return RECORD_TYPES[task].model_validate(
        {
            "conversations": [{"from": "human", "value": human}, {"from": "gpt", "value": answer}],
            "system": system,
            "task": task,
            "lang": lang,
            "ad_id": ad.ad_id,
            "meta": meta,
        }
    )


def _candidate(entry: ClipEntry) -> Candidate:
    clip = Clip(entry.source_id, *entry.span())  # the builder's clips are always timed
    return Candidate(clip, entry.tokens, entry.text, entry.source_path)


def clip_entry(ad: Ad, clip: AdClip) -> ClipEntry:
    """A candidate clip as ``meta.candidates`` lists it."""
    return ClipEntry(
        clip_id=ad.clip_id(clip),
        source_id=ad.source_id,
        source_path=ad.source_path,
        start=clip.start,
        end=clip.end,
        text=clip.text,
        tokens=clip.tokens,
        ad_id=ad.ad_id,
    )


def track_entry(ad: Ad) -> TrackEntry:
    return TrackEntry(track_id=ad.track_id, path=ad.bgm_path, tokens=ad.bgm_tokens)


def _product(ad: Ad) -> Product:
    if ad.product is None:
        raise ValueError(f"ad {ad.ad_id} has no product facts: it cannot have SFT records")
    return ad.product


def _script_of(ad: Ad) -> list[str]:
    return [clip.text for clip in ad.clips]


def _select(ad: Ad, pool: Pool, rng: random.Random, _: TaskOptions) -> SelectMeta:
    positives = [clip_entry(ad, clip) for clip in ad.clips]
    negatives = [clip_entry(other, clip) for other, clip in pool.negatives(ad, len(positives), rng)]
    shown = positives + negatives
    rng.shuffle(shown)
    indices = sorted(i for i, entry in enumerate(shown) if entry.ad_id == ad.ad_id)
    return SelectMeta(
        product=_product(ad),
        script=_script_of(ad),
        candidates=shown,
        answer=SelectAnswer(indices=indices),
    )


def _sort(ad: Ad, _pool: Pool, rng: random.Random, __: TaskOptions) -> SortMeta:
    playing = list(range(len(ad.clips)))
    shown = playing[:]
    for _ in range(20):  # a shuffle that happens to keep the order teaches nothing
        rng.shuffle(shown)
        if shown != playing or len(shown) < 2:
            break
    order = [shown.index(position) for position in playing]
    candidates = [clip_entry(ad, ad.clips[position]) for position in shown]
    return SortMeta(
        product=_product(ad),
        script=_script_of(ad),
        candidates=candidates,
        answer=SortAnswer(order=order),
    )


def _script(ad: Ad, _pool: Pool, _rng: random.Random, __: TaskOptions) -> ScriptMeta:
    candidates = [clip_entry(ad, clip) for clip in ad.clips]
    return ScriptMeta(
        product=_product(ad), candidates=candidates, answer=ScriptAnswer(lines=_script_of(ad))
    )


def _music(ad: Ad, pool: Pool, rng: random.Random, options: TaskOptions) -> MusicMeta:
    candidates = [clip_entry(ad, clip) for clip in ad.clips]
    others = pool.other_tracks(ad, options.music_pool - 1, rng)
    tracks = [track_entry(ad)] + [track_entry(other) for other in others]
    rng.shuffle(tracks)
    return MusicMeta(
        product=_product(ad),
        script=_script_of(ad),
        candidates=candidates,
        answer=track_entry(ad),
        music_pool=tracks,
    )


#: task -> what builds its meta (the record type follows from the meta's type).
_META: dict[str, Callable[[Ad, Pool, random.Random, TaskOptions], SftMeta]] = {
    "select": _select,
    "sort": _sort,
    "script": _script,
    "music": _music,
}
