"""The last step every pipeline shares: render the plan and write its side outputs."""

from __future__ import annotations

from pathlib import Path

from autocut_core.progress import SILENT, Reporter, reporting_to
from autocut_core.settings import AutocutSettings
from autocut_core.types import EditPlan


def render_plan(
    plan: EditPlan, output: Path, settings: AutocutSettings, progress: Reporter = SILENT
) -> dict[str, Path]:
    """Render ``plan`` to ``output``; return every file written, keyed by what it is.

    The render is one progress stage measured in seconds of the ad (the renderer reports
    through :func:`autocut_core.progress.current_stage` when it can tell how far it is), the
    side outputs another.
    """
    from autocut_core.editing.timeline import total_duration
    from autocut_core.output.deliverables import write_side_outputs

    renderer = settings.create("renderer")
    output.parent.mkdir(parents=True, exist_ok=True)
    seconds = total_duration(plan)
    with progress.stage("render", total=seconds) as stage, reporting_to(stage):
        result = renderer.render(plan, output)
        stage.update(seconds, seconds)
    files = {"video": Path(result.video), **{k: Path(v) for k, v in result.side_outputs.items()}}
    with progress.stage("plan, timeline and contact sheet"):
        files.update(write_side_outputs(plan, Path(result.video)))
    return files
