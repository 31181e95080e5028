"""The ``folder`` layout: one JSON file per ad, shaped like the paper's caption baselines.

The reference implementation keeps an ad as its clips' rows (``ad_id``, ``clip_id``, the
spoken ``text``), the facts a model read off them (``brand``, ``product``, ``features``) and
one caption per clip from a VLM (Qwen2.5-VL, §4.3). A file of this layout holds one ad:

    {"ad_id": 17, "product": "冷泡茶", "brand": "山岚", "features": ["零糖", "冷泡"],
     "clips": [{"clip_id": 0, "text": "清晨采摘嫩绿茶叶", "caption": "...",
                "start": 0.0, "end": 2.1}, ...],
     "distractors": [{"ad_id": 3, "clip_id": 5, "caption": "..."}],
     "video": "ads/17.mp4"}

``clips`` are the ad's own clips in playing order and ``text`` is the line spoken over each
(together the script); ``distractors`` are other ads' clips offered beside them (optional);
``product``/``brand``/``features`` may be null; ``video`` (optional) is the footage of the
ad's clips, and a clip's ``video`` overrides it. ``ad_id`` defaults to the file's name.
Fields the reference rows carry besides (``chunk_id``, ...) are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from autocut_core.dataset.import_rows import Refusal, validated
from autocut_core.editing.caption_ads import CaptionAd
from autocut_core.serde import describe_validation_error


def _text(value: Any) -> Any:
    if value is None:
        return ""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Clip(BaseModel):
    model_config = ConfigDict(extra="ignore")

    clip_id: str = ""
    ad_id: str = ""
    text: str = ""
    caption: str = ""
    start: float | None = None
    end: float | None = None
    video: str = ""

    _ids = field_validator("clip_id", "ad_id", "text", "caption", "video", mode="before")(_text)


class _Ad(BaseModel):
    model_config = ConfigDict(extra="ignore")

    ad_id: str = ""
    product: str = ""
    brand: str = ""
    features: list[str] = []
    clips: list[_Clip] = Field(min_length=1)
    distractors: list[_Clip] = []
    video: str = ""
    lang: str | None = None

    _ids = field_validator("ad_id", "product", "brand", "video", mode="before")(_text)

    @field_validator("features", "distractors", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


def read(source: Path) -> Iterator[CaptionAd | Refusal]:
    """Every ``*.json`` file of the folder ``source``, in name order, as one ad each."""
    if not source.is_dir():
        yield Refusal(str(source), "not a folder; the folder layout reads a folder of .json files")
        return
    files = sorted(source.glob("*.json"))
    if not files:
        yield Refusal(str(source), "no .json files in this folder")
    for path in files:
        yield _read_file(path)


def _read_file(path: Path) -> CaptionAd | Refusal:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        return Refusal(str(path), f"not UTF-8 text ({error.reason})")
    except json.JSONDecodeError as error:
        return Refusal(str(path), f"not valid JSON (line {error.lineno}, column {error.colno}: "
                                  f"{error.msg})")  # fmt: skip
    if not isinstance(data, dict):
        return Refusal(str(path), f"holds a {type(data).__name__}, not one ad's object")
    try:
        ad = _Ad.model_validate(data)
    except ValidationError as error:
        text = describe_validation_error(error, str(path), "per-ad file")
        return Refusal(str(path), " ".join(line.strip() for line in text.splitlines()[1:]))
    ad_id = ad.ad_id or path.stem
    blank = [i for i, clip in enumerate(ad.clips) if not clip.text.strip()]
    if blank:
        return Refusal(str(path), f"field 'clips.{blank[0]}.text': empty (each of the ad's "
                                  "clips carries its script line)")  # fmt: skip
    own = [_clip(clip, ad.video, "") for clip in ad.clips]
    others = [_clip(clip, "", clip.ad_id) for clip in ad.distractors]
    caption_ad: dict[str, Any] = {
        "ad_id": ad_id,
        "product": {"name": ad.product, "brand": ad.brand, "selling_points": ad.features},
        "script": [clip.text for clip in ad.clips],
        "clips": own + others,
        "gold": {"order": list(range(len(own)))},
    }
    if ad.lang is not None:
        caption_ad["lang"] = ad.lang
    return validated(caption_ad, str(path))


def _clip(clip: _Clip, video: str, ad_id: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"clip_id": clip.clip_id, "caption": clip.caption}
    if clip.start is not None or clip.end is not None:
        entry.update(start=clip.start, end=clip.end)
    if clip.video or video:
        entry["source"] = clip.video or video
    if ad_id:
        entry["ad_id"] = ad_id
    return entry
