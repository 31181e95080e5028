"""`autocut explain PLAN`: why each slot shows what it shows, from the plan's evidence record.

The terminal table and the HTML page read only what the pipeline recorded when it made the
plan (:mod:`autocut_core.pipelines.trace`): the product fact each line says, the clip's
score and caption, the runner-up clips with their scores, the music's score. Nothing is
recomputed, so the explanation is of the choice that was made, with the models and footage
of that run.

The HTML page is one self-contained file (a reviewer mails it): every thumbnail is a
``data:`` URL of a PNG grabbed by ffmpeg, framed as the render frames it; there is no
script, the page's content security policy allows images from ``data:`` only, and every
piece of user text (product name, sentences, captions, file names) is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocut_core.editing.scores import score_label
from autocut_core.editing.timeline import Placement, place, total_duration
from autocut_core.fsutil import atomic_write_text
from autocut_core.output.evidence_text import (
    clip_label,
    current_evidence,
    fact_label,
    is_stale,
    music_label,
    runner_up_label,
)
from autocut_core.serde import to_data
from autocut_core.types import EditPlan, SlotEvidence

#: Thumbnail widths in the page: the slot's frame and each runner-up's.
SLOT_THUMB_WIDTH = 180
RUNNER_UP_THUMB_WIDTH = 96


@dataclass(frozen=True)
class Explained:
    """One slot as explained: where it plays, and its evidence if still current."""

    placement: Placement
    evidence: SlotEvidence | None
    stale: bool

    @property
    def number(self) -> int:
        return self.placement.index + 1

    def to_dict(self) -> dict[str, Any]:
        slot = self.placement.slot
        return {
            "slot": self.number,
            "start": round(self.placement.start, 3),
            "end": round(self.placement.end, 3),
            "clip": clip_label(slot.source_path, slot.source_in, slot.source_out),
            "sentence": slot.sentence,
            "score": slot.score,
            "stale": self.stale,
            "evidence": to_data(self.evidence) if self.evidence else None,
        }


def explain(plan: EditPlan) -> list[Explained]:
    return [
        Explained(placement, current_evidence(placement.slot), is_stale(placement.slot))
        for placement in place(plan)
    ]


def reason(item: Explained) -> str:
    """Why there is no evidence to show for a slot (empty when there is)."""
    if item.evidence is not None:
        return ""
    if item.stale:
        return "edited by hand since: the recorded evidence was for another clip or sentence"
    return "no evidence recorded (a plan of format 1, or written by hand)"


# --- the HTML page ------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _size(plan: EditPlan, width: int) -> tuple[int, int]:
    return width, max(2, round(width * plan.render.height / plan.render.width) // 2 * 2)


def _thumbnails(
    plan: EditPlan, items: list[Explained]
) -> tuple[list[str | None], list[list[str | None]]]:
    """Data URLs of each slot's frame and of its runner-ups' middle frames (None where the
    file is gone: the page says so instead of failing)."""
    from autocut_core.output.contact_sheet import grab_frames, grab_time

    fit = plan.render.fit
    slot_jobs = [
        (i.placement.slot.source_path, grab_time(i.placement, plan.render.fps)) for i in items
    ]
    runner_jobs = [
        [
            (r.source_path, (r.start + r.end) / 2)
            for r in (i.evidence.runner_ups if i.evidence else ())
        ]
        for i in items
    ]

    def urls(jobs: list[tuple[str, float]], width: int) -> list[str | None]:
        present = [job for job in jobs if Path(job[0]).is_file()]
        frames = iter(grab_frames(present, _size(plan, width), fit))
        return [
            "data:image/png;base64," + base64.b64encode(next(frames)).decode("ascii")
            if Path(path).is_file()
            else None
            for path, _ in jobs
        ]

    flat = urls([job for jobs in runner_jobs for job in jobs], RUNNER_UP_THUMB_WIDTH)
    grouped: list[list[str | None]] = []
    for jobs in runner_jobs:
        grouped.append(flat[: len(jobs)])
        flat = flat[len(jobs) :]
    return urls(slot_jobs, SLOT_THUMB_WIDTH), grouped


def _image(url: str | None, alt: str, width: int) -> str:
    if url is None:
        return f'<div class="missing" style="width:{width}px">file not found</div>'
    return f'<img src="{url}" alt="{_e(alt)}" width="{width}">'


_STYLE = """
body { font-family: sans-serif; background: #181818; color: #ebebeb; margin: 24px; }
h1 { font-size: 20px; } .dim { color: #a0a0a0; }
table { border-collapse: collapse; width: 100%; }
td, th { border-top: 1px solid #333; padding: 8px; vertical-align: top; text-align: left; }
.runner { display: inline-block; margin: 0 8px 8px 0; font-size: 12px; width: 96px; }
.missing { background: #333; color: #a0a0a0; font-size: 12px; padding: 8px; }
"""


def html_page(plan: EditPlan, title: str = "") -> str:
    """The explanation as one self-contained HTML document."""
    items = explain(plan)
    frames, runner_frames = _thumbnails(plan, items)
    name = plan.product.name if plan.product else "AutoCut plan"
    heading = f"{title} — {name}" if title else name
    rows = []
    for item, frame, runners in zip(items, frames, runner_frames, strict=True):
        slot = item.placement.slot
        record = item.evidence
        cells = [
            f"<td>#{item.number}<br><span class=dim>{item.placement.start:.2f}–"
            f"{item.placement.end:.2f} s</span></td>",
            f"<td>{_image(frame, slot.sentence, SLOT_THUMB_WIDTH)}<br><span class=dim>"
            f"{_e(clip_label(slot.source_path, slot.source_in, slot.source_out))}</span></td>",
        ]
        if record is None:
            cells.append(f"<td><p>{_e(slot.sentence)}</p><p class=dim>{_e(reason(item))}</p></td>")
            cells.append("<td></td>")
        else:
            runner_html = (
                "".join(
                    f'<div class="runner">{_image(url, r.caption, RUNNER_UP_THUMB_WIDTH)}<br>'
                    f"{_e(runner_up_label(r))}<br><span class=dim>{_e(r.caption)}</span></div>"
                    for r, url in zip(record.runner_ups, runners, strict=True)
                )
                or "<span class=dim>none (no free clip was scored)</span>"
            )
            cells.append(
                f"<td><p>{_e(slot.sentence)}</p>"
                f"<p class=dim>{_e(fact_label(record.fact))}</p>"
                f"<p>score {_e(score_label(slot) or 'none')} · {_e(record.chosen_by)}</p>"
                f"<p class=dim>caption: {_e(record.caption or '(none)')}</p>"
                + (f"<p class=dim>rests on: {_e(record.basis)}</p>" if record.basis else "")
                + "</td>"
            )
            cells.append(f"<td>{runner_html}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    summary = (
        f"{len(plan.slots)} slots, {total_duration(plan):.1f} s · music: {music_label(plan.music)}"
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{_e(heading)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>{_e(heading)}</h1><p class=dim>{_e(summary)}</p>"
        "<table><tr><th>slot</th><th>clip</th><th>line, fact, score, caption</th>"
        f"<th>runner-ups</th></tr>{''.join(rows)}</table></body></html>\n"
    )


def write_html(plan: EditPlan, path: Path, title: str = "") -> Path:
    """Write :func:`html_page` to ``path`` atomically."""
    atomic_write_text(Path(path), html_page(plan, title))
    return Path(path)
