"""Caption data as the harness's tasks: one caption ad becomes its select, sort and script samples.

The records are the same typed records the SFT test set is read into
(:mod:`autocut_core.editing.records`), so the runner, the metrics and the report do not know
which layout a sample came from. What the conversion keeps honest:

- ids are the file's: the sample's ``ad_id`` and each clip's ``clip_id`` (empty when the file
  gives none); nothing is invented;
- a caption goes to ``ClipEntry.caption``, which backbones read as ``Candidate.caption``; the
  transcript field (``text``) stays empty, since caption data has no transcript;
- times stay unknown when the file has none (``ClipEntry.start`` is None);
- the clips are shown in a seeded shuffle of their own (by ad and task, like
  ``autocut dataset build``), so the file's order, often the playing order or positives
  first, is not a hint; a sort sample is never shown already in order.

Which samples an ad gives: ``select`` when it has at least one distractor (without one every
clip is selected and the task asks nothing), ``sort`` when its gold order has two clips or
more, ``script`` when its gold order has as many clips as the script has lines.
:func:`caption_tasks` says which and why not, so the CLI can count what was left out.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from autocut_core.editing.caption_ads import CaptionAd, CaptionClip, resolve_gold
from autocut_core.editing.prompts import prompt_language
from autocut_core.editing.records import (
    ClipEntry,
    ScriptAnswer,
    ScriptMeta,
    ScriptRecord,
    SelectAnswer,
    SelectMeta,
    SelectRecord,
    SftRecord,
    SortAnswer,
    SortMeta,
    SortRecord,
)


@dataclass(frozen=True)
class CaptionTasks:
    """The records one caption ad gives, and each task it gives none of, with the reason."""

    records: list[SftRecord]
    missing: dict[str, str] = field(default_factory=dict)


def is_caption_line(data: object) -> bool:
    """Whether a parsed JSONL line is a caption ad (``clips`` and no SFT ``task``)."""
    return isinstance(data, dict) and "task" not in data and "clips" in data


def caption_tasks(ad: CaptionAd) -> CaptionTasks:
    """The ad's ``select``, ``sort`` and ``script`` records, in that order (see the module)."""
    selected, order = resolve_gold(ad)
    lang = ad.lang or prompt_language(ad.script)
    entries = [_entry(ad, clip) for clip in ad.clips]
    records: list[SftRecord] = []
    missing: dict[str, str] = {}

    if len(selected) < len(entries):
        shown = _shuffled(list(range(len(entries))), f"{ad.ad_id}/select", may_keep_order=True)
        meta = SelectMeta(
            product=ad.product,
            script=list(ad.script),
            candidates=[entries[i] for i in shown],
            answer=SelectAnswer(indices=sorted(shown.index(i) for i in selected)),
        )
        records.append(SelectRecord(lang=lang, ad_id=ad.ad_id, meta=meta))
    else:
        missing["select"] = "no distractor clips (every clip is in the gold selection)"

    if order is None:
        missing["sort"] = missing["script"] = "no gold order"
        return CaptionTasks(records, missing)
    if len(order) >= 2:
        shown = _shuffled(list(order), f"{ad.ad_id}/sort", may_keep_order=False)
        sort = SortMeta(
            product=ad.product,
            script=list(ad.script),
            candidates=[entries[i] for i in shown],
            answer=SortAnswer(order=[shown.index(i) for i in order]),
        )
        records.append(SortRecord(lang=lang, ad_id=ad.ad_id, meta=sort))
    else:
        missing["sort"] = "a gold order of one clip"
    if len(order) == len(ad.script):
        script = ScriptMeta(
            product=ad.product,
            candidates=[entries[i] for i in order],
            answer=ScriptAnswer(lines=list(ad.script)),
        )
        records.append(ScriptRecord(lang=lang, ad_id=ad.ad_id, meta=script))
    else:
        missing["script"] = (
            f"{len(ad.script)} script lines for {len(order)} clips in the gold order"
        )
    return CaptionTasks(records, missing)


def _entry(ad: CaptionAd, clip: CaptionClip) -> ClipEntry:
    return ClipEntry(
        clip_id=clip.clip_id,
        source_id="",
        source_path=clip.source,
        start=clip.start,
        end=clip.end,
        caption=clip.caption,
        ad_id=clip.ad_id,
    )


def _shuffled(items: Sequence[int], seed: str, *, may_keep_order: bool) -> list[int]:
    """A shuffle seeded by ``seed``; with ``may_keep_order`` false, never the given order."""
    rng = random.Random(seed)
    shown = list(items)
    for _ in range(20):
        rng.shuffle(shown)
        if may_keep_order or shown != list(items):
            break
    return shown
