"""What a run offers the page besides its plan: each slot's ranked alternatives, the ranked
music, and the run's notes and warnings (``alternatives.json`` in the project).

Written once per run by :mod:`autocut_core.studio.making`; read by the storyboard and by the
swap and music edits, which accept only what the backbone offered.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from autocut_core.fsutil import atomic_write_text
from autocut_core.studio.errors import NotFound, StudioError


class Alternative(BaseModel):
    """One clip the backbone ranked for a slot's sentence (rank 1 is its first choice)."""

    model_config = ConfigDict(extra="forbid")

    rank: int
    source_id: str
    clip_id: str
    source_path: str
    start: float
    end: float
    caption: str = ""
    score: float | None = None


class MusicOption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    track_id: str
    path: str
    title: str = ""
    duration: float = 0.0
    score: float | None = None


class RunChoices(BaseModel):
    """``slots`` maps a slot key (see :mod:`autocut_core.studio.versions`) to its
    alternatives, best first; ``captions`` maps every offered clip id to what it shows."""

    model_config = ConfigDict(extra="forbid")

    backbone: str
    pipeline: str
    slots: dict[str, list[Alternative]] = {}
    #: The sentence each slot's alternatives were ranked for (a reworded slot's swap is
    #: shown unscored: the ranking was for another sentence).
    sentences: dict[str, str] = {}
    captions: dict[str, str] = {}
    music: list[MusicOption] = []
    music_ranked: bool = False
    notes: list[str] = []
    warnings: list[str] = []

    def save(self, path: Path) -> None:
        atomic_write_text(path, self.model_dump_json(indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> RunChoices:
        if not path.is_file():
            raise NotFound("no run yet: run a pipeline first")
        try:
            return cls.model_validate_json(path.read_text("utf-8"))
        except ValueError as error:
            raise StudioError(f"{path}: unreadable ({error})") from error
