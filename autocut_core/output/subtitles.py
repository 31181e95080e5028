"""Subtitles of an :class:`EditPlan`: a styled ASS file to burn in and an SRT sidecar.

Every renderer needs the same two files, so they are written here, from the same cues, with
timings from :func:`autocut_core.editing.timeline.place` (the picture, the voice and the text agree).

Cues
----
Slot *i*'s sentence is shown from the slot's output start until the next slot starts (the
last one until the ad ends). With a crossfade the next slot starts before this one ends, so
the text changes when the next voice line starts, never with two lines on screen at once.

Escaping guarantees
-------------------
User text never becomes markup. In ASS, ``{`` starts an override block and ``\\N``, ``\\n``
and ``\\h`` are escapes; :func:`escape_ass_text` turns ``{``/``}`` into libass's literal
escapes ``\\{``/``\\}`` and puts an invisible WORD JOINER (U+2060) between a backslash and a
following ``N``/``n``/``h``, so ``{\\b1}`` and ``\\N`` show as typed. Newlines become line
breaks, other control characters are dropped. Font names go into the ``Style:`` line, whose
fields are comma-separated, so a font name with a comma or a control character is refused.
SRT has no escape mechanism at all, yet players read markup in it: ``<b>``/``<i>``/``<font>``
tags, ASS override blocks (``{\\an8}``, which ffmpeg honours and whose neighbours it drops),
MicroDVD styles (``{y:i}``), and a line holding ``-->`` can be taken for a timing line.
:func:`escape_srt_line` puts a WORD JOINER after the ``{`` or ``<`` that would open markup
and inside ``-->``, so each shows as typed; a blank line ends a cue, so blank lines inside a
sentence are collapsed.

Wrapping and fonts
------------------
libass only wraps at spaces, so Chinese or Japanese without spaces would run off the frame.
:func:`wrap_text` breaks lines itself from an estimate of each character's width (full-width
CJK characters are one em, Latin letters about half), breaks between CJK characters but never
before closing punctuation, balances the lines, and shrinks the text (``\\fs``) when it would
need more than :data:`MAX_LINES` lines. A sentence in Chinese, Japanese or Korean gets a font
that fontconfig says covers that language (the Noto Sans CJK variant of the language when the
chosen font is a Noto CJK one), so no sentence shows empty boxes.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autocut_core.editing.timeline import place
from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_write_text
from autocut_core.materials.captions import srt_time
from autocut_core.output.word_timing import align, split_points
from autocut_core.text import cjk_language, is_cjk
from autocut_core.types import EditPlan, RenderSettings, SubtitleStyle, Word

log = logging.getLogger(__name__)

#: More lines than this and the text is set smaller instead.
MAX_LINES = 3
#: The text is never shrunk below this share of the style's size.
MIN_SHRINK = 0.5
#: Side margins as a share of the width: portrait apps put buttons down the right edge.
SIDE_MARGIN_PORTRAIT = 0.08
SIDE_MARGIN_LANDSCAPE = 0.05
#: Invisible, zero-width: keeps ``\`` and ``N`` apart so libass does not read ``\N``.
WORD_JOINER = "\u2060"

# Characters a line must not start with (closing punctuation, small kana) and must not end with.
_NO_LINE_START = set(
    "、。，．,.!！?？:：;；)）]］}｝」』】〉》〕…‥ー々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ・'\"”’%"
)
_NO_LINE_END = set("(（[［{｛「『【〈《〔“‘")
# Preferred families per language when the chosen font does not cover it (first installed wins).
_CJK_FAMILIES = {
    "zh": ("Noto Sans CJK SC", "Noto Sans CJK TC", "Source Han Sans SC", "WenQuanYi Zen Hei"),
    "ja": ("Noto Sans CJK JP", "Source Han Sans JP", "IPAGothic", "TakaoGothic"),
    "ko": ("Noto Sans CJK KR", "Source Han Sans KR", "NanumGothic", "UnDotum"),
}
_NOTO_CJK_VARIANT = {"zh": "SC", "ja": "JP", "ko": "KR"}
#: (family prefix, ascent + descent in ems) of common subtitle fonts; the last is the default.
_LINE_HEIGHTS = (("noto sans cjk", 1.448), ("noto serif cjk", 1.448), ("source han", 1.448),
                 ("dejavu", 1.164))  # fmt: skip
_HEX_COLOR = re.compile(r"^#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$")


@dataclass(frozen=True)
class Cue:
    """One subtitle: output seconds and the sentence as the user wrote it."""

    index: int
    start: float
    end: float
    text: str


def cues_for(plan: EditPlan) -> list[Cue]:
    """One cue per slot with a sentence, timed by :func:`timeline.place`; a long sentence
    whose voice line's words were timed (``Slot.voice_words``) is several cues, each shown
    from when its first word is spoken (:mod:`autocut_core.output.word_timing`)."""
    placements = place(plan)
    cues: list[Cue] = []
    for position, placement in enumerate(placements):
        if not placement.slot.sentence.strip():
            continue
        following = placements[position + 1] if position + 1 < len(placements) else None
        end = following.start if following is not None else placement.end
        cue = Cue(placement.index, placement.start, end, placement.slot.sentence)
        cues.extend(_split_by_words(cue, placement.slot.voice_words))
    return cues


#: The shortest a piece of a split sentence is shown (seconds): shorter, it is not split there.
MIN_PIECE = 0.5


def _split_by_words(cue: Cue, words: Sequence[Word]) -> list[Cue]:
    if not words:
        return [cue]
    tokens = align(cue.text, words)
    pieces: list[tuple[float, list[str]]] = [(cue.start, [])]
    points = set(split_points(tokens))
    for index, token in enumerate(tokens):
        start = cue.start + token.start
        if index in points and start - pieces[-1][0] >= MIN_PIECE and cue.end - start >= MIN_PIECE:
            pieces.append((start, []))
        pieces[-1][1].append(token.text)
    ends = [start for start, _ in pieces[1:]] + [cue.end]
    return [
        Cue(cue.index, start, end, _joined(texts))
        for (start, texts), end in zip(pieces, ends, strict=True)
    ]


def _joined(tokens: Sequence[str]) -> str:
    """Tokens back into text: a space between words, none next to a CJK character."""
    text = ""
    for token in tokens:
        if text and not (is_cjk(text[-1]) or is_cjk(token[0])):
            text += " "
        text += token
    return text


# --- SRT --------------------------------------------------------------------------------------


def srt_text(cues: Sequence[Cue]) -> str:
    """The cues as SubRip: numbered blocks, ``HH:MM:SS,mmm --> HH:MM:SS,mmm``, a blank line."""
    blocks = []
    for number, cue in enumerate(cues, start=1):
        lines = _plain_lines(cue.text)
        timing = f"{srt_time(cue.start)} --> {srt_time(max(cue.end, cue.start + 0.001))}"
        blocks.append("\n".join([str(number), timing, *lines]))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def write_srt(plan: EditPlan, path: Path) -> Path | None:
    """Write the plan's subtitles as SRT (atomically); None when no slot has a sentence."""
    cues = cues_for(plan)
    if not cues:
        return None
    atomic_write_text(Path(path), srt_text(cues))
    return Path(path)


