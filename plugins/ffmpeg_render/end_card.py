"""The end card: a coloured frame with the logo, product name, brand and call to action,
drawn in the same filter graph as the slots and joined after the last one.

::

    color=c=0xRRGGBB:s=WxH:r=F:d=SECONDS, format=yuv420p, setsar=1 [cardbg]
    [logo input] scale=w=W/3:h=-2, format=yuva420p [cardlogo]            (with a logo)
    [cardbg][cardlogo] overlay=x=(W-w)/2:y=H*0.16 [cardlogoed]
    [...] ass=filename=end_card.ass, trim=end_frame=FRAMES, setpts=PTS-STARTPTS [card]

No user text reaches the graph (its alphabet forbids it, :mod:`.graph`): the text lives in
its own ASS file, escaped by :func:`autocut_core.output.subtitles.escape_ass_text` like every
subtitle, so ``{\\b1}`` or ``\\N`` in a CTA show as typed; colours are checked ``#RRGGBB``
and go in as hex digits; the logo is an ``-i`` input like any footage (``-loop 1``, so a
still image lasts the card).
"""

from __future__ import annotations

import os

from autocut_plugins.ffmpeg_render.graph import Graph, InputList, number, rate
from autocut_plugins.ffmpeg_render.layout import FrameLayout

from autocut_core.errors import InputError
from autocut_core.media import MediaError, frame_jpeg
from autocut_core.output.subtitles import ass_color, escape_ass_text, fit_lines, font_for_text
from autocut_core.types import EndCard, RenderSettings

#: The end card's text file inside the render's working folder.
END_CARD_FILE = "end_card.ass"
#: Where each line sits (share of the frame height) with and without a logo above it.
_ROWS = {True: (0.52, 0.60, 0.72), False: (0.40, 0.50, 0.64)}


def check_end_card(card: EndCard) -> None:
    """Refuse a logo that is not a readable image (colours are checked by :class:`EndCard`)."""
    if card.logo is None:
        return
    if not os.path.isfile(card.logo):
        raise InputError(f"{card.logo}: end card logo not found")
    try:
        frame_jpeg(card.logo, max_side=16)  # ffmpeg decodes it, as the render will
    except MediaError as error:
        raise InputError(
            f"{card.logo}: end card logo is not a readable image ({error.reason})"
        ) from None


def card_ass(card: EndCard, render: RenderSettings, seconds: float) -> str:
    """The card's ASS script: three centred lines in the frame's pixel coordinates."""
    style = render.subtitle_style
    width, height = render.width, render.height
    colour = ass_color(card.color)
    rows = _ROWS[card.logo is not None]
    lines = [(card.title, round(height / 16), rows[0], True),
             (card.brand, round(height / 26), rows[1], False),
             (card.cta, round(height / 20), rows[2], True)]  # fmt: skip
    fonts: dict[str, str] = {}
    events = []
    end = _time(seconds + 1.0)  # past the card's end: trim ends it, libass must not
    for text, size, row, bold in lines:
        if not text.strip():
            continue
        font = font_for_text(text, style.font)
        name = fonts.setdefault(font, f"Card{len(fonts)}")
        wrapped, fitted = fit_lines(text, width * 0.84, size, font, bold=bold)
        body = r"\N".join(escape_ass_text(line) for line in wrapped)
        tags = rf"{{\an5\pos({width // 2},{round(height * row)})\fs{fitted}\b{int(bold)}}}"
        events.append(f"Dialogue: 0,0:00:00.00,{end},{name},,0,0,0,,{tags}{body}")
    styles = [
        f"Style: {name},{font},{round(height / 20)},{colour},{colour},&H80000000,&H00000000,"
        f"0,0,0,0,100,100,0,0,1,0,0,5,0,0,0,1"
        for font, name in fonts.items()
    ]
    return "\n".join([
        "[Script Info]", "; the end card, written by AutoCut's ffmpeg renderer", "ScriptType: v4.00+",
        f"PlayResX: {width}", f"PlayResY: {height}", "WrapStyle: 0", "ScaledBorderAndShadow: yes", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        *styles, "", "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
        *events, "",
    ])  # fmt: skip


def card_chain(graph: Graph, inputs: InputList, card: EndCard, layout: FrameLayout,
               render: RenderSettings) -> str:  # fmt: skip
    """Add the card's chains (see the module docs); returns the finished card's label."""
    frames = layout.card_frames
    seconds = number(layout.seconds(frames + 1))
    background = card.background.lstrip("#").upper()
    size = f"{render.width}x{render.height}"
    label = graph.add([], [f"color=c=0x{background}:s={size}:r={rate(layout.fps)}:d={seconds}",
                           "format=yuv420p", "setsar=1"], "cardbg")  # fmt: skip
    if card.logo is not None:
        logo = inputs.add(card.logo, ["-loop", "1", "-t", seconds])
        scaled = graph.add([f"{logo}:v:0"], [f"scale=w={render.width // 3}:h=-2",
                                             "format=yuva420p"], "cardlogo")  # fmt: skip
        label = graph.add([label, scaled], ["overlay=x=(W-w)/2:y=H*0.16:shortest=1",
                                            "format=yuv420p"], "cardlogoed")  # fmt: skip
    return graph.add([label], [f"ass=filename={END_CARD_FILE}", f"trim=end_frame={frames}",
                               "setpts=PTS-STARTPTS"], "card")  # fmt: skip


def _time(seconds: float) -> str:
    centis = max(0, round(seconds * 100))
    minutes, centis = divmod(centis, 6000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:d}:{minutes:02d}:{centis // 100:02d}.{centis % 100:02d}"
