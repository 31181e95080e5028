"""Make the bundled example's footage from photos that ship with Debian (package opencv-doc).

Three "camera reels" of 12 s, each cutting between three 4 s shots with a slow push-in (so
the cut detector has real cuts to find and the shots move like footage), plus a timed
``.captions.json`` per reel that says what each shot shows. Five of the nine shots fit the
script; four are distractors the backbone must leave out.

    python examples/demo/make_footage.py out/demo-footage
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

PHOTOS = Path("/usr/share/doc/opencv-doc/examples/data")
SHOT_SECONDS = 4
FPS = 30
SIZE = (720, 1280)

#: reel name -> shots as (photo, caption)
REELS: dict[str, list[tuple[str, str]]] = {
    "orchard-reel": [
        ("fruits.jpg", "a heap of fresh colourful fruit picked at the orchard"),
        ("baboon.jpg", "a baboon monkey face at the zoo"),
        ("apple.jpg", "a shiny crisp red apple close-up"),
    ],
    "kitchen-reel": [
        ("smarties.png", "a pile of sugary candy sweets"),
        ("orange.jpg", "a fresh juicy orange fruit for breakfast"),
        ("squirrel_cls.jpg", "a squirrel in a green forest, pure nature"),
    ],
    "b-roll": [
        ("building.jpg", "a grey city office building"),
        ("butterfly.jpg", "a butterfly on a flower in a green garden"),
        ("stuff.jpg", "assorted objects on a desk"),
    ],
}


def make_reel(shots: list[tuple[str, str]], target: Path) -> None:
    """One H.264 reel: each photo scaled to cover 720x1280 with a slow zoom, hard cuts."""
    width, height = SIZE
    frames = SHOT_SECONDS * FPS
    command = [shutil.which("ffmpeg") or "ffmpeg", "-nostdin", "-v", "error", "-y"]
    for photo, _caption in shots:
        command += ["-loop", "1", "-framerate", str(FPS), "-t", str(SHOT_SECONDS),
                    "-i", str(PHOTOS / photo)]  # fmt: skip
    parts = []
    for index in range(len(shots)):
        parts.append(
            f"[{index}:v]scale={width * 2}:{height * 2}:force_original_aspect_ratio=increase,"
            f"crop={width * 2}:{height * 2},"
            f"zoompan=z='1+0.12*on/{frames}':x='iw/2-(iw/zoom/2)':y='ih/2-(ih/zoom/2)'"
            f":d=1:s={width}x{height}:fps={FPS},setsar=1,format=yuv420p[v{index}]"
        )
    inputs = "".join(f"[v{index}]" for index in range(len(shots)))
    parts.append(f"{inputs}concat=n={len(shots)}:v=1:a=0[out]")
    command += ["-filter_complex", ";".join(parts), "-map", "[out]", "-c:v", "libx264",
                "-preset", "veryfast", "-crf", "23", "-movflags", "+faststart", str(target)]  # fmt: skip
    subprocess.run(command, check=True)


def main(folder: str) -> None:
    if not PHOTOS.is_dir():
        sys.exit(f"{PHOTOS} is missing: apt-get install opencv-doc (scripts/bootstrap.sh does)")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for name, shots in REELS.items():
        video = out / f"{name}.mp4"
        captions = out / f"{name}.captions.json"
        cues = [
            {"start": i * SHOT_SECONDS, "end": (i + 1) * SHOT_SECONDS, "text": caption}
            for i, (_photo, caption) in enumerate(shots)
        ]
        if not video.exists():
            partial = video.with_name(f".{video.name}.partial.mp4")
            make_reel(shots, partial)
            partial.replace(video)
        captions.write_text(json.dumps(cues, indent=2) + "\n", encoding="utf-8")
        print(f"{video}  ({len(shots)} shots)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/demo-footage")