def _plain_lines(text: str) -> list[str]:
    """The sentence's lines without blank ones (a blank line would end the SRT cue early)."""
    lines = [_printable(line).strip() for line in _normalise_newlines(text).split("\n")]
    return [escape_srt_line(line) for line in lines if line] or [""]


#: What opens markup in an SRT cue as players read it: an HTML-like tag, an ASS override
#: block, a MicroDVD style (``{y:i}``); and the arrow of a timing line.
_SRT_MARKUP = re.compile(r"(?<=<)(?=[A-Za-z/])|(?<=\{)(?=\\|[A-Za-z]:)|(?<=--)(?=>)")


def escape_srt_line(line: str) -> str:
    """``line`` as SRT cue text every player shows literally: a WORD JOINER (invisible) after
    each ``<`` or ``{`` that would open markup and inside ``-->``."""
    return _SRT_MARKUP.sub(WORD_JOINER, line)


# --- ASS --------------------------------------------------------------------------------------


def font_size_for(style: SubtitleStyle, height: int) -> int:
    """The style's size in pixels, or height / 24 when it is 0."""
    return style.size if style.size > 0 else max(8, round(height / 24))


def side_margin_for(width: int, height: int) -> int:
    share = SIDE_MARGIN_PORTRAIT if height > width else SIDE_MARGIN_LANDSCAPE
    return round(width * share)


