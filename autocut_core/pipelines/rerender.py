"""Render an edited plan again: what ``autocut render PLAN.json`` does and AutoCut Studio reuses.

A plan edited by hand (a swapped clip, a rewritten sentence, another track) keeps its voice
lines where they still speak the slot's sentence and speaks the others again; a slot edited
or spoken again is refitted to its voice line, the others keep their timing (a plan made to a
target length or to the beats stays so) unless it would now cut their voice, and a slot
changed since the backbone scored it loses its score.
One function, so the command line and the studio cannot render an edit differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from autocut_core.pipelines.request import EditResult
from autocut_core.progress import SILENT, Reporter
from autocut_core.settings import AutocutSettings
from autocut_core.types import EditPlan, Slot


def render_edited(
    plan: EditPlan,
    output: Path,
    settings: AutocutSettings,
    revoice: bool = False,
    progress: Reporter = SILENT,
) -> EditResult:
    """Mark hand edits, speak stale (or, with ``revoice``, all) lines, refit, render."""
    from autocut_core.editing.scores import mark_edited, seal
    from autocut_core.pipelines.finish import render_plan

    plan, edited = mark_edited(plan)
    plan = seal(revoiced(plan, settings, output, revoice, progress, edited))
    files = render_plan(plan, output, settings, progress)
    video = files.pop("video")
    notes = [f"slot {index + 1} was edited: its score no longer applies" for index in edited]
    return EditResult(plan=plan, video=video, side_outputs=files, notes=tuple(notes))


def revoiced(
    plan: EditPlan,
    settings: AutocutSettings,
    output: Path,
    everything: bool,
    progress: Reporter = SILENT,
    edited: Sequence[int] = (),
) -> EditPlan:
    """The plan with missing (or all) voice lines spoken again; those slots and the
    ``edited`` ones are refitted, the others keep their timing while it covers their voice."""
    from autocut_core.editing.timeline import fit_plan_to_voice
    from autocut_core.media import MediaError, probe
    from autocut_core.pipelines.steps import speak, word_timer

    stale = [
        i
        for i, slot in enumerate(plan.slots)
        if everything or (slot.voice_path is not None and _stale(slot.voice_path, slot))
    ]
    slots = list(plan.slots)
    if stale:
        voice = settings.create("voice")
        folder = output.with_name(output.stem + ".assets")
        spoken = speak([slots[i] for i in stale], voice, folder, progress,
                       word_timer(settings))  # fmt: skip
        for i, slot in zip(stale, spoken, strict=True):
            slots[i] = slot
    durations: dict[str, float] = {}
    for number, slot in enumerate(slots, start=1):
        if slot.source_path not in durations:
            try:
                durations[slot.source_path] = probe(slot.source_path).duration
            except MediaError as error:  # a hand-edited plan: say which slot names the file
                role = f"footage of slot {number} ({slot.clip_id})"
                raise MediaError(error.path, f"{role}: {error.reason}") from None
    changed = set(stale) | set(edited)
    keep = [index for index in range(len(slots)) if index not in changed]
    return fit_plan_to_voice(replace(plan, slots=tuple(slots)), durations, keep=keep)


def _stale(voice_path: str, slot: Slot) -> bool:
    """A voice line that is gone, or that speaks another text than the slot's sentence."""
    edited = slot.voice_text is not None and slot.voice_text != slot.sentence
    return edited or not Path(voice_path).is_file()
