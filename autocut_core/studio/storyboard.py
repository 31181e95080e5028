"""The storyboard as JSON: what the page draws, one card per slot.

A card shows where the slot plays (in/out, held seconds), its sentence, the backbone's score
(or "edited"), the evidence behind the pick (what the clip shows, from captions) and the
slot's ranked alternatives with thumbnails, so the reason for every choice is on screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from autocut_core.editing.scores import score_label
from autocut_core.editing.timeline import place, total_duration
from autocut_core.studio.choices import RunChoices
from autocut_core.studio.project import Project, ProjectSpec
from autocut_core.studio.versions import PlanHistory, Version


def thumb_url(project: Project, source: str, start: float, end: float) -> str:
    """A frame a third into the stretch: past a cut's first frame, well before the next."""
    at = start + (end - start) / 3
    return f"/api/projects/{project.id}/thumb?source={quote(source)}&at={at:.3f}"


def build(
    project: Project, spec: ProjectSpec, version: Version, choices: RunChoices
) -> dict[str, Any]:
    plan = version.plan
    cards = []
    for placed, key in zip(place(plan), version.keys, strict=True):
        slot = placed.slot
        alternatives = [
            {
                **alt.model_dump(mode="json"),
                "source": Path(alt.source_path).name,
                "current": alt.clip_id == slot.clip_id,
                "thumb": thumb_url(project, alt.source_path, alt.start, alt.end),
            }
            for alt in choices.slots.get(key, [])
        ]
        cards.append({
            "index": placed.index,
            "key": key,
            "clip_id": slot.clip_id,
            "source": Path(slot.source_path).name,
            "source_path": slot.source_path,
            "in": round(slot.source_in, 3),
            "out": round(slot.source_out, 3),
            "hold": slot.hold,
            "start": round(placed.start, 3),
            "end": round(placed.end, 3),
            "sentence": slot.sentence,
            "score": slot.score,
            "score_label": score_label(slot) or "unscored",
            "edited": slot.edited,
            "revoice": slot.voice_text is not None and slot.voice_text != slot.sentence,
            "evidence": choices.captions.get(slot.clip_id, ""),
            "thumb": thumb_url(project, slot.source_path, slot.source_in, slot.source_out),
            "alternatives": alternatives,
        })  # fmt: skip
    return {
        "project": {
            "id": project.id,
            "name": spec.name,
            "pipeline": spec.pipeline,
            "backbone": choices.backbone,
        },
        "version": version.summary(),
        "history": PlanHistory(project.versions).history(),
        "slots": cards,
        "duration": round(total_duration(plan), 3),
        "size": [plan.render.width, plan.render.height],
        "render": spec.render.model_dump(mode="json"),
        "music": {
            "current": plan.music.track_id if plan.music else None,
            "ranked": choices.music_ranked,
            "options": [option.model_dump(mode="json") for option in choices.music],
        },
        "notes": choices.notes,
        "warnings": choices.warnings,
    }