def ass_text(cues: Sequence[Cue], render: RenderSettings) -> str:
    """A complete ASS script whose coordinates are the output frame's pixels."""
    style = render.subtitle_style
    _check_font_name(style.font)
    primary, outline = ass_color(style.color), ass_color(style.outline_color)
    size = font_size_for(style, render.height)
    side = side_margin_for(render.width, render.height)
    vertical = round(style.margin * render.height)
    alignment = {"bottom": 2, "middle": 5, "top": 8}[style.position]
    max_width = render.width - 2 * side
    bold = -1 if style.bold else 0

    events, fonts = [], {style.font: "Default"}
    for cue in cues:
        font = font_for_text(cue.text, style.font)
        style_name = fonts.setdefault(font, f"Font{len(fonts)}")
        lines, fitted = fit_lines(cue.text, max_width, size, font, bold=style.bold)
        body = r"\N".join(escape_ass_text(line) for line in lines)
        if fitted != size:
            body = rf"{{\fs{fitted}}}" + body
        events.append(
            f"Dialogue: 0,{_ass_time(cue.start)},{_ass_time(max(cue.end, cue.start + 0.01))},"
            f"{style_name},,0,0,0,,{body}"
        )
    style_lines = [
        f"Style: {name},{font},{size},{primary},{primary},{outline},&H80000000,{bold},0,0,0,"
        f"100,100,0,0,1,{style.outline:g},0,{alignment},{side},{side},{vertical},1"
        for font, name in fonts.items()
    ]
    return "\n".join(
        [
            "[Script Info]",
            "; written by AutoCut (autocut_core.output.subtitles)",
            "ScriptType: v4.00+",
            f"PlayResX: {render.width}",
            f"PlayResY: {render.height}",
            # 0 = libass may still wrap at spaces if our width estimate was too generous.
            "WrapStyle: 0",
            "ScaledBorderAndShadow: yes",
            "",
            "[V4+ Styles]",
            "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
            "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
            "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
            *style_lines,
            "",
            "[Events]",
            "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
            *events,
            "",
        ]
    )


def escape_ass_text(text: str) -> str:
    """``text`` as ASS dialogue text that libass shows literally (one line, no markup)."""
    text = _printable(_normalise_newlines(text).replace("\n", " "))
    out = []
    for position, char in enumerate(text):
        if char in "{}":
            out.append("\\" + char)
        elif char == "\\":
            following = text[position + 1] if position + 1 < len(text) else ""
            out.append("\\" + WORD_JOINER if following in ("N", "n", "h") else "\\")
        else:
            out.append(char)
    return "".join(out)


def ass_color(value: str) -> str:
    """``#RRGGBB`` or ``#RRGGBBAA`` (AA = opacity, FF opaque) as ASS ``&HAABBGGRR``."""
    match = _HEX_COLOR.match(value.strip())
    if match is None:
        raise InputError(f"subtitle colour {value!r}: expected #RRGGBB or #RRGGBBAA")
    rgb, alpha = match.group(1), match.group(2) or "FF"
    red, green, blue = rgb[0:2], rgb[2:4], rgb[4:6]
    transparency = 255 - int(alpha, 16)  # ASS counts alpha the other way round
    return f"&H{transparency:02X}{blue}{green}{red}".upper()


