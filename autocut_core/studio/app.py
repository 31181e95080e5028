"""The studio's ASGI app (FastAPI): the storyboard page, its static files and the JSON API.

Every route is a thin call into :class:`~autocut_core.studio.service.Studio`; the OpenAPI
description is served at ``/openapi.json`` (FastAPI's own docs pages load scripts from a
CDN, so they are off: the studio works offline), so scripts can call exactly what the page
calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict

from autocut_core.errors import AutocutError
from autocut_core.studio import security, storyboard
from autocut_core.studio.choices import RunChoices
from autocut_core.studio.edits import ASPECTS, Edit
from autocut_core.studio.errors import NotFound
from autocut_core.studio.events import sse_stream
from autocut_core.studio.project import ProjectSpec
from autocut_core.studio.service import Studio
from autocut_core.studio.versions import PlanHistory

STATIC = Path(__file__).with_name("static")
#: Files the page is made of; nothing else is served from the package.
PAGE_FILES = {"app.js": "text/javascript", "style.css": "text/css"}


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = None


def create_app(studio: Studio, token: str | None = None) -> FastAPI:
    """The app serving ``studio``; with ``token``, every request must carry it."""
    app = FastAPI(
        title="AutoCut Studio",
        version="1",
        description="Make and review an ad: projects, runs, storyboard edits, renders.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.studio = studio

    @app.exception_handler(AutocutError)
    async def _refused(_request: Request, error: AutocutError) -> JSONResponse:
        status = getattr(error, "status", 400)
        return JSONResponse({"error": str(error)}, status_code=status)

    if token is not None:

        @app.middleware("http")
        async def _require_token(request: Request, call_next: Any) -> Response:
            offered = [
                request.headers.get(security.TOKEN_HEADER),
                request.cookies.get(security.TOKEN_COOKIE),
                request.query_params.get("token"),
            ]
            authorization = request.headers.get("authorization", "")
            if authorization.lower().startswith("bearer "):
                offered.append(authorization[7:])
            if not security.token_matches(token, offered):
                return JSONResponse(
                    {"error": "this studio needs its token: open the URL printed at start"},
                    status_code=401,
                )
            response: Response = await call_next(request)
            if request.query_params.get("token"):
                response.set_cookie(security.TOKEN_COOKIE, token, httponly=True,
                                    samesite="strict")  # fmt: skip
            return response

    _page(app)
    _projects(app, studio)
    _plans(app, studio)
    _work(app, studio)
    return app


def _board(studio: Studio, project_id: str) -> dict[str, Any]:
    project = studio.workspace.get(project_id)
    version = PlanHistory(project.versions).current()
    choices = RunChoices.load(project.alternatives_file)
    data = storyboard.build(project, project.spec(), version, choices)
    data["renders"] = studio.renders(project)
    return data


def _page(app: FastAPI) -> None:
    """The storyboard page and its two static files."""

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> FileResponse:
        if name not in PAGE_FILES:
            raise NotFound(f"no page file {name!r}")
        return FileResponse(STATIC / name, media_type=PAGE_FILES[name])


def _projects(app: FastAPI, studio: Studio) -> None:
    """Projects: options, create (from the form or the bundled example), change, uploads."""

    @app.get("/api/options")
    def options() -> dict[str, Any]:
        """Pipelines, backbones and looks this studio offers."""
        from autocut_core.plugins import get_registry

        registry = get_registry()
        return {
            "pipelines": ["script-driven", "footage-driven"],
            "backbones": sorted(registry.names("backbone")),
            "aspects": list(ASPECTS),
            "subtitle_positions": ["bottom", "middle", "top"],
            "media_roots": [str(root) for root in studio.media_roots],
            "example": _example_available(),
        }

    @app.get("/api/projects")
    def projects() -> list[dict[str, Any]]:
        return studio.list_projects()

    @app.post("/api/projects", status_code=201)
    def create(spec: ProjectSpec, index: bool = True) -> dict[str, Any]:
        """A new project from product facts, a script and server media folders; indexing
        starts at once unless ``index=false`` (upload files first, then ``/index``)."""
        project = studio.create_project(spec)
        if index and (spec.footage or spec.music):
            studio.start_index(project)
        return studio.project_info(project)

    @app.post("/api/projects/example", status_code=201)
    def example() -> dict[str, Any]:
        """The bundled example (examples/demo) as a project: footage made, then indexed."""
        return studio.project_info(studio.start_example())

    @app.get("/api/projects/{project_id}")
    def project(project_id: str) -> dict[str, Any]:
        return studio.project_info(studio.workspace.get(project_id))

    @app.patch("/api/projects/{project_id}")
    def update(project_id: str, changes: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
        """Change name, product, script, pipeline, backbone, alternatives or look."""
        project = studio.workspace.get(project_id)
        studio.update_spec(project, changes)
        return studio.project_info(project)

    @app.delete("/api/projects/{project_id}", status_code=204)
    def delete(project_id: str) -> Response:
        studio.delete_project(studio.workspace.get(project_id))
        return Response(status_code=204)

    @app.post("/api/projects/{project_id}/uploads/{kind}", status_code=201)
    def upload(project_id: str, kind: str, file: Annotated[UploadFile, File()]) -> dict[str, Any]:
        """One footage, music or script file (size-limited, type-checked)."""
        project = studio.workspace.get(project_id)
        name = studio.upload(project, kind, file.filename, file.file)
        return {"name": name, "project": studio.project_info(project)}


def _plans(app: FastAPI, studio: Studio) -> None:
    """The storyboard and its edits, undo, redo, history: every edit a new plan version."""

    @app.get("/api/projects/{project_id}/storyboard")
    def board(project_id: str) -> dict[str, Any]:
        return _board(studio, project_id)

    @app.post("/api/projects/{project_id}/edits")
    def edit(project_id: str, change: Annotated[Edit, Body()]) -> dict[str, Any]:
        """One edit (swap, move, sentence, music, look), saved as a new plan version."""
        project = studio.workspace.get(project_id)
        studio.edit(project, change)
        return _board(studio, project_id)

    @app.post("/api/projects/{project_id}/undo")
    def undo(project_id: str) -> dict[str, Any]:
        PlanHistory(studio.workspace.get(project_id).versions).undo()
        return _board(studio, project_id)

    @app.post("/api/projects/{project_id}/redo")
    def redo(project_id: str) -> dict[str, Any]:
        PlanHistory(studio.workspace.get(project_id).versions).redo()
        return _board(studio, project_id)

    @app.get("/api/projects/{project_id}/versions")
    def versions(project_id: str) -> dict[str, Any]:
        return PlanHistory(studio.workspace.get(project_id).versions).history()

    @app.get("/api/projects/{project_id}/versions/{number}/plan")
    def version_plan(project_id: str, number: int) -> dict[str, Any]:
        from autocut_core.serde import to_data

        plan = PlanHistory(studio.workspace.get(project_id).versions).load(number).plan
        return to_data(plan)

    @app.post("/api/projects/{project_id}/versions/{number}/checkout")
    def checkout(project_id: str, number: int) -> dict[str, Any]:
        PlanHistory(studio.workspace.get(project_id).versions).checkout(number)
        return _board(studio, project_id)


def _work(app: FastAPI, studio: Studio) -> None:
    """Long work (index, run, render), its jobs and events, and the files it makes."""

    @app.post("/api/projects/{project_id}/index", status_code=202)
    def index(project_id: str) -> dict[str, Any]:
        return studio.start_index(studio.workspace.get(project_id)).to_dict()

    @app.post("/api/projects/{project_id}/run", status_code=202)
    def run(project_id: str) -> dict[str, Any]:
        """Run the project's pipeline (a dry run: the plan, no video) and rank alternatives."""
        return studio.start_run(studio.workspace.get(project_id)).to_dict()

    @app.post("/api/projects/{project_id}/render", status_code=202)
    def render(project_id: str, body: RenderRequest | None = None) -> dict[str, Any]:
        """Render the current (or a given) version; renders of one project queue."""
        project = studio.workspace.get(project_id)
        return studio.start_render(project, body.version if body else None).to_dict()

    @app.get("/api/projects/{project_id}/renders")
    def renders(project_id: str) -> list[dict[str, Any]]:
        return studio.renders(studio.workspace.get(project_id))

    @app.get("/api/jobs/{job_id}")
    def job(job_id: str) -> dict[str, Any]:
        return studio.jobs.get(job_id).to_dict()

    @app.get("/api/projects/{project_id}/events")
    async def events(project_id: str, request: Request, since: int = 0) -> StreamingResponse:
        """Server-sent events: ``job`` (queued, running, done, failed) and ``stage``
        (start, update, end) of the project's work, from event number ``since`` on."""
        studio.workspace.get(project_id)
        resume = request.headers.get("last-event-id")
        cursor = int(resume) + 1 if resume and resume.isdigit() else since
        stream = sse_stream(studio.jobs.log(project_id), cursor, request.is_disconnected)
        return StreamingResponse(stream, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})  # fmt: skip

    @app.get("/api/projects/{project_id}/files/{relative:path}")
    def files(project_id: str, relative: str, download: bool = False) -> FileResponse:
        """A file under the project folder (renders, plans); nothing outside it."""
        project = studio.workspace.get(project_id)
        path = studio.project_file(project, relative)
        return FileResponse(path, filename=path.name if download else None)

    @app.get("/api/projects/{project_id}/thumb")
    def thumb(
        project_id: str, source: Annotated[str, Query()], at: Annotated[float, Query(ge=0)]
    ) -> FileResponse:
        """A frame of a file under the project's media folders, as JPEG."""
        project = studio.workspace.get(project_id)
        return FileResponse(studio.thumbnail(project, source, at), media_type="image/jpeg")


def _example_available() -> bool:
    from autocut_core.studio.example import example_folder

    return example_folder() is not None
