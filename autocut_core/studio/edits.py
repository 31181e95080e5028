"""The storyboard's edits, as functions from one plan to the next.

Each edit builds on the core's own rules instead of restating them: a swapped clip is
trimmed by :func:`~autocut_core.pipelines.plan_builder.build_slots` (the run's trim
strategy), every plan is refitted to its voice lines
(:func:`~autocut_core.editing.timeline.fit_plan_to_voice`) and checked for footage shown
twice (:func:`~autocut_core.pipelines.plan_builder.check_distinct_footage`), and scores stay
honest (:mod:`autocut_core.editing.scores`): a swap keeps the backbone's score for the new
pairing, a reworded sentence loses its score and is re-voiced on render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from autocut_core.editing.scores import fingerprint, mark_edited
from autocut_core.editing.timeline import fit_plan_to_voice
from autocut_core.errors import InputError
from autocut_core.pipelines.plan_builder import build_slots, check_distinct_footage
from autocut_core.studio.choices import RunChoices
from autocut_core.studio.errors import Conflict, StudioError
from autocut_core.studio.project import RenderChoices
from autocut_core.types import Candidate, Clip, EditPlan, MusicCue, RenderSettings, SubtitleStyle

#: Width and height ratios of the page's aspect choices.
ASPECTS: dict[str, tuple[int, int]] = {"9:16": (9, 16), "16:9": (16, 9), "1:1": (1, 1)}


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Swap(_Edit):
    """Play the slot's ``alternative``-th ranked clip (0: the backbone's best) instead."""

    op: Literal["swap"]
    slot: int = Field(ge=0)
    alternative: int = Field(ge=0)


class Move(_Edit):
    """Move a card (clip and sentence) to position ``to``."""

    op: Literal["move"]
    slot: int = Field(ge=0)
    to: int = Field(ge=0)


class Reword(_Edit):
    op: Literal["sentence"]
    slot: int = Field(ge=0)
    text: str = Field(min_length=1, max_length=500)


class Music(_Edit):
    """Another track from the ranked list, or none (``track_id`` null)."""

    op: Literal["music"]
    track_id: str | None


class Look(_Edit):
    op: Literal["look"]
    render: RenderChoices


Edit = Annotated[Swap | Move | Reword | Music | Look, Field(discriminator="op")]


def render_settings(base: RenderSettings, choices: RenderChoices) -> RenderSettings:
    """``base`` with the page's look: frame size from aspect and long side (even pixels, as
    H.264 needs), subtitles, encoder speed."""
    ratio_w, ratio_h = ASPECTS[choices.aspect]
    long_ratio = max(ratio_w, ratio_h)
    width = 2 * round(choices.long_side * ratio_w / long_ratio / 2)
    height = 2 * round(choices.long_side * ratio_h / long_ratio / 2)
    style: SubtitleStyle = replace(
        base.subtitle_style,
        position=choices.subtitle_position,
        size=choices.subtitle_size,
        color=choices.subtitle_color.upper(),
    )
    return replace(base, width=width, height=height, fps=choices.fps, subtitles=choices.subtitles,
                   subtitle_style=style, preset=choices.preset, crf=choices.crf)  # fmt: skip


def apply(
    plan: EditPlan,
    keys: tuple[str, ...],
    edit: Swap | Move | Reword | Music | Look,
    choices: RunChoices,
    durations: Mapping[str, float],
) -> tuple[EditPlan, tuple[str, ...], str]:
    """The plan and slot keys after ``edit``, and a note for the history."""
    slots, order = list(plan.slots), list(keys)
    if isinstance(edit, Swap | Move | Reword) and edit.slot >= len(slots):
        raise StudioError(f"no slot {edit.slot + 1}: the plan has {len(slots)}")
    if isinstance(edit, Swap):
        offered = choices.slots.get(order[edit.slot], [])
        if edit.alternative >= len(offered):
            raise StudioError(
                f"slot {edit.slot + 1} has {len(offered)} alternatives, not {edit.alternative + 1}"
            )
        pick = offered[edit.alternative]
        old = slots[edit.slot]
        candidate = Candidate(
            clip=Clip(pick.source_id, pick.start, pick.end),
            caption=pick.caption,
            source_path=pick.source_path,
        )
        ranked_for = choices.sentences.get(order[edit.slot])
        scores = [] if pick.score is None or ranked_for != old.sentence else [pick.score]
        (new,) = build_slots([candidate], [old.sentence], plan.render, durations, scores)
        slots[edit.slot] = replace(new, voice_path=old.voice_path,
                                   voice_duration=old.voice_duration, voice_text=old.voice_text,
                                   voice_words=old.voice_words)  # fmt: skip
        note = f"slot {edit.slot + 1}: {pick.caption or pick.clip_id} (rank {pick.rank})"
    elif isinstance(edit, Move):
        to = min(edit.to, len(slots) - 1)
        slots.insert(to, slots.pop(edit.slot))
        order.insert(to, order.pop(edit.slot))
        note = f"moved slot {edit.slot + 1} to {to + 1}"
    elif isinstance(edit, Reword):
        text = " ".join(edit.text.split())
        slots[edit.slot] = replace(slots[edit.slot], sentence=text)
        note = f"slot {edit.slot + 1}: {text!r}"
    elif isinstance(edit, Music):
        plan = replace(plan, music=_music(edit.track_id, choices))
        note = f"music: {plan.music.path.rsplit('/', 1)[-1] if plan.music else 'none'}"
    else:
        plan = replace(plan, render=render_settings(plan.render, edit.render))
        note = f"look: {edit.render.aspect}, subtitles {edit.render.subtitle_position if edit.render.subtitles else 'off'}"
    # Only the slot the edit changed is fitted again: the others keep their timing (a plan
    # made to a target length or to the beats stays so).
    changed = edit.slot if isinstance(edit, Swap | Reword) else None
    keep = [index for index in range(len(slots)) if index != changed]
    fitted = fit_plan_to_voice(replace(plan, slots=tuple(slots)), durations, keep=keep)
    if isinstance(edit, Swap):  # the backbone scored exactly this pairing: seal it
        swapped = fitted.slots[edit.slot]
        sealed = replace(swapped, edited=False, scored_for=fingerprint(swapped)
                         if swapped.score is not None else None)  # fmt: skip
        fitted = replace(fitted, slots=_set(fitted.slots, edit.slot, sealed))
    try:
        check_distinct_footage(fitted.slots)
    except InputError as error:
        raise Conflict(str(error)) from error
    marked, _ = mark_edited(fitted)
    return marked, tuple(order), note


def _set(slots: tuple, index: int, value: object) -> tuple:
    return (*slots[:index], value, *slots[index + 1 :])


def _music(track_id: str | None, choices: RunChoices) -> MusicCue | None:
    if track_id is None:
        return None
    for option in choices.music:
        if option.track_id == track_id:
            return MusicCue(track_id=option.track_id, path=option.path)
    raise StudioError(f"track {track_id!r} is not in this run's music library")
