"""Caption data: one ad per JSONL line, clips known by their captions (version 1 of the layout).

This is the shape of the paper's caption baselines (§4.3: text-only models see each clip as a
caption): product facts, the script, candidate clips with captions, and the gold selection
and order. `autocut eval --data` reads it directly and `autocut dataset import` writes it from
other layouts, so both go through these types and a field renamed here is renamed for both.

    {"ad_id": "ad01", "lang": "zh",
     "product": {"name": "...", "brand": "...", "selling_points": ["..."]},
     "script": ["...", "..."],
     "clips": [{"clip_id": "c1", "caption": "...", "start": 0.0, "end": 2.5,
                "source": "footage/ad01.mp4"}, ...],
     "gold": {"order": ["c3", "c1"], "selected": ["c1", "c3"]}}

A clip's times and source are optional: a caption says what a clip shows without them, and
nothing downstream invents them (a backbone is told the span is unknown). ``gold`` names clips
by ``clip_id`` (a string) or by 0-based position in ``clips`` (an integer); ``order`` is the
ad's clips in playing order and ``selected`` the set that belongs in the ad (default: the
clips of ``order``), every other clip being a distractor. The captions are what a clip SHOWS;
the script line spoken over it is not a caption (it gives the select and sort answers away).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from autocut_core.types import Product

#: The layout's version, written by ``autocut dataset import`` and named in docs/datasets.md.
LAYOUT_VERSION = 1


class _Model(BaseModel):
    # Unknown fields are refused: a hand-written file with ``captions`` for ``caption``
    # would otherwise evaluate every clip as uncaptioned.
    model_config = ConfigDict(extra="forbid", frozen=True)


def _text(value: Any) -> Any:
    """Ids may be written as numbers (``"clip_id": 3``); they are compared as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class CaptionClip(_Model):
    """One candidate clip: what it shows, and where it is when that is known."""

    clip_id: str = ""
    caption: str = ""
    start: float | None = Field(None, ge=0)
    end: float | None = None
    #: The footage file (for backbones that look at frames); "" when unknown.
    source: str = ""
    #: The ad the clip comes from ("" = this ad's own clip or unknown).
    ad_id: str = ""

    _ids = field_validator("clip_id", "ad_id", mode="before")(_text)

    @model_validator(mode="after")
    def _times(self) -> CaptionClip:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither")
        if self.start is not None and self.end is not None and not self.end > self.start:
            raise ValueError(f"end {self.end} is not after start {self.start}")
        return self

    @property
    def timed(self) -> bool:
        return self.start is not None


ClipRef = int | str


class CaptionGold(_Model):
    """The reference answers: the clips that belong in the ad, and their playing order."""

    order: list[ClipRef] | None = None
    selected: list[ClipRef] | None = None

    @model_validator(mode="after")
    def _something(self) -> CaptionGold:
        if self.order is None and self.selected is None:
            raise ValueError("give 'order' (playing order) or 'selected' (the ad's clips)")
        return self


class CaptionAd(_Model):
    """One ad of caption data (see the module docstring for the layout)."""

    ad_id: str = Field(min_length=1)
    #: ``en`` or ``zh``; None: the script's language.
    lang: str | None = None
    product: Product
    script: list[str] = Field(min_length=1)
    clips: list[CaptionClip] = Field(min_length=1)
    gold: CaptionGold

    _id = field_validator("ad_id", mode="before")(_text)

    @field_validator("lang")
    @classmethod
    def _language(cls, value: str | None) -> str | None:
        if value is not None and value not in ("en", "zh"):
            raise ValueError(f"lang must be 'en' or 'zh' (or left out), got {value!r}")
        return value

    @field_validator("script")
    @classmethod
    def _lines(cls, lines: list[str]) -> list[str]:
        blank = [i for i, line in enumerate(lines) if not line.strip()]
        if blank:
            raise ValueError(f"script line {blank[0]} is blank")
        return lines

    @model_validator(mode="after")
    def _gold_fits(self) -> CaptionAd:
        resolve_gold(self)  # raises ValueError naming the reference that does not fit
        return self


def resolve_gold(ad: CaptionAd) -> tuple[list[int], list[int] | None]:
    """(the selected clips' positions ascending, the playing order as positions or None)."""
    order = _positions(ad, ad.gold.order, "gold.order") if ad.gold.order is not None else None
    if ad.gold.selected is not None:
        selected = _positions(ad, ad.gold.selected, "gold.selected")
        if order is not None and set(order) != set(selected):
            raise ValueError("gold.order and gold.selected name different clips")
    else:
        selected = list(order or [])
    if not selected:
        raise ValueError("the gold selection is empty")
    return sorted(selected), order


def _positions(ad: CaptionAd, refs: list[ClipRef], field: str) -> list[int]:
    ids: dict[str, list[int]] = {}
    for position, clip in enumerate(ad.clips):
        if clip.clip_id:
            ids.setdefault(clip.clip_id, []).append(position)
    positions = []
    for ref in refs:
        if isinstance(ref, bool):
            raise ValueError(f"{field}: {ref!r} is neither a clip_id nor a position")
        if isinstance(ref, int):
            if not 0 <= ref < len(ad.clips):
                raise ValueError(f"{field}: position {ref} is outside 0..{len(ad.clips) - 1}")
            positions.append(ref)
            continue
        found = ids.get(ref, [])
        if len(found) != 1:
            why = "no clip has" if not found else f"{len(found)} clips have"
            raise ValueError(f"{field}: {why} clip_id {ref!r}")
        positions.append(found[0])
    if len(set(positions)) != len(positions):
        raise ValueError(f"{field} names a clip twice")
    return positions


def dump_caption_ad(ad: CaptionAd) -> dict[str, Any]:
    """The ad as its JSONL line holds it (unset optional fields left out)."""
    return ad.model_dump(mode="json", exclude_none=True)
