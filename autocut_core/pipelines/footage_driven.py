"""``footage-driven``: the ad team has curated clips; AutoCut writes and orders (paper §7.2 (2)).

product + clips in any order -> write one line per clip (or take ``--script``) -> order the
clips -> pick the music -> voice, fit, render. Each footage file is one clip.
"""

from __future__ import annotations

from autocut_core.components import Pipeline
from autocut_core.errors import InputError
from autocut_core.pipelines.request import EditRequest, EditResult
from autocut_core.types import Script


class FootageDrivenPipeline(Pipeline):
    name = "footage-driven"
    description = "Curated clips -> write the script, order, music, voice, render (paper §7.2 (2))"

    def run(self, request: EditRequest) -> EditResult:
        # Imported here: registering the pipeline must not load the database layer.
        from autocut_core.pipelines import gather, plan_builder, steps

        needed = set() if request.keep_order else {"sort"}
        if request.script is None:
            needed.add("write_script")
        if request.music and request.music_file is None:
            needed.add("pick_music")
        backbone = steps.make_backbone(request, needed)
        material = gather.gather(request)
        try:
            candidates, tracks = steps.with_tokens(
                request, material, backbone, gather.file_candidates(material),
                gather.music_candidates(material),
            )  # fmt: skip
            script = request.script or _written(backbone, request, candidates)
            if len(script) != len(candidates):
                raise InputError(
                    f"the script has {len(script)} sentences but there are {len(candidates)} "
                    "clips: footage-driven ads speak one sentence per clip"
                )
            sentences = list(script.sentences)
            if not request.keep_order:
                ordering = steps.checked_ordering(
                    backbone, backbone.sort(request.product, script, candidates), len(candidates)
                )
                candidates = [candidates[i] for i in ordering.order]
                if request.script is None:
                    # Written lines describe their own clip: they move with it.
                    sentences = [sentences[i] for i in ordering.order]
                script = Script(sentences=tuple(sentences), language=script.language)
            track, notes = steps.choose_music(
                request, backbone, request.product, script, candidates, tracks
            )
            durations = material.durations()
            slots = plan_builder.build_slots(candidates, sentences, request.render, durations)
            slots = plan_builder.add_voice(slots, steps.make_voice(request), request.assets)
            plan = plan_builder.assemble(
                slots, plan_builder.music_cue(track), request.render, request.product,
                self.name, durations,
            )  # fmt: skip
            return steps.finish(request, plan, material.notes + notes)
        finally:
            material.db.close()


def _written(backbone, request: EditRequest, candidates) -> Script:  # type: ignore[no-untyped-def]
    from autocut_core.pipelines import steps

    script = backbone.write_script(request.product, candidates)
    lines = [line.strip() for line in script.sentences]
    if len(lines) != len(candidates) or not all(lines):
        raise steps.BackboneAnswerError(
            f"backbone '{backbone.name}' wrote {len(lines)} lines for {len(candidates)} clips "
            "(one non-empty line per clip is required)"
        )
    return Script(sentences=tuple(lines), language=script.language)
