"""Burned-in subtitles: shown while their slot's voice line plays, and user text shown literally."""

from __future__ import annotations

import numpy as np
import pytest
from autocut_plugins.ffmpeg_render import FfmpegRenderer

from autocut_core.editing.timeline import fit_plan_to_voice, place
from autocut_core.media import decode_audio
from autocut_core.types import SubtitleStyle

from .conftest import frames, rms_db, slot, small_plan

pytestmark = pytest.mark.slow
ADVERSARIAL = (
    "It's 100% \"real\": a, b; c \\ d {braces} [x] '; rm -rf ~ {\\b1}bold? \\N %{pts} "
    "$(id) `id` ${HOME} \u00e9 \U0001f600 \u4e2d\u6587\nsecond line"
)


def ink(frame: np.ndarray) -> int:
    """Bright pixels: white subtitle text on black footage."""
    return int((frame.mean(axis=2) > 128).sum())


def ink_rows(frame: np.ndarray) -> np.ndarray:
    return np.flatnonzero((frame.mean(axis=2) > 128).any(axis=1))


def test_each_sentence_shows_while_its_voice_line_plays(tmp_path, black, voices):
    plan = small_plan([
        slot(black, 0.0, 1.0, sentence="First line", voice_path=voices[0].path,
             voice_duration=voices[0].duration),
        slot(black, 1.0, 1.8),  # no sentence, no voice
        slot(black, 2.0, 3.0, sentence="Last line", voice_path=voices[1].path,
             voice_duration=voices[1].duration),
    ])  # fmt: skip
    plan = fit_plan_to_voice(plan, {str(black.path): black.duration})
    result = FfmpegRenderer().render(plan, tmp_path / "subs.mp4")
    placements = place(plan)
    times = {
        "first": placements[0].start + 0.1,
        "first voice end": placements[0].start + voices[0].duration - 0.1,
        "gap": (placements[1].start + placements[1].end) / 2,
        "last": placements[2].start + 0.1,
        "last voice end": placements[2].start + voices[1].duration - 0.1,
    }
    numbers = [round(t * 15) for t in times.values()]
    inked = dict(zip(times, (ink(f) for f in frames(result.video, numbers)), strict=True))
    assert inked["first"] > 50 and inked["first voice end"] > 50
    assert inked["last"] > 50 and inked["last voice end"] > 50
    assert inked["gap"] == 0
    # The voice lines start with their slots: sound in the first 0.4 s of each, none in the gap.
    audio = decode_audio(result.video, 16000)

    def level(start: float, end: float) -> float:
        return rms_db(audio[int(start * 16000) : int(end * 16000)])

    assert level(placements[0].start, placements[0].start + 0.6) > -40
    assert level(placements[2].start, placements[2].start + 0.6) > -40
    assert level(placements[1].start + 0.1, placements[1].end - 0.1) < -60


def test_override_tags_and_escapes_in_user_text_show_literally(tmp_path, black):
    style = SubtitleStyle(size=40, outline=0)
    texts = ["{\\b1}X", "X", "X\\NX", "%{pts}", "%"]
    plan = small_plan([slot(black, i * 0.5, i * 0.5 + 0.5, sentence=text)
                       for i, text in enumerate(texts)], subtitle_style=style)  # fmt: skip
    result = FfmpegRenderer().render(plan, tmp_path / "literal.mp4")
    shown = frames(result.video, [3, 10, 18, 25, 33])
    braces, plain, escaped_break, pts, percent = (ink(frame) for frame in shown)
    # "{\b1}X" as typed has five more glyphs than "X" (not a bold X).
    assert braces > 3 * plain
    # "X\NX" stays on one line (the backslash reaches a little higher and lower than X).
    assert len(ink_rows(shown[2])) < 1.5 * len(ink_rows(shown[1]))
    assert escaped_break > 2 * plain
    # "%{pts}" is six glyphs, not "%" followed by an override block.
    assert pts > 2 * percent


def test_adversarial_text_renders_and_reaches_the_srt_intact(tmp_path, black):
    plan = small_plan(
        [
            slot(black, 0.0, 1.0, sentence=ADVERSARIAL),
            slot(black, 1.0, 2.0, sentence="\u4e2d\u6587\u5b57\u5e55\u6d4b\u8bd5"),
        ]
    )
    result = FfmpegRenderer().render(plan, tmp_path / "adversarial.mp4")
    srt = result.side_outputs["srt"].read_text(encoding="utf-8")
    # Every character arrives; the only addition is the invisible WORD JOINER that keeps an
    # SRT reader from taking "{\b1}" as an override block (docs/rendering.md).
    assert "{\u2060\\b1}" in srt
    assert ADVERSARIAL in srt.replace("\u2060", "")
    assert "\u4e2d\u6587\u5b57\u5e55\u6d4b\u8bd5" in srt
    first, second = frames(result.video, [7, 22])
    assert ink(first) > 100 and ink(second) > 50


def test_subtitles_off_burns_nothing_but_still_writes_the_srt(tmp_path, black):
    plan = small_plan([slot(black, 0.0, 1.0, sentence="Only in the SRT")], subtitles=False)
    result = FfmpegRenderer().render(plan, tmp_path / "clean.mp4")
    assert ink(frames(result.video, [7])[0]) == 0
    assert "Only in the SRT" in result.side_outputs["srt"].read_text(encoding="utf-8")
