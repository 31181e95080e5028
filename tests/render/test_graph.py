"""The frame layout and the filter graph, built without running ffmpeg."""

from __future__ import annotations

from fractions import Fraction

import pytest
from autocut_plugins.ffmpeg_render.audio import audio_graph, parse_loudness
from autocut_plugins.ffmpeg_render.graph import Graph, InputList
from autocut_plugins.ffmpeg_render.layout import frame_layout, frame_rate
from autocut_plugins.ffmpeg_render.sources import CheckedInputs
from autocut_plugins.ffmpeg_render.video import video_graph

from autocut_core.editing.timeline import total_duration
from autocut_core.errors import InputError
from autocut_core.media import ProbeResult
from autocut_core.types import EditPlan, MusicCue, RenderSettings, Slot

from .conftest import AWKWARD
from .test_render_subtitles import ADVERSARIAL


def slots(*durations: float, **fields) -> tuple[Slot, ...]:
    return tuple(Slot(f"c{i}", f"/in/{AWKWARD} {i}.mp4", 1.0, 1.0 + d, **fields)
                 for i, d in enumerate(durations))  # fmt: skip


def test_frames_add_up_to_the_rounded_total_whatever_the_slot_lengths():
    plan = EditPlan(slots=slots(*[1 / 3] * 7, 0.71, 1.049), render=RenderSettings(fps=30))
    layout = frame_layout(plan)
    assert layout.total_frames == round(total_duration(plan) * 30)
    for first, second in zip(layout.slots, layout.slots[1:], strict=False):
        assert first.start + first.frames == second.start
    assert layout.samples(layout.total_frames, 48000) == round(layout.duration * 48000)


def test_crossfades_overlap_by_whole_frames_and_holds_read_less_footage():
    plan = EditPlan(
        slots=(*slots(2.0), Slot("h", "/in/h.mp4", 0.0, 1.0, hold=0.5), *slots(2.0)),
        render=RenderSettings(fps=25, transition="crossfade", transition_duration=0.4),
    )
    layout = frame_layout(plan)
    assert layout.overlaps == (10, 10)
    held = layout.slots[1]
    assert (held.frames, held.footage) == (38, 25)
    assert layout.total_frames == 50 + 38 + 50 - 20


@pytest.mark.parametrize(
    ("fps", "rate"),
    [
        (29.97, Fraction(30000, 1001)),
        (23.976, Fraction(24000, 1001)),
        (25.0, Fraction(25)),
        (12.5, Fraction(25, 2)),
    ],
)
def test_frame_rates_are_exact(fps, rate):  # fmt: skip
    assert frame_rate(fps) == rate


def test_a_slot_shorter_than_a_frame_is_refused():
    plan = EditPlan(slots=slots(1.0, 0.01), render=RenderSettings(fps=30))
    with pytest.raises(InputError, match=r"slot 2 \(c1\) lasts 0\.010 s, less than one frame"):
        frame_layout(plan)


def test_no_path_or_sentence_ever_enters_the_graph():
    voiced = slots(1.5, 1.5, sentence=ADVERSARIAL, voice_path=f"/v/{AWKWARD}.wav",
                   voice_duration=1.0)  # fmt: skip
    music = MusicCue("m", f"/m/{AWKWARD}.ogg", offset=1.0)
    plan = EditPlan(slots=voiced, music=music,
                    render=RenderSettings(transition="crossfade"))  # fmt: skip
    layout = frame_layout(plan)
    graph, inputs = Graph(), InputList()
    video_graph(graph, inputs, layout, plan.render, burn_subtitles=True)
    voice = _probed(f"/v/{AWKWARD}.wav", 1.0)
    checked = CheckedInputs(footage={}, voices={0: voice, 1: voice}, music=_probed(music.path, 60))
    audio_graph(graph, inputs, plan, layout, checked, None)
    text = graph.text()
    for fragment in ("a b", "'", "rm -rf", "{", "%", "/in/", "/v/", "/m/"):
        assert fragment not in text
    assert "ass=filename=subtitles.ass" in text and "xfade=" in text
    # Paths travel as whole argv elements, absolute, behind file:.
    assert f"file:/in/{AWKWARD} 0.mp4" in inputs.arguments
    assert f"file:/v/{AWKWARD}.wav" in inputs.arguments
    assert inputs.arguments.count("-protocol_whitelist") == inputs.count == 5


def _probed(path: str, duration: float) -> ProbeResult:
    """What probe() reports for an audio file (the graph only reads the duration)."""
    return ProbeResult(path=path, duration=duration, width=0, height=0, fps=0.0, rotation=0,
                       variable_frame_rate=False, has_video=False, has_audio=True,
                       audio_streams=1, video_codec="", audio_sample_rate=48000,
                       size_bytes=1000)  # fmt: skip


def test_graph_refuses_characters_that_could_carry_text():
    graph = Graph()
    graph.add(["0:v"], ["drawtext=text='hi there'"], "out")
    with pytest.raises(ValueError, match="unexpected characters"):
        graph.text()


def test_loudnorm_measurements_are_parsed_from_the_log():
    log = """[Parsed_loudnorm_0 @ 0x1]
{
	"input_i" : "-19.86",
	"input_tp" : "-2.76",
	"input_lra" : "1.80",
	"input_thresh" : "-31.15",
	"output_i" : "-14.2",
	"normalization_type" : "dynamic",
	"target_offset" : "1.58"
}"""
    stats = parse_loudness(log)
    assert (stats.input_i, stats.input_tp, stats.input_lra) == (-19.86, -2.76, 1.8)
    assert not stats.silent
    assert parse_loudness(log.replace('"-19.86"', '"-inf"')).silent
    with pytest.raises(ValueError, match="no measurements"):
        parse_loudness("nothing here")
