"""Plan versions: every edit is saved as a new numbered version; undo, redo and history.

Versions are never rewritten: ``v0007.json`` holds the plan after the seventh save, the
version it was made from (``parent``), what changed (``note``) and the slot keys (which
slot of the first run each card descends from, so its alternatives follow it when cards are
moved). ``head.json`` says which version is current; undo moves it to the parent, redo to
the newest version made from the current one, and a new edit after an undo branches from
where the head is, keeping the undone versions in the history.

Each version file is written atomically *before* the head moves to it, so a server killed at
any moment loses no saved plan: at worst the head still names the version before. A head
file that is missing or unreadable falls back to the newest version.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocut_core import serde
from autocut_core.fsutil import atomic_write_text
from autocut_core.studio.errors import Conflict, NotFound, StudioError
from autocut_core.types import EditPlan

_VERSION_FILE = re.compile(r"^v(\d{4,})\.json$")
#: One lock per versions folder, shared by every PlanHistory of it: each request makes its
#: own PlanHistory, and two edits at once must not both take the next number.
_LOCKS: dict[Path, threading.RLock] = {}
_LOCKS_LOCK = threading.Lock()


def _lock_for(folder: Path) -> threading.RLock:
    with _LOCKS_LOCK:
        return _LOCKS.setdefault(folder.resolve(), threading.RLock())


@dataclass(frozen=True)
class Version:
    number: int
    parent: int | None
    note: str
    created: float
    plan: EditPlan
    keys: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        return {"number": self.number, "parent": self.parent, "note": self.note,
                "created": self.created}  # fmt: skip


class PlanHistory:
    """The versions of one project's plan, in ``folder``. Safe to share between threads."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = _lock_for(folder)

    def _file(self, number: int) -> Path:
        return self.folder / f"v{number:04d}.json"

    def numbers(self) -> list[int]:
        if not self.folder.is_dir():
            return []
        found = (_VERSION_FILE.match(path.name) for path in self.folder.iterdir())
        return sorted(int(match.group(1)) for match in found if match)

    def head(self) -> int | None:
        with self._lock:
            numbers = self.numbers()
            if not numbers:
                return None
            try:
                head = int(json.loads((self.folder / "head.json").read_text("utf-8"))["head"])
            except (OSError, ValueError, KeyError, TypeError):
                return numbers[-1]
            return head if head in numbers else numbers[-1]

    def load(self, number: int) -> Version:
        path = self._file(number)
        if not path.is_file():
            raise NotFound(f"no plan version {number}")
        data = serde.parse_json(path.read_text("utf-8"), str(path))
        try:
            return Version(
                number=int(data["number"]),
                parent=data["parent"],
                note=str(data["note"]),
                created=float(data["created"]),
                plan=serde.from_data(EditPlan, data["plan"], str(path)),
                keys=tuple(data["keys"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise StudioError(f"{path}: not a plan version ({error})") from error

    def current(self) -> Version:
        head = self.head()
        if head is None:
            raise NotFound("no plan yet: run a pipeline first")
        return self.load(head)

    def save_if_current(
        self, expected: int, plan: EditPlan, keys: tuple[str, ...], note: str
    ) -> Version | None:
        """:meth:`save`, if version ``expected`` is still current; else None (someone edited
        or undid meanwhile, and their version stays current)."""
        with self._lock:
            return self.save(plan, keys, note) if self.head() == expected else None

    def save(self, plan: EditPlan, keys: tuple[str, ...], note: str) -> Version:
        """A new version made from the current one; it becomes current."""
        if len(keys) != len(plan.slots):
            raise StudioError(f"{len(keys)} slot keys for {len(plan.slots)} slots")
        with self._lock:
            numbers = self.numbers()
            version = Version(
                number=(numbers[-1] + 1) if numbers else 1,
                parent=self.head(),
                note=note,
                created=time.time(),
                plan=plan,
                keys=keys,
            )
            data = {**version.summary(), "keys": list(keys), "plan": serde.to_data(plan)}
            text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
            atomic_write_text(self._file(version.number), text)
            self._move_head(version.number)
            return version

    def _move_head(self, number: int) -> None:
        atomic_write_text(self.folder / "head.json", json.dumps({"head": number}) + "\n")

    def undo(self) -> Version:
        with self._lock:
            current = self.current()
            if current.parent is None:
                raise Conflict("nothing to undo: this is the first version")
            self._move_head(current.parent)
            return self.load(current.parent)

    def redo(self) -> Version:
        with self._lock:
            head = self.head()
            children = [n for n in self.numbers() if self.load(n).parent == head]
            if not children:
                raise Conflict("nothing to redo")
            self._move_head(children[-1])
            return self.load(children[-1])

    def checkout(self, number: int) -> Version:
        """Make an older (or undone) version current again, as it was."""
        with self._lock:
            version = self.load(number)
            self._move_head(number)
            return version

    def history(self) -> dict[str, Any]:
        with self._lock:
            head = self.head()
            versions = [self.load(n) for n in self.numbers()]
            has_child = {v.parent for v in versions}
            return {
                "head": head,
                "can_undo": any(v.number == head and v.parent is not None for v in versions),
                "can_redo": head in has_child,
                "versions": [v.summary() for v in versions],
            }
