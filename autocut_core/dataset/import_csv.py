"""The ``csv`` layout: one row per clip, the ad's facts repeated (or given once) on its rows.

Columns (a header row names them; order is free, unknown columns are refused so that a typo
is not read as an empty field):

- ``ad_id``, ``clip_id``, ``caption`` (required);
- the gold: ``order`` (1-based place in the ad's playing order, empty for a distractor)
  and/or ``selected`` (1/0, true/false, yes/no);
- ``sentence``: the script line spoken over a selected clip (the script is the selected
  clips' sentences in playing order);
- optional ``start``, ``end`` (seconds), ``source`` (the footage file), ``clip_ad``
  (the ad a distractor comes from), ``lang``, and the product: ``product``, ``brand``,
  ``category``, ``selling_points`` (separated by ``;`` or ``；``), ``description``.

A bad row refuses its whole ad (a half ad would score wrongly), with the row's line and the
column named. Rows of one ad that give different product facts are refused the same way.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autocut_core.dataset.import_rows import Refusal, validated
from autocut_core.editing.caption_ads import CaptionAd

REQUIRED = ("ad_id", "clip_id", "caption")
OPTIONAL = ("order", "selected", "sentence", "start", "end", "source", "clip_ad", "lang",
            "product", "brand", "category", "selling_points", "description")  # fmt: skip
AD_FIELDS = ("lang", "product", "brand", "category", "selling_points", "description")
_TRUE, _FALSE = {"1", "true", "yes", "y"}, {"0", "false", "no", "n", ""}


class _RowError(ValueError):
    def __init__(self, column: str, problem: str):
        super().__init__(f"column '{column}': {problem}")


def read(source: Path) -> Iterator[CaptionAd | Refusal]:
    """Every ad of the CSV file ``source``, in order of its first row."""
    try:
        handle = open(source, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except IsADirectoryError:
        yield Refusal(str(source), "is a folder; the csv layout reads one .csv file")
        return
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [name for name in REQUIRED if name not in header]
            unknown = [name for name in header if name not in REQUIRED + OPTIONAL]
            if missing or unknown or not ({"order", "selected"} & set(header)):
                yield Refusal(f"{source}:1", _header_problem(missing, unknown))
                return
            ads: dict[str, list[tuple[int, dict[str, str]]]] = {}
            for row in reader:
                line = reader.line_num
                if None in row:  # more cells than the header has
                    yield Refusal(f"{source}:{line}", "more cells than the header has columns")
                    continue
                values = {key: (value or "").strip() for key, value in row.items()}
                ads.setdefault(values["ad_id"], []).append((line, values))
        except UnicodeDecodeError as error:
            yield Refusal(str(source), f"not UTF-8 text ({error.reason})")
            return
        except csv.Error as error:
            yield Refusal(f"{source}:{reader.line_num}", f"not valid CSV ({error})")
            return
    for ad_id, rows in ads.items():
        yield _ad(source, ad_id, rows)


def _header_problem(missing: list[str], unknown: list[str]) -> str:
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)} (known: "
                        f"{', '.join(REQUIRED + OPTIONAL)})")  # fmt: skip
    if not problems:
        problems.append("no gold column: give 'order' and/or 'selected'")
    return "; ".join(problems)


def _ad(source: Path, ad_id: str, rows: list[tuple[int, dict[str, str]]]) -> CaptionAd | Refusal:
    first = rows[0][0]
    if not ad_id:
        return Refusal(f"{source}:{first}", "column 'ad_id': empty")
    facts: dict[str, tuple[int, str]] = {}
    clips: list[dict[str, Any]] = []
    placed: list[tuple[int, int, str]] = []  # (order, position, sentence)
    chosen: list[tuple[int, str]] = []  # (position, sentence) of rows selected without order
    for position, (line, row) in enumerate(rows):
        try:
            for name in AD_FIELDS:
                value = row.get(name, "")
                if value and name in facts and facts[name][1] != value:
                    raise _RowError(name, f"{value!r} differs from {facts[name][1]!r} on line "
                                          f"{facts[name][0]} (one value per ad)")  # fmt: skip
                if value:
                    facts.setdefault(name, (line, value))
            clips.append(_clip(row))
            order, selected = _gold(row)
            sentence = row.get("sentence", "")
            if (order is not None or selected) and not sentence:
                raise _RowError("sentence", "empty for a clip of the ad (its script line)")
            if order is not None:
                placed.append((order, position, sentence))
            elif selected:
                chosen.append((position, sentence))
        except _RowError as error:
            return Refusal(f"{source}:{line}", f"ad {ad_id!r}: {error}")
    if placed and chosen:
        line = rows[chosen[0][0]][0]
        return Refusal(f"{source}:{line}", f"ad {ad_id!r}: column 'order': empty for a selected "
                                           "clip while other clips of the ad have one")  # fmt: skip
    places = sorted(order for order, _, _ in placed)
    if places and places != list(range(1, len(places) + 1)):
        return Refusal(f"{source}:{first}", f"ad {ad_id!r}: column 'order': the places "
                                            f"{places} are not 1..{len(places)}")  # fmt: skip
    in_order = [(position, sentence) for _, position, sentence in sorted(placed)] or chosen
    given = {name: facts[name][1] for name in facts}
    data: dict[str, Any] = {
        "ad_id": ad_id,
        "product": {
            "name": given.get("product", ""),
            "brand": given.get("brand", ""),
            "category": given.get("category", ""),
            "selling_points": [
                p.strip()
                for p in given.get("selling_points", "").replace("；", ";").split(";")
                if p.strip()
            ],
            "description": given.get("description", ""),
        },
        "script": [sentence for _, sentence in in_order],
        "clips": clips,
        "gold": (
            {"order": [position for position, _ in in_order]}
            if placed
            else {"selected": [position for position, _ in in_order]}
        ),
    }
    if "lang" in given:
        data["lang"] = given["lang"]
    return validated(data, f"{source}:{first}")


def _clip(row: dict[str, str]) -> dict[str, Any]:
    clip: dict[str, Any] = {"clip_id": row["clip_id"], "caption": row["caption"]}
    if not row["clip_id"]:
        raise _RowError("clip_id", "empty")
    for name in ("start", "end"):
        if row.get(name, ""):
            try:
                clip[name] = float(row[name])
            except ValueError:
                raise _RowError(name, f"{row[name]!r} is not a number of seconds") from None
    if ("start" in clip) != ("end" in clip):
        raise _RowError("start" if "start" not in clip else "end", "give start and end, or neither")
    if "start" in clip and not 0 <= clip["start"] < clip["end"]:
        raise _RowError("end", f"{clip['end']} is not after start {clip['start']}")
    if row.get("source", ""):
        clip["source"] = row["source"]
    if row.get("clip_ad", ""):
        clip["ad_id"] = row["clip_ad"]
    return clip


def _gold(row: dict[str, str]) -> tuple[int | None, bool]:
    order: int | None = None
    if row.get("order", ""):
        try:
            order = int(row["order"])
        except ValueError:
            raise _RowError("order", f"{row['order']!r} is not a whole number") from None
        if order < 1:
            raise _RowError("order", f"{order} is not a place (1 is the first clip)")
    flag = row.get("selected", "").lower()
    if flag not in _TRUE | _FALSE:
        raise _RowError("selected", f"{row['selected']!r} is not 1/0, true/false or yes/no")
    selected = flag in _TRUE
    if "selected" in row and row["selected"] != "" and order is not None and not selected:
        raise _RowError("selected", "0 for a clip that has a place in the order")
    return order, selected or order is not None
