"""Which 1 fps frames of a video a clip is tokenized from (the paper's soft alignment).

The frame sampled at second ``s`` stands for ``s - 0.5 .. s + 0.5`` and belongs to the clip
when ``start - 0.5 <= s < end``. The dataset builder and the pipelines both use this rule, so a
clip looks the same to the model in training and at inference. A clip too short to hold a
whole second takes the frame nearest its middle.
"""

from __future__ import annotations

from collections.abc import Sequence


def frames_in_span(seconds: Sequence[int], start: float, end: float) -> list[int]:
    """Positions in ``seconds`` (the 1 fps frames of a video) of the frames inside a clip."""
    inside = [i for i, second in enumerate(seconds) if start - 0.5 <= second < end]
    if inside or not seconds:
        return inside
    middle = (start + end) / 2
    return [min(range(len(seconds)), key=lambda i: (abs(seconds[i] - middle), i))]


def thin(positions: Sequence[int], limit: int) -> list[int]:
    """At most ``limit`` of ``positions``, evenly spread and keeping the first and last
    (``limit`` 0 keeps all): caps the tokens a very long clip puts into a prompt."""
    if limit <= 0 or len(positions) <= limit:
        return list(positions)
    if limit == 1:
        return [positions[len(positions) // 2]]
    step = (len(positions) - 1) / (limit - 1)
    return [positions[round(i * step)] for i in range(limit)]
