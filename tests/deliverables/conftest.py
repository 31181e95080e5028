"""Small real media and plans over them, made once per module.

The footage is four flat-coloured shots (so a contact-sheet tile can be checked by its
colour) at 160x120; voice lines are real espeak-ng WAVs, the music a generated track.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autocut_core.testing import samples
from autocut_core.testing.samples import Scene
from autocut_core.types import EditPlan, MusicCue, Product, RenderSettings, Slot

#: Shot colours in the footage, one per 2-second shot, as RGB.
COLOURS = {
    "red": (255, 0, 0),
    "0x00ff00": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
}
SHOT = 2.0


def nearest_colour(pixel: tuple[int, ...]) -> tuple[int, int, int]:
    """The footage colour closest to ``pixel`` (H.264 shifts flat colours by a few levels)."""
    return min(
        COLOURS.values(),
        key=lambda colour: sum((a - b) ** 2 for a, b in zip(colour, pixel[:3], strict=True)),
    )


FPS = 30.0


@dataclasses.dataclass(frozen=True)
class Media:
    folder: Path
    footage: Path
    music: Path
    voices: tuple[Path, ...]
    voice_seconds: tuple[float, ...]


@pytest.fixture(scope="package")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    from autocut_plugins.espeak import EspeakVoice

    folder = tmp_path_factory.mktemp("deliverables")
    scenes = [Scene(SHOT, samples.solid_color(colour)) for colour in COLOURS]
    video = samples.make_scene_video(folder / "footage.mp4", scenes, size=(160, 120), fps=25)
    music = samples.make_music(folder / "music.ogg", 12.0)
    lines = EspeakVoice.from_options({}).synthesize_batch(
        ["One.", "Two.", "Three.", "Four."], folder / "voice"
    )
    return Media(
        folder,
        video.path,
        music.path,
        tuple(Path(line.path) for line in lines),
        tuple(line.duration for line in lines),
    )


def make_plan(
    media: Media,
    transition: str = "cut",
    holds: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0),
    sentences: tuple[str, ...] = ("Red shot.", "Green shot.", "Blue shot.", "Yellow shot."),
    voices: bool = True,
    music: bool = True,
    fit: str = "crop",
) -> EditPlan:
    """One slot inside each coloured shot: 0.3 s in, 1.2 to 1.5 s long, in shot order."""
    slots = []
    for index, (sentence, hold) in enumerate(zip(sentences, holds, strict=True)):
        start = index * SHOT + 0.3
        slots.append(
            Slot(
                clip_id=f"foot{index:04d}002",
                source_path=str(media.footage),
                source_in=round(start, 3),
                source_out=round(start + 1.2 + 0.1 * index, 3),
                sentence=sentence,
                voice_path=str(media.voices[index]) if voices else None,
                voice_duration=media.voice_seconds[index] if voices else None,
                score=round(0.9 - 0.1 * index, 2),
                hold=hold,
            )
        )
    return EditPlan(
        slots=tuple(slots),
        music=MusicCue("calm", str(media.music), offset=1.0, gain_db=-3.0) if music else None,
        render=RenderSettings(
            width=1080,
            height=1920,
            fps=FPS,
            transition=transition,
            fit=fit,  # type: ignore[arg-type]
        ),
        product=Product(name="Test product"),
        pipeline="script-driven",
    )
