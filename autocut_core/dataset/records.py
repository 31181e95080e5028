"""What the build knows about each ad as it goes: files, facts, clips, tokens and outcome."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from autocut_core.dataset.discovery import AdFiles
from autocut_core.serde import to_data
from autocut_core.types import Clip, Product

#: ``skipped``: unusable (a sidecar is missing or broken, the video cannot be read);
#: ``align``: in the alignment corpus only (removed by an SFT filter); ``sft``: in both.
Status = Literal["skipped", "align", "sft"]


@dataclass
class AdClip:
    """One sentence clip of an ad and, once tokenized, its frames' tokens."""

    text: str
    start: float
    end: float
    #: The seconds of the 1 fps frames whose tokens the clip carries.
    seconds: tuple[int, ...] = ()
    #: ``<|frame_start|><v_0_1>...<|frame_end|>`` per frame (tokens.format_frames).
    tokens: str = ""


@dataclass
class Ad:
    files: AdFiles
    product: Product | None = None
    sentences: tuple[str, ...] = ()
    language: str = "en"
    duration: float = 0.0
    source_id: str = ""
    source_path: str = ""
    track_id: str = ""
    bgm_path: str = ""
    #: The background music's audio tokens ``<a_0_1>...`` (no markers); "" without music.
    bgm_tokens: str = ""
    #: The file whose vectors are the ad's music: its ``.bgm.`` sidecar, else the music stem
    #: a separator wrote, else the mix (None: no music, e.g. a silent video).
    music_file: Path | None = None
    #: Where the music came from: ``sidecar``, ``separator <cache key> (music stem)``,
    #: ``mix`` or ``none (<why>)``; "" when no audio encoder asks for music.
    music_source: str = ""
    clips: list[AdClip] = field(default_factory=list)
    #: Where the sentences and their times came from: ``sidecar``, or ``transcriber
    #: <cache key> (word times)`` / ``(segment times shared by characters)``.
    timing: str = ""
    status: Status = "skipped"
    reason: str = ""
    filter: str = ""
    split: str = ""
    #: Ads sharing footage or {brand, product, script} share a group (and a split side).
    group: str = ""

    @property
    def ad_id(self) -> str:
        return self.files.ad_id

    def skip(self, reason: str) -> None:
        self.status, self.reason = "skipped", reason

    def clip_id(self, clip: AdClip) -> str:
        return Clip(self.source_id, clip.start, clip.end).clip_id

    def manifest(self) -> dict[str, Any]:
        """The ad's line in ``ads.jsonl``: outcome, files, facts and clips (for stats)."""
        files = self.files
        return {
            "ad_id": self.ad_id,
            "status": self.status,
            "reason": self.reason or None,
            "filter": self.filter or None,
            "split": self.split or None,
            "language": self.language,
            "video": _absolute(files.video),
            "transcript": _absolute(files.transcript),
            "sentence_timing": self.timing or None,
            "product_file": _absolute(files.product),
            "bgm": _absolute(files.bgm),
            "source_id": self.source_id or None,
            "track_id": self.track_id or None,
            "music_source": self.music_source or None,
            "duration": round(self.duration, 3),
            "product": to_data(self.product) if self.product else None,
            "clips": [
                {
                    "start": clip.start,
                    "end": clip.end,
                    "text": clip.text,
                    "frames": len(clip.seconds),
                }
                for clip in self.clips
            ],
        }


def _absolute(path: Path | None) -> str | None:
    return os.path.abspath(path) if path is not None else None
