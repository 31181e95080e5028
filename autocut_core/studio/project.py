"""A studio project on disk: its inputs, and where every file it makes goes.

A project is one folder under the studio's workspace::

    <id>/project.json        inputs: product facts, script, footage and music folders, choices
    <id>/uploads/            footage, music and scripts uploaded through the browser
    <id>/db/                 the material database (``autocut index``'s)
    <id>/run/                the pipeline's dry run: voice lines, its plan
    <id>/alternatives.json   the backbone's ranked alternatives per slot, the ranked music
    <id>/versions/           every saved plan version (:mod:`autocut_core.studio.versions`)
    <id>/renders/v0003/      ad.mp4 and its side outputs, one folder per rendered version
    <id>/thumbs/             one JPEG per clip shown on the storyboard

Everything is written atomically, so a server killed at any moment leaves either the old
file or the new one.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from autocut_core import serde
from autocut_core.fsutil import atomic_write_text
from autocut_core.studio.errors import NotFound, StudioError
from autocut_core.types import Product, Script

PROJECT_FILE = "project.json"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

Pipeline = Literal["script-driven", "footage-driven"]
Aspect = Literal["9:16", "16:9", "1:1"]


class RenderChoices(BaseModel):
    """The look the page offers: aspect, size, subtitles, encoder speed."""

    model_config = ConfigDict(extra="forbid")

    aspect: Aspect = "9:16"
    #: Pixels of the longer side (1920 for a 1080x1920 short; tests use tiny frames).
    long_side: int = Field(1920, ge=64, le=3840)
    fps: float = Field(30.0, gt=0, le=60)
    subtitles: bool = True
    subtitle_position: Literal["bottom", "middle", "top"] = "bottom"
    subtitle_size: int = Field(0, ge=0, le=400)
    subtitle_color: str = Field("#FFFFFF", pattern=r"^#[0-9A-Fa-f]{6}$")
    preset: str = Field("veryfast", pattern=r"^[a-z]+$")
    crf: int = Field(22, ge=0, le=51)


class ProjectSpec(BaseModel):
    """What ``project.json`` holds: the inputs of the ad and the choices made for it."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    product: dict[str, Any]
    script: list[str] = []
    footage: list[str] = []
    music: list[str] = []
    pipeline: Pipeline = "script-driven"
    backbone: str = Field("similarity", pattern=r"^[A-Za-z0-9_.-]+$")
    #: How many alternatives each slot offers (the backbone's top-k).
    alternatives: int = Field(5, ge=0, le=20)
    render: RenderChoices = RenderChoices()
    created: float = Field(default_factory=time.time)

    @field_validator("product")
    @classmethod
    def _product(cls, value: dict[str, Any]) -> dict[str, Any]:
        serde.from_data(Product, value, "product")  # the error names the field
        return value

    @field_validator("script")
    @classmethod
    def _script(cls, value: list[str]) -> list[str]:
        return [line.strip() for line in value if line.strip()]

    def product_facts(self) -> Product:
        return serde.from_data(Product, self.product, "product")

    def script_lines(self) -> Script | None:
        return Script(sentences=tuple(self.script)) if self.script else None


class Project:
    """One project folder; the paths of everything in it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.id = folder.name

    @property
    def spec_file(self) -> Path:
        return self.folder / PROJECT_FILE

    @property
    def db(self) -> Path:
        return self.folder / "db"

    @property
    def uploads(self) -> Path:
        return self.folder / "uploads"

    @property
    def run_video(self) -> Path:
        """The output path of the dry run: its voice lines go to ``run/ad.assets``."""
        return self.folder / "run" / "ad.mp4"

    @property
    def alternatives_file(self) -> Path:
        return self.folder / "alternatives.json"

    @property
    def versions(self) -> Path:
        return self.folder / "versions"

    @property
    def thumbs(self) -> Path:
        return self.folder / "thumbs"

    def render_folder(self, version: int) -> Path:
        return self.folder / "renders" / f"v{version:04d}"

    def spec(self) -> ProjectSpec:
        if not self.spec_file.is_file():
            raise NotFound(f"project {self.id!r}: {self.spec_file} is missing")
        text = self.spec_file.read_text(encoding="utf-8")
        try:
            return ProjectSpec.model_validate_json(text)
        except ValueError as error:
            raise StudioError(f"{self.spec_file}: not a valid project file: {error}") from error

    def save(self, spec: ProjectSpec) -> None:
        atomic_write_text(self.spec_file, spec.model_dump_json(indent=2) + "\n")

    def media_folders(self, spec: ProjectSpec | None = None) -> list[Path]:
        """The folders and files this project may read media from: its own uploads and the
        footage and music it names."""
        spec = spec or self.spec()
        return [self.uploads, *(Path(p) for p in spec.footage + spec.music)]


class Workspace:
    """The folder of projects the studio serves (``autocut studio --project DIR``)."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def projects(self) -> list[Project]:
        found = [Project(p) for p in sorted(self.root.iterdir()) if (p / PROJECT_FILE).is_file()]
        return sorted(found, key=lambda project: project.spec_file.stat().st_mtime)

    def get(self, project_id: str) -> Project:
        if not _ID.match(project_id):
            raise NotFound(f"no project {project_id!r}")
        project = Project(self.root / project_id)
        if not project.spec_file.is_file():
            raise NotFound(f"no project {project_id!r} in {self.root}")
        return project

    def create(self, spec: ProjectSpec) -> Project:
        """A new project folder named after ``spec.name`` (plus a random suffix)."""
        slug = re.sub(r"[^a-z0-9]+", "-", spec.name.lower()).strip("-")[:40] or "project"
        project = Project(self.root / f"{slug}-{secrets.token_hex(3)}")
        project.folder.mkdir(parents=True)
        for sub in ("footage", "music", "script"):
            (project.uploads / sub).mkdir(parents=True)
        project.save(spec)
        return project
