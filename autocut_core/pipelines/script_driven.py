"""``script-driven``: the ad team has a script; AutoCut finds the footage for it (paper §7.2 (1)).

product + script + footage (+ music library) -> index what is new -> select one clip per
sentence -> order the clips to the script -> pick the music -> voice, fit, render.
"""

from __future__ import annotations

from autocut_core.components import Pipeline
from autocut_core.errors import InputError
from autocut_core.pipelines.request import EditRequest, EditResult


class ScriptDrivenPipeline(Pipeline):
    name = "script-driven"
    description = "Script + footage -> select, order, music, voice, render (paper §7.2 (1))"

    def run(self, request: EditRequest) -> EditResult:
        # Imported here: registering the pipeline must not load the database layer.
        from autocut_core.pipelines import gather, steps, variants
        from autocut_core.pipelines.evidence import evidence_warnings

        script = request.script
        if script is None:
            raise InputError("the script-driven pipeline needs a script: --script FILE")
        script = steps.with_roles(request, script)
        backbone = steps.make_backbone(request, {"select"})
        with steps.offered(request, backbone, gather.shot_candidates) as (
            material, shots, tracks,
        ):  # fmt: skip
            count = len(script)
            candidates = variants.fresh_candidates(request.variant, shots, count)
            if len(candidates) < count:
                raise InputError(
                    f"the script has {count} sentences but the footage has only "
                    f"{len(candidates)} clips: add footage or shorten the script"
                )
            with steps.asking(request, backbone, "select clips"):
                selection = backbone.select(request.product, script, candidates, count)
            indices = list(selection.indices)
            scores = list(selection.scores) if len(selection.scores) == count else []
            evidence = list(selection.evidence)
            rows = list(selection.pool_scores)  # each clip's row: its runner-ups
            if request.keep_order:
                ranks = sorted(range(count), key=indices.__getitem__)
                indices = [indices[rank] for rank in ranks]
                scores = [scores[rank] for rank in ranks] if scores else []
                evidence = [evidence[rank] for rank in ranks] if evidence else []
                rows = [rows[rank] for rank in ranks] if rows else []
            chosen = [candidates[i] for i in indices]
            warnings = evidence_warnings(backbone, script, candidates, chosen, scores)
            if not request.keep_order:
                with steps.asking(request, backbone, "order clips"):
                    ordering = backbone.sort(request.product, script, chosen)
                chosen = [chosen[i] for i in ordering.order]
                scores = [scores[i] for i in ordering.order] if scores else []
                evidence = [evidence[i] for i in ordering.order] if evidence else []
                rows = [rows[i] for i in ordering.order] if rows else []
            return steps.conclude(
                request,
                material,
                backbone,
                self.name,
                script,
                chosen,
                tracks,
                scores,
                warnings,
                pool=candidates,
                pool_scores=rows,
                bases=evidence,
            )
