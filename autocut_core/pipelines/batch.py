"""`autocut batch briefs.csv -o OUTDIR`: one ad per row of a CSV, resumable, row by row.

An ad team with forty products wants forty ads overnight, and a run that dies at row 31
(a power cut, a kill, a broken footage folder) must neither lose rows 1-30 nor stop at the
broken row. So:

- every row is one :class:`~autocut_core.pipelines.request.EditRequest` run by the
  configured pipeline into ``OUTDIR/<id>.mp4`` (plan, timeline, contact sheet beside it);
- an error in a row (a missing file, a failed render, anything but an interrupt) is recorded
  for that row and the next row starts;
- the record ``OUTDIR/batch.json`` is rewritten atomically after every row, so a kill
  leaves the record of the last finished row intact; a row is marked ``running`` before it
  starts, so a killed row reads as unfinished;
- a second run over the same CSV skips every row recorded ``done`` whose cells are
  unchanged (a fingerprint of them) and whose video is still there, and runs the rest.

The CSV (UTF-8, a header row): ``product`` and ``footage`` are required; ``script``,
``music`` and ``id`` are optional. Paths are relative to the CSV's folder; ``footage`` and
``music`` may list several paths separated by ``;``. ``id`` names the outputs (letters,
digits, ``.``, ``_``, ``-``; default ``row-N``, N counting data rows from 1, blank lines
not counted).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_core.components import Pipeline
from autocut_core.errors import AutocutError, InputError
from autocut_core.fsutil import atomic_write_text
from autocut_core.pipelines.request import EditRequest, EditResult, music_inputs
from autocut_core.progress import SILENT, Prefixed, Reporter
from autocut_core.types import RenderSettings

if TYPE_CHECKING:
    from autocut_core.settings import AutocutSettings

REQUIRED_COLUMNS = ("product", "footage")
OPTIONAL_COLUMNS = ("id", "script", "music")
#: What separates several paths in one cell.
PATH_SEPARATOR = ";"
RECORD_NAME = "batch.json"
RECORD_FORMAT = "autocut-batch"
RECORD_VERSION = 1
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class BriefRow:
    """One data row: its id, its line in the file, its cells as written."""

    id: str
    line: int
    cells: dict[str, str]

    @property
    def fingerprint(self) -> str:
        """What the row asks for: a changed cell makes a done row run again."""
        data = json.dumps(sorted(self.cells.items()), ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(data).hexdigest()[:16]


def read_briefs(path: Path) -> list[BriefRow]:
    """The rows of a briefs CSV; a file or header problem names the file (a bad cell is
    the row's problem, found when the row runs)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start})") from None
    reader = csv.DictReader(text.splitlines(), strict=True)
    try:
        header = [name.strip() for name in reader.fieldnames or ()]
        unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if not header:
            raise InputError(f"{path}: empty file (a header row with product,footage,... first)")
        if unknown or missing:
            raise InputError(
                f"{path}: "
                + "; ".join(
                    ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
                    + ([f"missing column(s) {', '.join(missing)}"] if missing else [])
                )
                + f" (columns: {', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})"
            )
        rows = []
        for number, raw in enumerate(reader, start=1):
            if None in raw:
                raise InputError(f"{path}, line {reader.line_num}: more cells than columns")
            cells = {key.strip(): (value or "").strip() for key, value in raw.items()}
            if not any(cells.values()):
                continue  # a blank line
            rows.append(BriefRow(cells.get("id") or f"row-{number}", reader.line_num, cells))
    except csv.Error as error:
        raise InputError(f"{path}, line {reader.line_num}: {error}") from None
    seen: dict[str, int] = {}
    for row in rows:
        if row.id in seen:
            raise InputError(
                f"{path}: id {row.id!r} on lines {seen[row.id]} and {row.line} (ids name "
                "the outputs: make them unique)"
            )
        seen[row.id] = row.line
    return rows


@dataclass
class RowOutcome:
    """What became of a row: ``done``, ``failed``, ``running`` (started, never finished) or,
    in this run's summary only, ``skipped`` (done in an earlier run)."""

    id: str
    line: int
    status: str
    fingerprint: str
    output: str | None = None
    duration: float | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "line": self.line,
            "status": self.status,
            "fingerprint": self.fingerprint,
            "output": self.output,
            "duration": self.duration,
            "error": self.error,
        }


@dataclass
class BatchResult:
    briefs: Path
    record: Path
    rows: list[RowOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.status == "failed"]


def load_record(path: Path) -> dict[str, dict[str, Any]]:
    """The rows of an earlier run's record by id (none when there is no record yet)."""
    if not path.is_file():
        return {}
    from autocut_core.serde import parse_json

    data = parse_json(path.read_text(encoding="utf-8"), str(path))
    if not isinstance(data, dict) or data.get("format") != RECORD_FORMAT:
        raise InputError(f"{path}: not an autocut batch record (delete it to start over)")
    if data.get("format_version") != RECORD_VERSION:
        raise InputError(
            f"{path}: batch record version {data.get('format_version')!r}; this AutoCut "
            f"writes version {RECORD_VERSION} (delete it to start over)"
        )
    return {str(row["id"]): row for row in data.get("rows", []) if isinstance(row, dict)}


