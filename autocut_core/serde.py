"""JSON round-trip and validation for the dataclasses in :mod:`autocut_core.types`.

Dumping is a plain recursive walk; loading goes through pydantic so that a malformed file gets
an error naming the file, the field and what was expected. pydantic is imported on first use.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_write_text

T = TypeVar("T")


def to_data(value: Any) -> Any:
    """Turn dataclasses, tuples and paths into JSON-ready dicts, lists and strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [to_data(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_data(item) for key, item in value.items()}
    if isinstance(value, Path):
        return str(value)
    return value


@cache
def _adapter(cls: type) -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(cls)


def from_data(cls: type[T], data: Any, source: str = "<data>") -> T:
    """Validate ``data`` as ``cls``; raise :class:`InputError` naming ``source`` and each field."""
    from pydantic import ValidationError

    try:
        schema: type = cls  # a class is hashable (type[T] is not, to the checker)
        return _adapter(schema).validate_python(data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, source, cls.__name__)) from None


def describe_validation_error(error: Any, source: str, what: str) -> str:
    """One line per problem: ``source: field 'a.b': expected ..., got ...``."""
    lines = [f"{source}: invalid {what} ({error.error_count()} problem(s))"]
    for problem in error.errors():
        location = ".".join(str(part) for part in problem["loc"]) or "(top level)"
        received = problem.get("input")
        if problem["type"] == "missing":
            detail = "required field is missing"
        elif problem["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            detail = "unknown field (check the spelling)"
        else:
            detail = f"{problem['msg'].lower()}, got {_short_repr(received)}"
        lines.append(f"  field '{location}': {detail}")
    return "\n".join(lines)


def _short_repr(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dumps(value: Any) -> str:
    return json.dumps(to_data(value), ensure_ascii=False, indent=2) + "\n"


def parse_json(text: str, source: str = "<json>") -> Any:
    """``json.loads`` whose error names the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{source}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None


def loads(cls: type[T], text: str, source: str = "<json>") -> T:
    return from_data(cls, parse_json(text, source), source)


def save_json(value: Any, path: Path) -> None:
    """Write ``value`` as JSON atomically."""
    atomic_write_text(Path(path), dumps(value))


def load_json(cls: type[T], path: Path) -> T:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not UTF-8 text (byte {error.start})") from None
    return loads(cls, text, str(path))
