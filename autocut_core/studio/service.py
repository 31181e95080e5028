"""What the API does, apart from HTTP: the studio's operations on its workspace.

:mod:`autocut_core.studio.app` maps routes onto these methods and nothing else, so scripts and
tests can drive a studio in-process too. Long work goes to the project's job worker
(:mod:`autocut_core.studio.jobs`); edits are quick and answer with the new storyboard.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from autocut_core import serde
from autocut_core.components import Backbone
from autocut_core.fsutil import atomic_path, atomic_write_bytes, atomic_write_text
from autocut_core.settings import AutocutSettings
from autocut_core.studio import security
from autocut_core.studio.choices import RunChoices
from autocut_core.studio.edits import Edit, Look, apply
from autocut_core.studio.errors import Conflict, Forbidden, NotFound, StudioError
from autocut_core.studio.events import EventReporter
from autocut_core.studio.jobs import Job, JobRunner
from autocut_core.studio.making import index_project, project_settings, run_project
from autocut_core.studio.project import Project, ProjectSpec, Workspace
from autocut_core.studio.versions import PlanHistory, Version

RENDER_RECORD = "render.json"
INDEX_RECORD = "index.json"


class Studio:
    """A workspace of projects, the settings every run starts from, the job runner."""

    def __init__(
        self,
        workspace: Path,
        settings: AutocutSettings,
        media_roots: list[Path] | None = None,
        max_upload_bytes: int = 512 << 20,
    ):
        self.workspace = Workspace(workspace)
        self.settings = settings
        #: Server folders a project may name as footage or music (besides its uploads).
        self.media_roots = [root.resolve() for root in (media_roots or [])]
        self.max_upload_bytes = max_upload_bytes
        self.jobs = JobRunner()
        self._durations: dict[str, float] = {}
        #: One backbone per project and backbone settings: a second run (or a run after an
        #: edit of the script) reuses its loaded models and caches. A project's jobs run one
        #: at a time, so no backbone is used by two threads at once.
        self._backbones: dict[tuple[str, str], Backbone] = {}

    # -- projects ----------------------------------------------------------------------------

    def list_projects(self) -> list[dict[str, Any]]:
        return [self.project_info(project) for project in self.workspace.projects()]

    def project_info(self, project: Project) -> dict[str, Any]:
        spec = project.spec()
        history = PlanHistory(project.versions)
        index_file = project.folder / INDEX_RECORD
        return {
            "id": project.id,
            "spec": spec.model_dump(mode="json"),
            "index": json.loads(index_file.read_text("utf-8")) if index_file.is_file() else None,
            "head": history.head(),
            "jobs": [job.to_dict() for job in self.jobs.of(project.id)],
        }

    def create_project(self, spec: ProjectSpec, allowed: list[Path] | None = None) -> Project:
        """A new project; server paths it names must lie under the studio's media folders
        (``allowed`` adds folders the studio itself chose, such as the bundled example's)."""
        roots = self.media_roots + [root.resolve() for root in allowed or []]
        named = []
        for path in spec.footage + spec.music:
            if not roots:
                raise Forbidden(
                    f"{path}: this studio names no media folders (start it with --media DIR) "
                    "- upload the files instead"
                )
            resolved = security.inside(path, roots)
            if not resolved.exists():
                raise StudioError(f"{path}: no such file or folder")
            named.append(str(resolved))
        spec = spec.model_copy(update={
            "footage": named[: len(spec.footage)], "music": named[len(spec.footage) :],
        })  # fmt: skip
        return self.workspace.create(spec)

    def update_spec(self, project: Project, changes: dict[str, Any]) -> ProjectSpec:
        """Change a project's script, product facts, pipeline, backbone or look (not its
        media folders: those were checked when it was made)."""
        allowed = {"name", "product", "script", "pipeline", "backbone", "alternatives", "render"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise StudioError(f"cannot change {', '.join(unknown)} of a project")
        data = {**project.spec().model_dump(mode="json"), **changes}
        spec = ProjectSpec.model_validate(data)
        project.save(spec)
        return spec

    # -- uploads -----------------------------------------------------------------------------

    def upload(self, project: Project, kind: str, filename: str | None, body: BinaryIO) -> str:
        """Store one uploaded file under ``uploads/<kind>/``, size-limited while it streams."""
        name = security.upload_name(kind, filename)
        target = project.uploads / kind / name
        limit = security.MAX_SCRIPT_BYTES if kind == "script" else self.max_upload_bytes
        with atomic_path(target) as partial:
            written = 0
            with partial.open("wb") as out:
                while chunk := body.read(1 << 20):
                    written += len(chunk)
                    if written > limit:
                        raise StudioError(
                            f"upload {name}: larger than the limit of {limit / (1 << 20):g} MiB",
                            413,
                        )
                    out.write(chunk)
            security.check_upload_content(kind, partial)
        spec = project.spec()
        if kind == "script":
            from autocut_core.inputs import parse_script_text

            lines = parse_script_text(target.read_text("utf-8"))
            project.save(spec.model_copy(update={"script": lines}))
        else:
            folder = str((project.uploads / kind).resolve())
            field = "footage" if kind == "footage" else "music"
            if folder not in getattr(spec, field):
                project.save(spec.model_copy(update={field: [*getattr(spec, field), folder]}))
        return name

    # -- jobs --------------------------------------------------------------------------------

    def start_example(self, footage_size: tuple[int, int] | None = None) -> Project:
        """The bundled example as a new project: its footage is made, then indexed, in the
        background (a job), so the page shows progress from the first second."""
        from autocut_core.studio.example import FOOTAGE_SIZE, example_spec, make_example_footage

        spec, allowed = example_spec()
        project = self.create_project(spec, allowed)

        def work(progress: EventReporter) -> None:
            with progress.stage("make the example's footage"):
                make_example_footage(project, footage_size or FOOTAGE_SIZE)

        self.jobs.submit(project.id, "footage", work)
        self.start_index(project)
        return project

    def start_index(self, project: Project) -> Job:
        def work(progress: EventReporter) -> dict[str, Any]:
            spec = project.spec()
            settings = project_settings(self.settings, project, spec)
            report = index_project(project, spec, settings, progress)
            atomic_write_text(project.folder / INDEX_RECORD, json.dumps(report, indent=2))
            return report

        return self.jobs.submit(project.id, "index", work)

    def start_run(self, project: Project) -> Job:
        def work(progress: EventReporter) -> dict[str, Any]:
            spec = project.spec()
            if spec.pipeline == "script-driven" and not spec.script:
                raise StudioError("the script-driven pipeline needs a script: paste or upload one")
            settings = project_settings(self.settings, project, spec)
            version = run_project(
                project, spec, settings, progress, self._backbone(project, settings)
            )
            return {"version": version.number}

        return self.jobs.submit(project.id, "run", work)

    def _backbone(self, project: Project, settings: AutocutSettings) -> Backbone:
        name = settings.backbone or ""
        key = (project.id, json.dumps([name, settings.options_for("backbone", name)],
                                      sort_keys=True, default=str))  # fmt: skip
        if key not in self._backbones:
            # A project keeps only the backbone of its latest settings.
            for old in [k for k in self._backbones if k[0] == project.id]:
                del self._backbones[old]
            self._backbones[key] = settings.create("backbone")
        return self._backbones[key]

    def start_render(self, project: Project, number: int | None = None) -> Job:
        history = PlanHistory(project.versions)
        version = history.load(number) if number is not None else history.current()

        def work(progress: EventReporter) -> dict[str, Any]:
            return self._render(project, history, version, progress)

        return self.jobs.submit(project.id, "render", work)

    def _render(
        self, project: Project, history: PlanHistory, version: Version, progress: EventReporter
    ) -> dict[str, Any]:
        from autocut_core.output.otio import export_timeline
        from autocut_core.pipelines.rerender import render_edited

        spec = project.spec()
        settings = project_settings(self.settings, project, spec)
        folder = project.render_folder(version.number)
        result = render_edited(version.plan, folder / "ad.mp4", settings, progress=progress)
        files = {"video": result.video, **result.side_outputs}
        notes = list(result.notes)
        otio = files.get("otio")
        if otio is not None:
            for fmt in ("edl", "fcpxml"):
                try:
                    files[fmt] = export_timeline(Path(otio), fmt)
                except Exception as error:  # the MP4 is made: say what is missing, go on
                    notes.append(f"no {fmt.upper()}: {error}")
        record = {
            "version": version.number,
            "files": {key: Path(path).relative_to(project.folder).as_posix()
                      for key, path in files.items() if path is not None},
            "notes": notes,
        }  # fmt: skip
        atomic_write_text(folder / RENDER_RECORD, json.dumps(record, indent=2) + "\n")
        if serde.to_data(result.plan) != serde.to_data(version.plan):
            # re-voiced and refitted: the next edit builds on what was rendered
            note = f"voiced for render of v{version.number}"
            saved = history.save_if_current(version.number, result.plan, version.keys, note)
            if saved is not None:
                record["saved_version"] = saved.number
        return record

    def renders(self, project: Project) -> list[dict[str, Any]]:
        folder = project.folder / "renders"
        if not folder.is_dir():
            return []
        found = []
        for record in sorted(folder.glob(f"v*/{RENDER_RECORD}")):
            data = json.loads(record.read_text("utf-8"))
            data["urls"] = {
                key: self.file_url(project, path) for key, path in data["files"].items()
            }
            found.append(data)
        return found

    # -- plan versions and edits -------------------------------------------------------------

    def edit(self, project: Project, edit: Edit) -> Version:
        history = PlanHistory(project.versions)
        current = history.current()
        choices = RunChoices.load(project.alternatives_file)
        plan, keys, note = apply(
            current.plan, current.keys, edit, choices, self._sources(current, choices)
        )
        if isinstance(edit, Look):
            project.save(project.spec().model_copy(update={"render": edit.render}))
        return history.save(plan, keys, note)

    def _sources(self, version: Version, choices: RunChoices) -> dict[str, float]:
        """Seconds of every source the plan and its alternatives use (probed once each)."""
        from autocut_core.media import probe

        paths = [slot.source_path for slot in version.plan.slots]
        paths += [alt.source_path for alts in choices.slots.values() for alt in alts]
        for path in paths:
            if path not in self._durations:
                self._durations[path] = probe(path).duration
        return self._durations

    # -- files -------------------------------------------------------------------------------

    def file_url(self, project: Project, relative: str) -> str:
        return f"/api/projects/{project.id}/files/{relative}"

    def project_file(self, project: Project, relative: str) -> Path:
        path = security.child(project.folder, relative)
        if not path.is_file():
            raise NotFound(f"{relative}: no such file in project {project.id}")
        return path

    def thumbnail(self, project: Project, source: str, at: float) -> Path:
        """A JPEG of ``source`` at ``at`` seconds, for a file under the project's media."""
        from autocut_core.media.frame_grab import frame_jpeg

        path = security.inside(source, [project.folder, *project.media_folders()])
        key = hashlib.sha256(f"{path}|{at:.3f}".encode()).hexdigest()[:24]
        target = project.thumbs / f"{key}.jpg"
        if not target.is_file():
            if not path.is_file():
                raise NotFound(f"{source}: no such file")
            atomic_write_bytes(target, frame_jpeg(path, at, max_side=320))
        return target

    def delete_project(self, project: Project) -> None:
        if any(job.state in {"queued", "running"} for job in self.jobs.of(project.id)):
            raise Conflict(f"project {project.id} has work under way")
        for key in [k for k in self._backbones if k[0] == project.id]:
            del self._backbones[key]
        shutil.rmtree(project.folder)