def write_record(result: BatchResult) -> None:
    data = {
        "format": RECORD_FORMAT,
        "format_version": RECORD_VERSION,
        "briefs": str(result.briefs),
        "rows": [row.to_dict() for row in result.rows],
    }
    atomic_write_text(result.record, json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _is_done(earlier: dict[str, Any] | None, row: BriefRow) -> bool:
    if earlier is None or earlier.get("status") != "done":
        return False
    output = earlier.get("output")
    same = earlier.get("fingerprint") == row.fingerprint
    return same and isinstance(output, str) and Path(output).exists()


def _paths(cell: str, base: Path) -> tuple[Path, ...]:
    return tuple(base / part.strip() for part in cell.split(PATH_SEPARATOR) if part.strip())


@dataclass(frozen=True)
class BatchOptions:
    """What every row shares: the merged settings, the render settings, the database, voice."""

    settings: AutocutSettings
    render: RenderSettings
    db: Path | None = None
    voice: bool = True


def request_for(
    row: BriefRow, base: Path, output: Path, options: BatchOptions, progress: Reporter = SILENT
) -> EditRequest:
    """The row's request: its files (relative to ``base``) with the shared ``options``."""
    from autocut_core.inputs import load_product, load_script

    if not _ID.match(row.id):
        raise InputError(
            f"id {row.id!r} cannot name a file (letters, digits, '.', '_', '-'; at most 100)"
        )
    cells = row.cells
    for column in REQUIRED_COLUMNS:
        if not cells.get(column):
            raise InputError(f"the {column} cell is empty")
    footage = _paths(cells["footage"], base)
    absent = [str(path) for path in footage if not path.exists()]
    if absent:
        raise InputError(f"footage: no such file or folder: {', '.join(absent)}")
    library, pinned = music_inputs(_paths(cells.get("music", ""), base), "music")
    script = cells.get("script", "")
    return EditRequest(
        product=load_product(base / cells["product"]),
        footage=footage,
        output=output,
        settings=options.settings,
        script=load_script(base / script) if script else None,
        music=library,
        music_file=pinned,
        db=options.db,
        render=options.render,
        voice=options.voice,
        progress=progress,
    )


def run_batch(
    briefs: Path,
    outdir: Path,
    pipeline: Pipeline,
    options: BatchOptions,
    progress: Reporter = SILENT,
) -> BatchResult:
    """Run every row not done yet; record each as it ends; never stop at a failed row."""
    rows = read_briefs(briefs)
    outdir.mkdir(parents=True, exist_ok=True)
    record = outdir / RECORD_NAME
    earlier = load_record(record)
    result = BatchResult(Path(briefs), record)
    pending: list[tuple[BriefRow, RowOutcome]] = []
    skipped: set[str] = set()
    for row in rows:
        before = earlier.get(row.id)
        if before is not None and _is_done(before, row):
            skipped.add(row.id)
            output, duration = before.get("output"), before.get("duration")
            result.rows.append(
                RowOutcome(row.id, row.line, "done", row.fingerprint, output, duration)
            )
        else:
            outcome = RowOutcome(row.id, row.line, "pending", row.fingerprint)
            result.rows.append(outcome)
            pending.append((row, outcome))
    with progress.stage("batch", total=len(rows)) as stage:
        stage.update(len(skipped), len(rows))
        for done, (row, outcome) in enumerate(pending, start=len(skipped) + 1):
            outcome.status = "running"
            write_record(result)
            _run_row(row, outcome, Path(briefs).parent, outdir, pipeline, options, progress)
            write_record(result)
            stage.update(done, len(rows), row.id)
    write_record(result)
    for outcome in result.rows:
        if outcome.id in skipped:
            outcome.status = "skipped"  # in this run's summary; the record keeps "done"
    return result


def _run_row(
    row: BriefRow,
    outcome: RowOutcome,
    base: Path,
    outdir: Path,
    pipeline: Pipeline,
    options: BatchOptions,
    progress: Reporter,
) -> None:
    from autocut_core.editing.timeline import total_duration

    output = outdir / f"{row.id}.mp4"
    try:
        request = request_for(row, base, output, options, Prefixed(progress, f"{row.id}: "))
        made: EditResult = pipeline.run(request)
    except Exception as error:  # one bad row must not stop the others; interrupts still do
        outcome.status = "failed"
        outcome.error = _message(error)
        return
    outcome.status = "done"
    video = made.video or made.side_outputs.get("plan")
    outcome.output = str(video) if video else None
    outcome.duration = round(total_duration(made.plan), 3)


def _message(error: Exception) -> str:
    """An AutoCut error's message as it is (it is written for the user); others typed."""
    if isinstance(error, AutocutError):
        return str(error)
    return f"{type(error).__name__}: {error}"
