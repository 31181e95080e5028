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
        from autocut_core.pipelines import gather, steps
        from autocut_core.pipelines.craft import lines_for_length
        from autocut_core.pipelines.evidence import evidence_warnings

        backbone = steps.make_backbone(request, set() if request.script else {"write_script"})
        with steps.offered(request, backbone, gather.file_candidates) as (material, given, tracks):
            clips = list(given)
            notes: list[str] = []
            script = request.script
            if not script:  # as make_backbone decided: no (or an empty) script is written
                with steps.asking(request, backbone, "write the script"):
                    script = backbone.write_script(request.product, clips)
                kept = lines_for_length(request.craft, script.sentences, request.product)
                if kept is not None:  # --duration has time for fewer lines: ask for them
                    dropped = len(clips) - len(kept)
                    clips = [clips[i] for i in kept]
                    with steps.asking(request, backbone, f"write {len(clips)} lines"):
                        script = backbone.write_script(request.product, clips)
                    notes.append(f"--duration {request.craft.duration:g}: {len(clips)} lines "
                                 f"asked for, {dropped} clip(s) left out")  # fmt: skip
            if len(script) != len(clips):
                raise InputError(
                    f"the script has {len(script)} sentences but there are {len(clips)} "
                    "clips: footage-driven ads speak one sentence per clip"
                )
            warnings: list[str] = []
            if not request.keep_order:
                with steps.asking(request, backbone, "order clips"):
                    ordering = backbone.sort(request.product, script, clips)
                offered = clips
                clips = [clips[i] for i in ordering.order]
                scores = ordering.scores if request.script else ()  # written lines fit by design
                warnings = evidence_warnings(backbone, script, offered, clips, scores)
                if request.script is None:
                    # Written lines describe their own clip: they move with it.
                    lines = tuple(script.sentences[i] for i in ordering.order)
                    script = Script(sentences=lines, language=script.language)
            script = steps.with_roles(request, script)
            return steps.conclude(
                request,
                material,
                backbone,
                self.name,
                script,
                clips,
                tracks,
                (),
                warnings,
                pool=given,
                said=notes,
            )
