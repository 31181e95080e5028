"""A contact sheet of a plan: one thumbnail per slot with its number, output time, role and
sentence, and a tile for the end card (its colours and text) when the plan has one.

A reviewer sees the whole ad on one page before watching it, and can check at a glance
that each sentence sits on a fitting shot. Each frame is grabbed by ffmpeg from the source
at the moment the slot is halfway through on the output (the held frame when that moment
falls in a hold), framed as the render frames it (``crop`` or ``pad`` to the output's aspect).

Text is drawn with a font fontconfig finds for the plan's subtitle font and the script's
language (Noto Sans CJK covers Latin and CJK), else DejaVu Sans, else Pillow's built-in
font. Characters the font lacks (emoji in a CJK font) are drawn as boxes, never an error.
Pillow comes from the ``render`` extra and is imported only when a sheet is drawn.
"""

from __future__ import annotations

import concurrent.futures
import functools
import io
import math
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_core.editing.scores import score_label
from autocut_core.editing.timeline import Placement, place, total_duration
from autocut_core.errors import AutocutError
from autocut_core.fsutil import atomic_path
from autocut_core.media import MediaError
from autocut_core.media.probe import find_tool, input_arguments, quote_ffmpeg, stderr_lines
from autocut_core.output.evidence_text import current_evidence, is_stale, runner_up_label
from autocut_core.output.labels import one_line
from autocut_core.text import detect_language
from autocut_core.types import EditPlan, EndCard

if TYPE_CHECKING:
    from PIL import ImageFont

#: Thumbnail width in pixels; the height follows the output's aspect ratio.
THUMB_WIDTH = 216
#: At most this many tiles per row.
MAX_COLUMNS = 8
#: Caption lines under a thumbnail: one for number and time, the rest for the sentence.
SENTENCE_LINES = 5
#: Lines of evidence under the sentence (the product fact, the runner-up clip).
EVIDENCE_LINES = 2
FONT_SIZE = 15
TITLE_SIZE = 20
MARGIN = 12
BACKGROUND = (24, 24, 24)
TEXT = (235, 235, 235)
DIM = (160, 160, 160)
#: Seconds ffmpeg may take to grab one frame.
GRAB_TIMEOUT_S = 60.0
#: fontconfig families tried after the plan's own subtitle font.
FALLBACK_FAMILIES = ("Noto Sans CJK SC", "DejaVu Sans", "sans-serif")
#: fontconfig's font matcher (apt-get install fontconfig).
FC_MATCH = "fc-match"
#: fontconfig language tag per detected script language.
_FC_LANG = {"zh": "zh-cn", "ja": "ja", "ko": "ko"}


@dataclass(frozen=True)
class Tile:
    """Where slot ``index`` (0-based) landed: its thumbnail's box and the caption lines drawn."""

    index: int
    box: tuple[int, int, int, int]
    caption: tuple[str, ...]
    #: The slot's evidence as drawn under the sentence: the product fact, the runner-up.
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContactSheet:
    path: Path
    size: tuple[int, int]
    tiles: tuple[Tile, ...]
    font: str


# --- frames -------------------------------------------------------------------------------------


def grab_time(placement: Placement, fps: float) -> float:
    """Source second shown when the slot is halfway through on the output."""
    slot = placement.slot
    middle = slot.source_in + placement.duration / 2
    last_frame = max(slot.source_in, slot.source_out - 1.0 / fps)
    return min(middle, last_frame)


def thumbnail_size(plan: EditPlan, width: int = THUMB_WIDTH) -> tuple[int, int]:
    height = round(width * plan.render.height / plan.render.width)
    return width, max(2, height)


def frame_filter(size: tuple[int, int], fit: str) -> str:
    """Scale the source the way the render does: fill and crop, or fit and pad with black."""
    width, height = size
    if fit == "pad":
        return (
            f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,setsar=1"
        )
    return f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height},setsar=1"


