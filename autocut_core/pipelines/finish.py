"""The last step every pipeline shares: render the plan and write its side outputs."""

from __future__ import annotations

from pathlib import Path

from autocut_core.settings import AutocutSettings
from autocut_core.types import EditPlan


def render_plan(plan: EditPlan, output: Path, settings: AutocutSettings) -> dict[str, Path]:
    """Render ``plan`` to ``output``; return every file written, keyed by what it is."""
    from autocut_core.output.deliverables import write_side_outputs

    renderer = settings.create("renderer")
    output.parent.mkdir(parents=True, exist_ok=True)
    result = renderer.render(plan, output)
    files = {"video": Path(result.video), **{k: Path(v) for k, v in result.side_outputs.items()}}
    files.update(write_side_outputs(plan, Path(result.video)))
    return files
