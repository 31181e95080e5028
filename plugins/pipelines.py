"""``script-driven`` and ``footage-driven``: the two editing pipelines of the paper (§7.2).

They live in ``autocut_core.pipelines`` (they compose stages and compute nothing) and are
registered here like any third party's pipeline, so a plugin can add a third.
"""

from __future__ import annotations

from autocut_core import hookimpl


@hookimpl
def register_pipelines(register):
    from autocut_core.pipelines import FootageDrivenPipeline, ScriptDrivenPipeline

    register(ScriptDrivenPipeline)
    register(FootageDrivenPipeline)