def grab_frame(path: str, seconds: float, size: tuple[int, int], fit: str) -> bytes:
    """One frame of ``path`` at ``seconds`` as PNG bytes of exactly ``size``.

    Seeking before ``-i`` jumps to the keyframe and decodes forward, so a grab costs one GOP
    at most. Should the seek land past the last frame (a ``source_out`` at the very end of a
    file whose duration rounds up), the first frame of the second before is taken instead.
    """
    ffmpeg = find_tool("ffmpeg", path)
    for attempt in (seconds, max(0.0, seconds - 1.0)):
        command = [
            ffmpeg, "-nostdin", "-hide_banner", "-v", "error",
            "-ss", f"{attempt:.3f}", *input_arguments(path),
            "-frames:v", "1", "-an", "-vf", frame_filter(size, fit),
            "-f", "image2pipe", "-c:v", "png", "pipe:1",
        ]  # fmt: skip
        try:
            completed = subprocess.run(
                command, stdin=subprocess.DEVNULL, capture_output=True,
                timeout=GRAB_TIMEOUT_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise MediaError(path, f"no frame grabbed within {GRAB_TIMEOUT_S:g} s") from None
        if completed.returncode != 0:
            lines = stderr_lines(completed.stderr.decode("utf-8", "backslashreplace"), path)
            raise MediaError(path, f"cannot grab a frame (ffmpeg: {quote_ffmpeg(lines)})")
        if completed.stdout:
            return completed.stdout
    raise MediaError(path, f"no frame at {seconds:.3f} s (is the slot past the end of the file?)")


# --- fonts and text -----------------------------------------------------------------------------


@functools.cache
def find_font(family: str, language: str | None = None) -> tuple[str, int] | None:
    """``(file, face index)`` fontconfig picks for ``family`` (covering ``language``), or None.

    fontconfig always answers with its best substitute, so a family that is not installed
    still gives a usable font; None only means fontconfig itself is missing or failed.
    """
    program = shutil.which(FC_MATCH)
    if program is None:
        return None
    pattern = "".join("\\" + char if char in "\\:-," else char for char in family)
    if language in _FC_LANG:
        pattern += f":lang={_FC_LANG[language]}"
    try:
        completed = subprocess.run(
            [program, "--format=%{file}\n%{index}", pattern],
            capture_output=True, timeout=10, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = completed.stdout.decode("utf-8", "surrogateescape").splitlines()
    if completed.returncode != 0 or not lines or not os.path.isfile(lines[0]):
        return None
    index = int(lines[1]) if len(lines) > 1 and lines[1].isdigit() else 0
    return lines[0], index


def load_font(
    family: str, language: str | None, size: int
) -> tuple[ImageFont.ImageFont | ImageFont.FreeTypeFont, str]:
    """A Pillow font for the text and a description of it; Pillow's own font as a last resort."""
    from PIL import ImageFont

    for candidate in (family, *FALLBACK_FAMILIES):
        found = find_font(candidate, language)
        if found is None:
            continue
        try:
            return ImageFont.truetype(found[0], size, index=found[1]), found[0]
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size), "Pillow default"
    except TypeError:  # Pillow < 10.1: a fixed-size bitmap font
        return ImageFont.load_default(), "Pillow default (bitmap)"


def wrap(text: str, font: Any, width: int, max_lines: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels; words break at spaces, and a word
    wider than a line (CJK text has no spaces) breaks between characters. The last line
    ends in an ellipsis when text is left over."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for char in word:
            if font.getlength(current + char) <= width:
                current += char
            else:
                if current:
                    lines.append(current)
                current = char
        if len(lines) > max_lines:
            break
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and font.getlength(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "…"]
    return lines


def clock(seconds: float) -> str:
    """``m:ss.s``, the precision a reviewer reads a 30-second ad in."""
    minutes, rest = divmod(max(0.0, seconds), 60)
    return f"{int(minutes)}:{rest:04.1f}"


# --- the sheet ----------------------------------------------------------------------------------


def write_contact_sheet(plan: EditPlan, path: Path, title: str = "") -> ContactSheet:
    """Draw the contact sheet of ``plan`` into ``path`` (PNG, written atomically)."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise AutocutError(
            "the contact sheet needs Pillow: pip install 'autocut[render]'"
        ) from None
    placements = place(plan)
    if not placements:
        raise AutocutError("the plan has no slots: there is nothing to put on a contact sheet")
    thumb = thumbnail_size(plan)
    sentences = [one_line(p.slot.sentence) for p in placements]
    language = detect_language(" ".join(sentences))
    font, font_file = load_font(plan.render.subtitle_style.font, language, FONT_SIZE)
    title_font, _ = load_font(plan.render.subtitle_style.font, language, TITLE_SIZE)
    line_height = round(FONT_SIZE * 1.4)
    evidence_lines = EVIDENCE_LINES if any(p.slot.evidence for p in placements) else 0
    caption_height = (1 + SENTENCE_LINES + evidence_lines) * line_height + MARGIN // 2
    title_height = round(TITLE_SIZE * 1.5) + MARGIN
    count = len(placements) + (plan.end_card is not None)
    columns = min(count, MAX_COLUMNS, max(1, math.ceil(math.sqrt(2 * count))))
    rows = math.ceil(count / columns)
    cell = (thumb[0] + MARGIN, thumb[1] + caption_height + MARGIN)
    size = (MARGIN + columns * cell[0], title_height + rows * cell[1] + MARGIN // 2)

    frames = _grab_all(plan, placements, thumb)
    sheet = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    draw.text((MARGIN, MARGIN), one_line(_title(plan, title), 160), font=title_font, fill=TEXT)
    tiles = []
    for placement, frame, sentence in zip(placements, frames, sentences, strict=True):
        row, column = divmod(placement.index, columns)
        left = MARGIN + column * cell[0]
        top = title_height + row * cell[1]
        with Image.open(io.BytesIO(frame)) as image:
            sheet.paste(image.convert("RGB").resize(thumb), (left, top))
        role = placement.slot.role
        said = f"[{role}] {sentence}" if role else sentence
        caption = (_header(placement), *wrap(said, font, thumb[0], SENTENCE_LINES))
        y = top + thumb[1] + MARGIN // 3
        for number, line in enumerate(caption):
            draw.text((left, y), line, font=font, fill=TEXT if number else DIM)
            y += line_height
        evidence = _evidence_lines(placement, font, thumb[0]) if evidence_lines else ()
        y = top + thumb[1] + MARGIN // 3 + (1 + SENTENCE_LINES) * line_height
        for line in evidence:
            draw.text((left, y), line, font=font, fill=DIM)
            y += line_height
        box = (left, top, left + thumb[0], top + thumb[1])
        tiles.append(Tile(placement.index, box, caption, evidence))
    if plan.end_card is not None:
        row, column = divmod(len(placements), columns)
        corner = (MARGIN + column * cell[0], title_height + row * cell[1])
        _draw_end_card(sheet, draw, plan.end_card, placements[-1].end, corner, thumb, font)

    with atomic_path(Path(path)) as temporary:
        sheet.save(temporary, format="PNG")
    return ContactSheet(Path(path), size, tuple(tiles), font_file)


def _draw_end_card(sheet: Any, draw: Any, card: EndCard, start: float,
                   corner: tuple[int, int], thumb: tuple[int, int], font: Any) -> None:  # fmt: skip
    """The end card's tile at ``corner`` and its header (when it plays) under it."""
    left, top = corner
    sheet.paste(card_tile(card, thumb, font), (left, top))
    header = f"end card  {clock(start)}–{clock(start + card.duration)}"
    draw.text((left, top + thumb[1] + MARGIN // 3), header, font=font, fill=DIM)


def card_tile(card: EndCard, size: tuple[int, int], font: Any) -> Any:
    """The end card as a thumbnail: its background with the title and CTA text (the logo is
    left out; the render draws it)."""
    from PIL import Image, ImageDraw

    tile = Image.new("RGB", size, _rgb(card.background))
    draw = ImageDraw.Draw(tile)
    lines = [
        *wrap(one_line(card.title), font, size[0] - 8, 2),
        *wrap(one_line(card.cta), font, size[0] - 8, 2),
    ]
    y = size[1] // 2 - len(lines) * FONT_SIZE * 7 // 10
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text(((size[0] - width) / 2, y), line, font=font, fill=_rgb(card.color))
        y += round(FONT_SIZE * 1.4)
    return tile


def _rgb(value: str) -> tuple[int, int, int]:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def _header(placement: Placement) -> str:
    """``#3  0:04.2–0:07.9  score 0.81``: the slot's number, output time and score (``edited``
    for a slot changed by hand, whose score no longer applies)."""
    header = f"#{placement.index + 1}  {clock(placement.start)}–{clock(placement.end)}"
    label = score_label(placement.slot, digits=2)
    if label:
        header += "  edited" if placement.slot.edited else f"  score {label}"
    return header


def _evidence_lines(placement: Placement, font: Any, width: int) -> tuple[str, ...]:
    """``from: <the product fact>`` and ``next: <runner-up score and clip>``, one line each
    (stale evidence of an edited slot is not shown as its reason)."""
    slot = placement.slot
    record = current_evidence(slot)
    if record is None:
        return ("evidence: stale (edited)",) if is_stale(slot) else ()
    fact = f"from: {record.fact.text}" if record.fact else "from: no product fact"
    lines = [fact]
    if record.runner_ups:
        lines.append(f"next: {runner_up_label(record.runner_ups[0])}")
    return tuple(wrap(one_line(line), font, width, 1)[0] for line in lines)


def _title(plan: EditPlan, title: str) -> str:
    render = plan.render
    parts = [title] if title else []
    parts.append(plan.product.name if plan.product else "AutoCut plan")
    parts.append(f"{len(plan.slots)} slots, {total_duration(plan):.1f} s")
    parts.append(f"{render.width}x{render.height} {render.fps:g} fps, {render.transition}")
    return " — ".join(parts)


def _grab_all(plan: EditPlan, placements: list[Placement], size: tuple[int, int]) -> list[bytes]:
    """Every slot's frame."""
    fps = plan.render.fps
    jobs = [(p.slot.source_path, grab_time(p, fps)) for p in placements]
    return grab_frames(jobs, size, plan.render.fit)


def grab_frames(jobs: Sequence[tuple[str, float]], size: tuple[int, int], fit: str) -> list[bytes]:
    """A frame per ``(path, seconds)``; ffmpeg runs in a few threads (each grab is a
    separate process). The first failure is raised, naming its file."""
    workers = max(1, min(4, os.cpu_count() or 1, len(jobs)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(grab_frame, path, seconds, size, fit) for path, seconds in jobs]
        return [future.result() for future in futures]
