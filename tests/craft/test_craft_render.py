"""Target length, end card and cuts on the beat, on real renders (espeak voice, ffmpeg)."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import numpy as np
import pytest

from autocut_core.editing.ad_rules import parse_rules
from autocut_core.editing.beat_snap import cut_times
from autocut_core.editing.target import fit_to_length
from autocut_core.errors import InputError
from autocut_core.media import probe
from autocut_core.pipelines.craft import AdCraft, apply_craft, retime
from autocut_core.pipelines.plan_builder import add_voice, assemble
from autocut_core.progress import SILENT
from autocut_core.types import EditPlan, EndCard, MusicCue, Product, RenderSettings, Slot

from .conftest import click_times

PRODUCT = Product(name="Orchard Juice", brand="Orchard", selling_points=("no added sugar",))
SENTENCES = (("Thirsty?", "hook"), ("No added sugar.", "selling-point"), ("Buy it today.", "cta"))
RENDER = RenderSettings(width=160, height=160, fps=25, crf=30, preset="ultrafast")
CARD = EndCard(title="Orchard Juice", brand="Orchard", cta="Buy it today", background="#103080",
               color="#FFFFFF", duration=2.0)  # fmt: skip


def _plan(footage, clicks, tmp_path, card=CARD):
    from autocut_plugins.espeak import EspeakVoice

    slots = [
        Slot(clip_id=f"c{i}", source_path=str(footage.path), source_in=4.0 * i,
             source_out=4.0 * i + 1.0, shot_end=4.0 * (i + 1), sentence=text, role=role)  # type: ignore[arg-type]
        for i, (text, role) in enumerate(SENTENCES)
    ]  # fmt: skip
    spoken = add_voice(slots, EspeakVoice(), tmp_path / "voice")
    durations = {str(footage.path): footage.duration}
    music = MusicCue(track_id="clicks", path=str(clicks))
    plan = assemble(spoken, music, RENDER, PRODUCT, "test", durations)
    return replace(plan, end_card=card), durations


def _frame(path, at: float) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, dtype=np.uint8).reshape(160, 160, 3)


def test_target_end_card_and_beats_on_a_real_render(footage, clicks, logo, tmp_path):
    from autocut_plugins.ffmpeg_render import FfmpegRenderer

    plan, durations = _plan(footage, clicks, tmp_path, replace(CARD, logo=str(logo)))
    craft = AdCraft(duration=9.0, beat_sync=True,
                    rules=parse_rules(["hook-within=3", "selling-points-once", "cta-last"]))  # fmt: skip
    crafted = apply_craft(craft, plan, durations, tmp_path, SILENT)
    made = crafted.plan
    assert [slot.role for slot in made.slots] == ["hook", "selling-point", "cta"]
    assert any(note.startswith("beat sync: 3 of 3 cuts") for note in crafted.notes), crafted.notes
    for slot in made.slots:  # no beat cut a voice line
        assert slot.duration >= slot.voice_duration + 0.1 - 1e-6
    output = tmp_path / "ad.mp4"
    FfmpegRenderer().render(made, output)
    assert abs(probe(output).duration - 9.0) <= 0.1
    beats = np.array(click_times())
    for cut in cut_times(made):  # as rendered: each cut on a frame of 25 fps
        rendered = round(cut * 25) / 25
        # Tracker error (worst 18 ms measured) plus half a frame (20 ms).
        assert np.min(np.abs(beats - rendered)) < 0.045, (cut, rendered)
    card = _frame(output, 8.5)
    background = np.all(np.abs(card.astype(int) - (0x10, 0x30, 0x80)) < 24, axis=2).mean()
    magenta = np.all(np.abs(card.astype(int) - (255, 0, 255)) < 48, axis=2).sum()
    white = np.all(card > 220, axis=2).sum()
    # Measured: 93 % background, 1 378 logo pixels (the 64x32 logo at 53x26), 18 pure white
    # text pixels (antialiased text at 160x160: most of it is grey).
    assert background > 0.6
    assert magenta > 800
    assert white > 5


def test_too_short_a_target_says_by_how_much(footage, clicks, tmp_path):
    plan, durations = _plan(footage, clicks, tmp_path)
    with pytest.raises(
        InputError, match=r"the shortest this ad can be is .* s over\) with its voice 1.15x"
    ):
        fit_to_length(plan, 3.0, durations, lambda slot, rate: retime(slot, rate, tmp_path))


def test_a_long_plan_drops_the_least_relevant_then_speaks_faster(footage, clicks, tmp_path):
    plan, durations = _plan(footage, clicks, tmp_path)
    natural = plan.duration
    fit = fit_to_length(
        plan, natural - 0.3, durations, lambda slot, rate: retime(slot, rate, tmp_path)
    )
    assert not fit.dropped and 1.0 < fit.rate <= 1.15
    assert abs(fit.plan.duration - (natural - 0.3)) < 1e-3
    assert all(slot.voice_path and ".x1." in slot.voice_path for slot in fit.plan.slots)
    hook_cta = [SENTENCES[0][0], SENTENCES[2][0]]
    short = fit_to_length(
        plan, natural - 1.5, durations, lambda slot, rate: retime(slot, rate, tmp_path)
    )
    assert short.dropped == (SENTENCES[1][0],)
    assert [slot.sentence for slot in short.plan.slots] == hook_cta


def test_end_card_text_and_logo_path_never_reach_the_graph(logo, tmp_path):
    import shutil

    from autocut_plugins.ffmpeg_render.end_card import card_ass, card_chain
    from autocut_plugins.ffmpeg_render.graph import Graph, InputList
    from autocut_plugins.ffmpeg_render.layout import frame_layout

    awkward = tmp_path / "lo go'; $(id):[x].png"
    shutil.copy(logo, awkward)
    hostile = EndCard(title="{\\b1}X\\N", cta="'; rm -rf ~ %{pts}", logo=str(awkward))
    plan = replace(
        EditPlan(slots=(Slot(clip_id="c", source_path="x.mp4", source_in=0, source_out=1),),
                 render=RENDER),
        end_card=hostile,
    )  # fmt: skip
    graph, inputs = Graph(), InputList()
    card_chain(graph, inputs, hostile, frame_layout(plan), RENDER)
    text = graph.text()  # raises on any character outside the graph's alphabet
    assert "end_card.ass" in text and "lo go" not in text and "pts}" not in text
    assert str(awkward) in " ".join(inputs.arguments)
    script = card_ass(hostile, RENDER, 2.0)
    assert "\\{\\b1\\}X\\\u2060N" in script  # braces literal, the backslash-N no line break
    assert "%\\{pts\\}" in script


def test_a_re_render_keeps_the_crafted_timing_of_slots_not_edited(footage, clicks, tmp_path):
    """`autocut render PLAN.json` (and a studio edit) refits only what changed: a plan made to
    a target length and to the beats comes back with the same cuts, and an edited slot is
    fitted to its voice line again."""
    from autocut_core.pipelines.rerender import revoiced
    from autocut_core.settings import load_settings

    plan, durations = _plan(footage, clicks, tmp_path)
    made = apply_craft(AdCraft(duration=9.0, beat_sync=True), plan, durations, tmp_path,
                       SILENT).plan  # fmt: skip
    again = revoiced(made, load_settings(), tmp_path / "again.mp4", everything=False)
    assert again.slots == made.slots
    assert cut_times(again) == cut_times(made)

    refitted = revoiced(made, load_settings(), tmp_path / "again.mp4", everything=False,
                        edited=[1])  # fmt: skip
    assert refitted.slots[0] == made.slots[0] and refitted.slots[2] == made.slots[2]
    voice = refitted.slots[1].voice_duration
    assert made.slots[1].duration > voice + 0.25 + 0.05  # the target had lengthened it
    assert refitted.slots[1].duration == pytest.approx(voice + 0.25, abs=1e-6)  # VOICE_TAIL
