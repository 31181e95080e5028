"""`autocut dataset import`: caption data of other layouts into the caption JSONL `eval` reads.

Each layout has a reader (:data:`LAYOUTS`) that yields, per ad it finds, either the ad as a
:class:`~autocut_core.editing.caption_ads.CaptionAd` or a :class:`Refusal` naming the file,
the line (where the layout has lines) and the field. Nothing is dropped quietly: the
:class:`ImportReport` counts the ads written and lists every refusal, and the CLI prints both.
The output is written atomically, only the ads that validated, in the order they were found.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from autocut_core.dataset import import_csv, import_folder, import_sft
from autocut_core.dataset.import_rows import Refusal
from autocut_core.editing.caption_ads import CaptionAd, dump_caption_ad
from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_write_text

Reader = Callable[[Path], Iterator[CaptionAd | Refusal]]


@dataclass
class ImportReport:
    """What one import wrote and what it refused."""

    source: Path
    output: Path
    layout: str
    imported: int = 0
    refused: list[Refusal] = field(default_factory=list)
    clips: int = 0
    #: Clips written without a caption (a backbone reading captions cannot see them).
    uncaptioned: int = 0
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "source": str(self.source), "output": str(self.output), "layout": self.layout,
            "imported": self.imported, "refused": len(self.refused),
            "refusals": [str(refusal) for refusal in self.refused], "clips": self.clips,
            "uncaptioned": self.uncaptioned, "notes": self.notes,
        }  # fmt: skip


def _readers() -> dict[str, Reader]:
    return {"sft": import_sft.read, "csv": import_csv.read, "folder": import_folder.read}


#: Layout name -> what it is (the CLI's help and the docs list these).
LAYOUTS: dict[str, str] = {
    "sft": "the SFT JSONL `autocut dataset build` writes (records grouped into ads)",
    "csv": "a CSV with one row per clip: ad_id, clip_id, caption, order/selected, sentence",
    "folder": "a folder of per-ad JSON files shaped like the paper's caption baselines",
}


def import_ads(source: Path, output: Path, layout: str) -> ImportReport:
    """Read ``source`` in ``layout`` and write the ads that validate to ``output``."""
    readers = _readers()
    if layout not in readers:
        raise InputError(f"unknown layout {layout!r}; layouts: {', '.join(readers)}")
    source, output = Path(source), Path(output)
    if not source.exists():
        raise InputError(f"{source}: not found")
    if output.resolve() == source.resolve():
        raise InputError(f"{output}: is the source; write the caption JSONL elsewhere")
    report = ImportReport(source, output, layout)
    lines: list[str] = []
    seen: dict[str, int] = {}
    for found in readers[layout](source):
        if isinstance(found, Refusal):
            report.refused.append(found)
            continue
        if found.ad_id in seen:
            report.refused.append(
                Refusal(str(source), f"ad {found.ad_id!r} found twice (the first one is kept)")
            )
            continue
        seen[found.ad_id] = len(lines)
        lines.append(json.dumps(dump_caption_ad(found), ensure_ascii=False) + "\n")
        report.imported += 1
        report.clips += len(found.clips)
        report.uncaptioned += sum(1 for clip in found.clips if not clip.caption.strip())
    if report.uncaptioned:
        report.notes.append(
            f"{report.uncaptioned} of {report.clips} clips have no caption: a backbone that "
            "reads captions cannot see them (`autocut eval` refuses such tasks unless "
            "--allow-blind)"
        )
    if not lines:
        listed = "\n".join(f"  {refusal}" for refusal in report.refused[:10])
        raise InputError(f"{source}: no ad could be imported ({layout} layout)\n{listed}")
    atomic_write_text(output, "".join(lines))
    return report