def _ass_time(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    hours, centis = divmod(centis, 360_000)
    minutes, centis = divmod(centis, 6000)
    secs, centis = divmod(centis, 100)
    return f"{hours:d}:{minutes:02d}:{secs:02d}.{centis:02d}"


def _check_font_name(font: str) -> None:
    if not font.strip() or "," in font or any(not char.isprintable() for char in font):
        raise InputError(
            f"subtitle font {font!r}: a font family name must be non-empty and "
            "contain no commas or control characters"
        )


# --- line wrapping ----------------------------------------------------------------------------


def char_width(char: str, bold: bool = True) -> float:
    """A conservative width estimate of one character, in ems (font size = 1)."""
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if ord(char) >= 0x1F000:  # emoji and pictographs
        return 1.15
    if unicodedata.combining(char) or char == WORD_JOINER:
        return 0.0
    if char == " ":
        width = 0.32
    elif char in "iljI.,:;!|'`":
        width = 0.3
    elif char in "mwMW@%":
        width = 0.9
    elif char.isupper() or char.isdigit():
        width = 0.68
    else:
        width = 0.58
    return width * (1.08 if bold else 1.0)


def text_width(text: str, em: float, bold: bool = True) -> float:
    """Estimated pixel width of ``text`` with ``em`` pixels to the em."""
    return sum(char_width(char, bold) for char in text) * em


def wrap_text(text: str, max_width: float, em: float, bold: bool = True) -> list[str]:
    """Break ``text`` into lines no wider than ``max_width`` pixels (by estimate, ``em``
    pixels to the em).

    Latin text breaks at spaces (a word longer than a line is split); CJK text may break
    between any two characters except before closing punctuation. The user's own newlines
    are kept. Lines are balanced: the same number of lines, but as even as possible.
    """
    lines: list[str] = []
    for paragraph in _normalise_newlines(text).split("\n"):
        units = _break_units(_printable(paragraph).strip())
        if not units:
            continue
        greedy = _fill(units, max_width, em, bold)
        lines.extend(_balance(units, greedy, max_width, em, bold))
    return lines or [""]


def fit_lines(
    text: str, max_width: float, font_size: int, font: str, bold: bool = True
) -> tuple[list[str], int]:
    """Lines and the ASS font size to set them at: smaller when they need more than MAX_LINES."""
    size = font_size
    lines = wrap_text(text, max_width, size / line_height(font), bold)
    while len(lines) > MAX_LINES and size * 0.9 >= font_size * MIN_SHRINK:
        size = math.floor(size * 0.9)
        lines = wrap_text(text, max_width, size / line_height(font), bold)
    return lines, size


def line_height(font: str) -> float:
    """Ascent plus descent in ems: libass sets an ASS ``Fontsize`` as this height, so one em is
    ``Fontsize / line_height`` pixels. Unknown families get DejaVu's (the smaller, so the
    width estimate errs on the wide side)."""
    for prefix, height in _LINE_HEIGHTS:
        if font.lower().startswith(prefix):
            return height
    return _LINE_HEIGHTS[-1][1]


def _break_units(text: str) -> list[str]:
    """Pieces that stay on one line: Latin words (with their trailing space) and single CJK
    characters, with no-break punctuation glued to the neighbour it belongs to."""
    units: list[str] = []
    word = ""
    for char in text:
        wide = unicodedata.east_asian_width(char) in ("W", "F") and char not in _NO_LINE_START
        if char == " ":
            if word:
                units.append(word + " ")
                word = ""
            elif units:
                units[-1] += " "
        elif wide:
            if word:
                units.append(word)
            word = ""
            units.append(char)
        elif char in _NO_LINE_START and not word and units:
            units[-1] += char
        else:
            word += char
    if word:
        units.append(word)
    # Opening punctuation belongs with what follows it.
    merged: list[str] = []
    for unit in units:
        if merged and merged[-1] and merged[-1][-1] in _NO_LINE_END:
            merged[-1] += unit
        else:
            merged.append(unit)
    return merged


def _fill(units: list[str], max_width: float, em: float, bold: bool) -> list[str]:
    lines: list[str] = []
    current = ""
    for unit in units:
        candidate = current + unit
        if current and text_width(candidate.rstrip(), em, bold) > max_width:
            lines.append(current.rstrip())
            current = ""
            candidate = unit
        while text_width(candidate.rstrip(), em, bold) > max_width and len(candidate) > 1:
            # One word wider than the frame: split it where it overflows.
            cut = _longest_prefix(candidate, max_width, em, bold)
            lines.append(candidate[:cut])
            candidate = candidate[cut:]
        current = candidate
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _balance(
    units: list[str], greedy: list[str], max_width: float, em: float, bold: bool
) -> list[str]:
    """Narrow the target width while the line count stays the same (no one-word last line)."""
    if len(greedy) < 2:
        return greedy
    best = greedy
    low, high = max_width / len(greedy), max_width
    for _ in range(12):
        middle = (low + high) / 2
        trial = _fill(units, middle, em, bold)
        if len(trial) <= len(greedy):
            best, high = trial, middle
        else:
            low = middle
    return best


def _longest_prefix(text: str, max_width: float, em: float, bold: bool) -> int:
    width = 0.0
    for position, char in enumerate(text):
        width += char_width(char, bold) * em
        if width > max_width:
            return max(1, position)
    return len(text)


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")


def _printable(text: str) -> str:
    """Tabs become spaces; other control and format characters (except joiners) go."""
    out = []
    for char in text.replace("\t", " "):
        category = unicodedata.category(char)
        if category == "Cc" or (category == "Cf" and char not in "\u200d\u2060\ufe0f"):
            continue
        out.append(char)
    return "".join(out)


# --- fonts ------------------------------------------------------------------------------------


def text_language(text: str) -> str | None:
    """``zh``/``ja``/``ko`` when ``text`` holds CJK characters (any kana: Japanese), else None."""
    counts: dict[str, int] = {}
    for char in text:
        language = cjk_language(char)
        if language is not None:
            counts[language] = counts.get(language, 0) + 1
    if not counts:
        return None
    if "ja" in counts:
        return "ja"
    return max(counts, key=lambda language: counts[language])


def font_for_text(text: str, preferred: str) -> str:
    """The family to set ``text`` in: ``preferred`` unless it lacks the text's CJK language."""
    language = text_language(text)
    if language is None:
        return preferred
    covering = families_for_language(language)
    if covering is None:  # no fontconfig: let libass find what it can
        return preferred
    lowered = {family.lower(): family for family in covering}
    if preferred.startswith("Noto Sans CJK"):
        variant = f"Noto Sans CJK {_NOTO_CJK_VARIANT[language]}"
        if variant.lower() in lowered:
            return variant
    if preferred.lower() in lowered:
        return preferred
    for family in _CJK_FAMILIES[language]:
        if family.lower() in lowered:
            return family
    if covering:
        return sorted(covering)[0]
    log.warning("no installed font covers %s; subtitles may show boxes", language)
    return preferred


@functools.cache
def families_for_language(language: str) -> frozenset[str] | None:
    """Font families fontconfig says cover ``language``; None when fc-list is missing."""
    program = shutil.which("fc-list")
    if program is None:
        return None
    try:
        listing = subprocess.run(
            [program, f":lang={language}", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    families = set()
    for line in listing.splitlines():
        for alias in line.split(","):
            name = alias.replace("\\-", "-").strip()
            if name:
                families.add(name)
    return frozenset(families)
