"""True peak at most ``true_peak_db`` on every render, measured as a user would (ebur128).

Before the sound was encoded and checked on its own, loudnorm's TP target alone let renders
through at -0.7 dBTP (voice over calm music at -9 LUFS) and +3.6 dBTP (energetic music at a
-6 LUFS target); these are those mixes on the small test media.
"""

from __future__ import annotations

import pytest
from autocut_plugins.ffmpeg_render import FfmpegRenderer
from autocut_plugins.ffmpeg_render.loudness import parse_true_peak

from autocut_core.types import MusicCue

from .conftest import loudness, slot, small_plan

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("lufs", "voiced", "gain_db"),
    [(-6.0, False, 6.0), (-9.0, True, 0.0), (-14.0, True, 0.0)],
    ids=["music-6LUFS", "voice+music-9LUFS", "voice+music-14LUFS"],
)
def test_true_peak_holds(tmp_path, moving, voices, music, lufs, voiced, gain_db) -> None:
    slots = []
    for index, line in enumerate(voices):
        start = 1.5 * index
        spoken = {"voice_path": line.path, "voice_duration": line.duration} if voiced else {}
        # A voice line longer than its slot holds the last frame (the renderer cuts no voice).
        hold = max(0.0, line.duration - 1.5 + 0.1) if voiced else 0.0
        slots.append(slot(moving, start, start + 1.5, hold=hold, **spoken))
    cue = MusicCue("m", str(music.path), gain_db=gain_db)
    plan = small_plan(slots, music=cue, loudness_lufs=lufs, true_peak_db=-1.0)

    result = FfmpegRenderer().render(plan, tmp_path / "loud.mp4")

    integrated, peak = loudness(result.video)
    assert peak <= plan.render.true_peak_db  # ebur128's printed value, as the issue measured
    assert integrated <= lufs + 1.0  # never louder than asked (a limited mix may be quieter)


def test_parse_true_peak_reads_the_summary() -> None:
    log = "[Parsed_ebur128_0] Summary:\n  Integrated loudness:\n    I: -14.2 LUFS\n" + (
        "  True peak:\n    Peak:       -1.3 dBFS\n"
    )
    assert parse_true_peak(log) == -1.3
    assert parse_true_peak(log.replace("-1.3", "-inf")) == float("-inf")
    with pytest.raises(Exception, match="no summary"):
        parse_true_peak("nothing")
