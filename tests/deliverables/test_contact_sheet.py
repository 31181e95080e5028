"""The contact sheet: one tile per slot, showing the right frame, with text that never crashes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from autocut_core.editing.timeline import place
from autocut_core.output import contact_sheet
from autocut_core.output.contact_sheet import write_contact_sheet

from .conftest import COLOURS, Media, make_plan, nearest_colour


def test_one_tile_per_slot_showing_its_shot(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media, holds=(0.0, 0.0, 2.0, 0.0))
    sheet = write_contact_sheet(plan, tmp_path / "sheet.png", title="ad")

    with Image.open(sheet.path) as image:
        assert image.format == "PNG"
        assert image.size == sheet.size
        assert len(sheet.tiles) == len(plan.slots)
        width, height = contact_sheet.thumbnail_size(plan)
        assert (width, height) == (216, 384)  # 9:16, like the 1080x1920 output
        for tile, colour in zip(sheet.tiles, COLOURS.values(), strict=True):
            left, top, right, bottom = tile.box
            assert (right - left, bottom - top) == (width, height)
            assert right <= image.width and bottom <= image.height
            centre = image.getpixel(((left + right) // 2, (top + bottom) // 2))
            assert nearest_colour(centre[:3]) == colour
    # Four tiles fit in one row of four (ceil(sqrt(8)) = 3 would leave a lonely tile).
    assert len({tile.box[1] for tile in sheet.tiles}) in (1, 2)
    tops = sorted({tile.box[1] for tile in sheet.tiles})
    assert sheet.size[1] > tops[-1] + height


def test_captions_give_number_output_time_score_and_sentence(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media, transition="crossfade")
    sheet = write_contact_sheet(plan, tmp_path / "sheet.png")
    for tile, placement in zip(sheet.tiles, place(plan), strict=True):
        header, *sentence = tile.caption
        assert header.startswith(f"#{placement.index + 1}  {contact_sheet.clock(placement.start)}–")
        assert f"score {placement.slot.score:.2f}" in header
        assert " ".join(sentence) == placement.slot.sentence


def test_grab_time_uses_the_held_frame_when_the_middle_is_held(media: Media) -> None:
    plan = make_plan(media, holds=(0.0, 3.0, 0.0, 0.0))
    first, held = place(plan)[:2]
    assert contact_sheet.grab_time(first, 30.0) == pytest.approx(
        first.slot.source_in + first.duration / 2
    )
    assert contact_sheet.grab_time(held, 30.0) == pytest.approx(held.slot.source_out - 1 / 30)


def test_pad_fit_letterboxes_the_frame(media: Media, tmp_path: Path) -> None:
    plan = make_plan(media, fit="pad")
    sheet = write_contact_sheet(plan, tmp_path / "sheet.png")
    with Image.open(sheet.path) as image:
        left, top, right, bottom = sheet.tiles[0].box
        assert image.getpixel(((left + right) // 2, top + 5))[:3] == (0, 0, 0)
        assert nearest_colour(image.getpixel(((left + right) // 2, (top + bottom) // 2))[:3]) == (
            255,
            0,
            0,
        )


def test_wrapping_long_latin_and_cjk_text() -> None:
    font, _ = contact_sheet.load_font("Noto Sans CJK SC", "zh", 15)
    latin = contact_sheet.wrap(" ".join(["advertising"] * 100), font, 200, max_lines=5)
    cjk = contact_sheet.wrap("没有空格的中文句子" * 30, font, 200, max_lines=5)
    unbroken = contact_sheet.wrap("x" * 500, font, 200, max_lines=5)
    for lines in (latin, cjk, unbroken):
        assert len(lines) == 5
        assert lines[-1].endswith("…")
        assert all(font.getlength(line) <= 200 for line in lines)
    assert contact_sheet.wrap("short", font, 200, 5) == ["short"]
    assert contact_sheet.wrap("", font, 200, 5) == []


def test_cjk_font_is_found_through_fontconfig() -> None:
    found = contact_sheet.find_font("Noto Sans CJK SC", "zh")
    assert found is not None and "NotoSansCJK" in found[0]
    font, description = contact_sheet.load_font("No Such Font Family", "zh", 15)
    assert isinstance(font, ImageFont.FreeTypeFont)
    assert description.endswith((".ttc", ".ttf", ".otf"))


def test_without_fontconfig_pillow_default_font_is_used(
    media: Media, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact_sheet.find_font.cache_clear()
    monkeypatch.setattr(contact_sheet, "FC_MATCH", "fc-match-not-installed")
    try:
        assert contact_sheet.find_font("DejaVu Sans") is None
        plan = make_plan(media, sentences=("中文 😀", "a\nb", "", "{\\b1}"))
        sheet = write_contact_sheet(plan, tmp_path / "sheet.png")
    finally:
        contact_sheet.find_font.cache_clear()
    assert sheet.font.startswith("Pillow default")
    assert len(sheet.tiles) == 4


def test_unreadable_source_is_named(media: Media, tmp_path: Path) -> None:
    from autocut_core.media import MediaError

    text_file = tmp_path / "notes.mp4"
    text_file.write_text("not a video\n", encoding="utf-8")
    plan = make_plan(media)
    plan = dataclasses.replace(
        plan, slots=(dataclasses.replace(plan.slots[0], source_path=str(text_file)),)
    )
    with pytest.raises(MediaError, match=r"notes\.mp4: cannot grab a frame"):
        write_contact_sheet(plan, tmp_path / "sheet.png")
    assert not (tmp_path / "sheet.png").exists()
