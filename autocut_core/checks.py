"""A health check result, shared by `autocut doctor` and the components that report on themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """One line of `autocut doctor`: what was checked, how it went, and how to fix it."""

    name: str
    status: Status
    detail: str = ""
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "fail"
