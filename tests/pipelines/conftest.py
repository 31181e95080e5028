"""A small ad brief on synthetic footage (three captioned videos, two tracks, a product),
made once per module for the variants, batch and explain tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocut_core.testing import samples

#: Caption per shot of each video; shot lengths differ per video so the files differ.
SHOTS = {
    "bottle.mp4": ([2.0, 2.5, 2.0], ["a steel bottle on a desk", "ice cubes in the bottle",
                                      "a bottle in a bag"]),
    "trail.mp4": ([2.5, 2.0, 2.5], ["a hiker on a trail", "the bottle upside down, no leak",
                                     "a mountain lake"]),
    "city.mp4": ([3.0, 2.0, 2.0], ["a cyclist drinking", "cold water poured",
                                    "a bottle cap closing"]),
}  # fmt: skip
SCRIPT = (
    "Meet the Aero bottle.",
    "Ice cold water all day.",
    "No leak, even upside down.",
    "Get yours today.",
)


def write_brief(root: Path, product_name: str = "Aero Bottle") -> Path:
    """Footage (with ``.captions.json`` sidecars), music, product, script and a config that
    renders tiny and fast; returns ``root``."""
    footage = root / "footage"
    music = root / "music"
    footage.mkdir(parents=True)
    music.mkdir()
    for name, (lengths, texts) in SHOTS.items():
        samples.make_scene_video(footage / name, samples.scenes_for(lengths))
        edges = [sum(lengths[:i]) for i in range(len(lengths) + 1)]
        cues = [{"start": edges[i], "end": edges[i + 1], "text": text}
                for i, text in enumerate(texts)]  # fmt: skip
        (footage / name).with_suffix(".captions.json").write_text(json.dumps(cues))
    samples.make_music(music / "calm.wav", 12, "calm")
    samples.make_music(music / "energetic.wav", 12, "energetic")
    (root / "product.toml").write_text(
        f'name = {json.dumps(product_name)}\nbrand = "Hydra"\n'
        'selling_points = ["keeps water cold 24 hours", "leak proof cap"]\n'
    )
    (root / "script.txt").write_text("\n".join(SCRIPT) + "\n")
    (root / "autocut.toml").write_text(
        '[render]\nwidth = 180\nheight = 320\nfps = 15\ncrf = 30\npreset = "ultrafast"\n'
        '[backbones.similarity]\ntext_encoder = "none"\n'
    )
    return root


def run_args(brief: Path, output: Path, *extra: str) -> list[str]:
    """``autocut run`` over the brief (script-driven, similarity, no voice)."""
    return [
        "run", "--config", str(brief / "autocut.toml"), "--product", str(brief / "product.toml"),
        "--footage", str(brief / "footage"), "--music", str(brief / "music"),
        "--script", str(brief / "script.txt"), "--db", str(brief / "db"), "--no-voice-over",
        "-o", str(output), *extra,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_brief(tmp_path_factory.mktemp("brief"))
