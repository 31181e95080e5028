"""The studio's long work: index a project's media, run a pipeline, rank the alternatives.

All of it is the core's: :func:`autocut_core.materials.indexing.index` for indexing, the
configured pipeline (as a dry run: the plan comes back with its voice lines, nothing is
rendered until the user has looked), and the backbone's own ``select`` for the alternatives
of each slot: asked for the top k clips for the slot's sentence from the same pool the
pipeline chose from. Music is ranked by ``rank_music`` where the backbone can, else by asking
``pick_music`` again without the tracks already picked, so the order is the backbone's too.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autocut_core.components import Backbone
from autocut_core.materials.indexing import index, options_from_settings
from autocut_core.pipelines import gather, steps
from autocut_core.pipelines.request import EditRequest
from autocut_core.progress import Reporter, file_done, reporting_to
from autocut_core.settings import AutocutSettings
from autocut_core.studio.choices import Alternative, MusicOption, RunChoices
from autocut_core.studio.edits import render_settings
from autocut_core.studio.project import Project, ProjectSpec
from autocut_core.studio.versions import PlanHistory, Version
from autocut_core.types import Candidate, MusicCandidate, Product, Script

#: Music tracks ranked by repeated picks at most (each pick listens to the library again).
MAX_MUSIC_PICKS = 8


def project_settings(base: AutocutSettings, project: Project, spec: ProjectSpec) -> AutocutSettings:
    """The studio's settings with this project's pipeline, backbone, database and look."""
    return base.model_copy(update={
        "pipeline": spec.pipeline,
        "backbone": spec.backbone,
        "db": project.db,
        "render": render_settings(base.render, spec.render),
    })  # fmt: skip


def index_project(
    project: Project, spec: ProjectSpec, settings: AutocutSettings, progress: Reporter
) -> dict[str, Any]:
    """Index the project's footage and music; the report lists every file that failed."""
    options = options_from_settings(settings)
    with progress.stage("index footage and music") as stage, reporting_to(stage):
        report = index(_paths(spec.footage), _paths(spec.music), project.db, options, file_done)
    return report.to_dict()


def _paths(names: Sequence[str]) -> list[Path]:
    return [Path(name) for name in names]


def request_for(
    project: Project,
    spec: ProjectSpec,
    settings: AutocutSettings,
    progress: Reporter,
    backbone: Backbone | None = None,
) -> EditRequest:
    return EditRequest(
        product=spec.product_facts(),
        footage=tuple(_paths(spec.footage)),
        output=project.run_video,
        settings=settings,
        script=spec.script_lines(),
        music=tuple(_paths(spec.music)),
        db=project.db,
        render=settings.render,
        dry_run=True,
        progress=progress,
        backbone=backbone,
    )


def run_project(
    project: Project,
    spec: ProjectSpec,
    settings: AutocutSettings,
    progress: Reporter,
    backbone: Backbone | None = None,
) -> Version:
    """Run the project's pipeline, rank the alternatives, save the plan as a new version.

    ``backbone`` (built from ``settings``) serves both the run and the ranking, so its
    models load once; without it one is built for both.
    """
    backbone = backbone or settings.create("backbone")
    request = request_for(project, spec, settings, progress, backbone)
    result = settings.create("pipeline").run(request)
    plan = result.plan
    keys = tuple(f"s{index + 1}" for index in range(len(plan.slots)))
    choices = rank_choices(request, spec, plan.slots, keys)
    choices = choices.model_copy(
        update={"notes": list(result.notes), "warnings": list(result.warnings)}
    )
    choices.save(project.alternatives_file)
    note = f"{spec.pipeline} run, backbone {spec.backbone}"
    return PlanHistory(project.versions).save(plan, keys, note)


def rank_choices(
    request: EditRequest, spec: ProjectSpec, slots: Sequence[Any], keys: Sequence[str]
) -> RunChoices:
    """Each slot's top-k alternatives and the ranked music, from the backbone itself."""
    backbone = request.backbone or request.settings.create("backbone")
    pool = gather.shot_candidates if spec.pipeline == "script-driven" else gather.file_candidates
    choices = RunChoices(backbone=backbone.name, pipeline=spec.pipeline)
    with steps.offered(request, backbone, pool) as (_material, candidates, tracks):
        choices.captions = {c.clip.clip_id: c.caption for c in candidates}
        count = min(spec.alternatives, len(candidates))
        with request.progress.stage("rank alternatives", total=len(slots)) as stage:
            for done, (key, slot) in enumerate(zip(keys, slots, strict=True), start=1):
                choices.sentences[key] = slot.sentence
                if count and "select" in backbone.capabilities:
                    choices.slots[key] = _ranked(backbone, request.product, slot.sentence,
                                                 candidates, count)  # fmt: skip
                stage.update(done, len(slots))
        by_id = {c.clip.clip_id: c for c in candidates}
        chosen = [by_id[slot.clip_id] for slot in slots if slot.clip_id in by_id]
        script = Script(sentences=tuple(slot.sentence for slot in slots))
        if tracks:
            with request.progress.stage("rank music"):
                choices.music, choices.music_ranked = _music(
                    backbone, request.product, script, chosen, tracks
                )
    return choices


def _ranked(
    backbone: Backbone, product: Product, sentence: str, pool: Sequence[Candidate], count: int
) -> list[Alternative]:
    selection = backbone.select(product, Script(sentences=(sentence,)), pool, count)
    scores = list(selection.scores) if selection.scores else [None] * count
    return [
        Alternative(
            rank=rank,
            source_id=pool[i].clip.source_id,
            clip_id=pool[i].clip.clip_id,
            source_path=pool[i].source_path,
            start=pool[i].clip.start,
            end=pool[i].clip.end,
            caption=pool[i].caption,
            score=score,
        )
        for rank, (i, score) in enumerate(zip(selection.indices, scores, strict=True), start=1)
    ]


def _music(
    backbone: Backbone,
    product: Product,
    script: Script,
    clips: Sequence[Candidate],
    tracks: Sequence[MusicCandidate],
) -> tuple[list[MusicOption], bool]:
    def option(track: MusicCandidate, score: float | None) -> MusicOption:
        t = track.track
        return MusicOption(track_id=t.track_id, path=t.path, title=t.title or Path(t.path).stem,
                           duration=t.duration, score=score)  # fmt: skip

    if "rank_music" in backbone.capabilities:
        scores = backbone.rank_music(product, script, clips, tracks)
        ranked = sorted(zip(tracks, scores, strict=True), key=lambda pair: -pair[1])
        return [option(track, score) for track, score in ranked], True
    if "pick_music" not in backbone.capabilities:
        return [option(track, None) for track in tracks], False
    left, picked = list(tracks), list[MusicOption]()
    while left and len(picked) < MAX_MUSIC_PICKS:
        choice = backbone.pick_music(product, script, clips, left)
        track = next(t for t in left if t.track.track_id == choice.track_id)
        picked.append(option(track, choice.score))
        left.remove(track)
    return picked + [option(track, None) for track in left], True
