"""``ffmpeg``: the production renderer (EditPlan -> H.264/AAC MP4 with subtitles and an SRT).

One ffmpeg run with one filter graph renders the whole ad; see docs/rendering.md. The modules:
``layout`` (timeline in frames), ``sources`` (input checks), ``video`` and ``audio`` (the two
halves of the graph), ``graph`` (inputs and chains), ``encoders`` (hardware or libx264),
``ffmpeg`` (running it), ``renderer`` (the component). Importing this package is cheap: it
starts no process and imports nothing heavy, not even ``renderer``, which loads on first use
(``FfmpegRenderer`` is looked up lazily), so ``autocut --help`` does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocut_core import hookimpl
from autocut_core.lazy import lazy_exports

if TYPE_CHECKING:
    from autocut_plugins.ffmpeg_render.renderer import FfmpegRenderer

__all__ = ["FfmpegRenderer"]


__getattr__ = lazy_exports(__name__, {"FfmpegRenderer": ".renderer"})


@hookimpl
def register_renderers(register):
    from autocut_plugins.ffmpeg_render.renderer import FfmpegRenderer

    register(FfmpegRenderer)
