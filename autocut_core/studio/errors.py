"""The studio's errors: each carries the HTTP status the API answers with."""

from __future__ import annotations

from autocut_core.errors import AutocutError


class StudioError(AutocutError):
    """A request the studio refuses; ``status`` is the HTTP status of the answer."""

    status = 400

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        if status is not None:
            self.status = status


class NotFound(StudioError):
    status = 404


class Forbidden(StudioError):
    status = 403


class Conflict(StudioError):
    status = 409
