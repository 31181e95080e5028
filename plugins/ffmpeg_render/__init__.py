"""``ffmpeg``: the production renderer (EditPlan -> H.264/AAC MP4 with subtitles and an SRT).

One ffmpeg run with one filter graph renders the whole ad; see docs/rendering.md. The modules:
``layout`` (timeline in frames), ``sources`` (input checks), ``video`` and ``audio`` (the two
halves of the graph), ``graph`` (inputs and chains), ``encoders`` (hardware or libx264),
``ffmpeg`` (running it), ``renderer`` (the component). Importing this package is cheap: it
starts no process and imports nothing heavy.
"""

from __future__ import annotations

from autocut_plugins.ffmpeg_render.renderer import FfmpegRenderer

from autocut_core import hookimpl

__all__ = ["FfmpegRenderer"]


@hookimpl
def register_renderers(register):
    register(FfmpegRenderer)
