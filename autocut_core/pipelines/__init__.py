"""The editing pipelines: each composes registered stages into a finished ad and computes nothing.

The two pipeline classes are exported here (imported on first use, so registering them costs
nothing until a pipeline runs) for the ``pipelines`` plugin that registers them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocut_core.lazy import lazy_exports

if TYPE_CHECKING:
    from autocut_core.pipelines.footage_driven import FootageDrivenPipeline
    from autocut_core.pipelines.script_driven import ScriptDrivenPipeline

__all__ = ["FootageDrivenPipeline", "ScriptDrivenPipeline"]
__getattr__ = lazy_exports(
    __name__,
    {
        "FootageDrivenPipeline": "autocut_core.pipelines.footage_driven",
        "ScriptDrivenPipeline": "autocut_core.pipelines.script_driven",
    },
)
