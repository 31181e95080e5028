"""Commands that build and read the material database: `index`, `segment`, `materials`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autocut_core.cli.flags import DbOption, JsonOption, uses_settings
from autocut_core.settings import AutocutSettings

if TYPE_CHECKING:
    from autocut_core.materials.indexing import IndexReport


@uses_settings("encoder", "audio_encoder")
def index_command(
    settings: AutocutSettings,
    footage: Annotated[
        list[Path], typer.Argument(metavar="FOOTAGE...", help="Video files or folders (walked).")
    ],
    music: Annotated[
        list[Path] | None,
        typer.Option("--music", metavar="PATH", help="Music file or folder (repeatable)."),
    ] = None,
    db: DbOption = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", help="Parallel files; 0 = automatic.")
    ] = None,
    engine: Annotated[
        str,
        typer.Option(
            "--engine", help="Where files are analysed: local (this machine) or ray (a cluster)."
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="Ray: 'auto' (this machine's cluster) or ray://HOST:PORT; default a private "
            "local Ray for this run.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Ray: encoder actors; 0 = one per CPU.")
    ] = 0,
    gpus_per_worker: Annotated[
        float, typer.Option("--gpus-per-worker", min=0.0, help="Ray: GPUs each actor asks for.")
    ] = 0.0,
    as_json: JsonOption = False,
) -> None:
    """Decode, cut and embed footage (and music) into the material database.

    Re-running does only new or changed files; a killed run resumes where it stopped.
    """
    from autocut_core.materials.indexing import index, options_from_settings

    runner = _engine(engine, address, workers, gpus_per_worker)
    options = options_from_settings(settings, jobs)
    folder = db or settings.db
    with _progress(enabled=not as_json and sys.stderr.isatty()) as progress:
        report = index(footage, music or [], folder, options, progress, runner=runner)
    engine_facts: dict[str, Any] = {"engine": engine}
    if runner is not None:
        engine_facts.update(workers=runner.workers, from_shards=runner.from_shards)
    if as_json:
        typer.echo(
            json.dumps(
                {"db": str(folder), **engine_facts, **report.to_dict()},
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        _print_report(folder, report)
        if runner is not None:
            typer.echo(
                f"  engine ray: {runner.workers} worker(s), {runner.from_shards} file(s) merged "
                "from an earlier run's shards"
            )
    if report.failed:
        raise typer.Exit(1)


def _engine(engine: str, address: str | None, workers: int, gpus: float) -> Any:
    """The Ray runner for ``--engine ray`` (None for local); Ray options need it."""
    if engine not in ("local", "ray"):
        raise typer.BadParameter(f"unknown engine {engine!r} (local or ray)", param_hint="--engine")
    if engine == "local":
        given = [name for name, value in (("--address", address), ("--workers", workers),
                 ("--gpus-per-worker", gpus)) if value]  # fmt: skip
        if given:
            raise typer.BadParameter(f"{', '.join(given)} need --engine ray", param_hint="--engine")
        return None
    try:
        import ray  # noqa: F401
    except ImportError:
        raise typer.BadParameter(
            "Ray is not installed: pip install 'autocut[ray]'", param_hint="--engine"
        ) from None
    from autocut_core.materials.ray_engine import RayOptions, RayRunner

    return RayRunner(RayOptions(address=address, workers=workers, gpus_per_worker=gpus))


class _progress:
    """A rich progress bar on stderr (files, decoded frames/s, ETA), or nothing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.enabled:
            return None
        from rich.progress import TextColumn

        from autocut_core.cli import display

        rate = TextColumn("{task.fields[rate]:>7.1f} frames/s", markup=False)
        self.bar = display.progress_bar("indexing", rate, current=True)
        self.bar.start()
        self.task = self.bar.add_task("index", total=None, rate=0.0, current="")
        return self.update

    def update(self, path: str, done: int, total: int, frames: int) -> None:
        elapsed = self.bar.tasks[0].elapsed or 1e-9
        self.bar.update(self.task, completed=done, total=total, rate=frames / elapsed,
                        current=Path(path).name[-40:])  # fmt: skip

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_report(folder: Path, report: IndexReport) -> None:
    typer.echo(
        f"Indexed into {folder}: {report.new_videos} new video(s), {report.new_tracks} new "
        f"track(s), {report.embedded} re-embedded, {report.unchanged} unchanged, "
        f"{len(report.failed)} failed."
    )
    typer.echo(
        f"  {report.frames} frames, {report.clips} clips, {report.media_seconds:.1f} s of media "
        f"in {report.elapsed:.1f} s ({report.frames_per_second:.0f} decoded frames/s)"
    )
    for path, reason in report.failed:
        typer.echo(f"  FAILED {path}: {reason}")


@uses_settings("encoder")
def segment_command(
    settings: AutocutSettings,
    video: Annotated[Path, typer.Argument(help="A video file.")],
    csv: Annotated[
        Path | None, typer.Option("--csv", help="Also write the cut list as CSV.")
    ] = None,
    otio: Annotated[
        Path | None, typer.Option("--otio", help="Also write an OpenTimelineIO timeline.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Print where VIDEO cuts into visual clips (the cut detector `index` uses)."""
    from autocut_core.materials.indexing import options_from_settings, segment_video
    from autocut_core.output import cut_list as cut_export

    options = options_from_settings(settings, jobs=1)
    result = segment_video(video, options)
    if csv is not None:
        cut_export.write_csv(result.clips, csv)
    if otio is not None:
        cut_export.write_otio(video, result.clips, result.probe, otio)
    if as_json:
        clips = [{"start": a, "end": b, "duration": round(b - a, 3)} for a, b in result.clips]
        typer.echo(
            json.dumps(
                {"video": str(video), "duration": result.probe.duration, "clips": clips}, indent=2
            )
        )
        return
    typer.echo(f"{video}: {len(result.clips)} clip(s) in {result.probe.duration:.2f} s")
    for number, (start, end) in enumerate(result.clips, start=1):
        typer.echo(
            f"  {number:3d}  {cut_export.timecode(start)} - {cut_export.timecode(end)}  ({end - start:6.2f} s)"
        )


def materials_stats(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Counts, durations and disk size of a material database."""
    from autocut_core.materials.database import MaterialDB
    from autocut_core.settings import load_settings

    folder = db or load_settings().db
    with MaterialDB(folder, create=False, write=False) as database:
        stats = database.stats()
    if as_json:
        typer.echo(json.dumps(stats, indent=2))
        return
    typer.echo(f"{stats['folder']}: {stats['disk_bytes'] / 1e6:.1f} MB on disk")
    typer.echo(
        f"  videos {stats['videos']} ({stats['video_seconds']:.1f} s), frames {stats['frames']}, clips {stats['clips']}"
    )
    typer.echo(
        f"  tracks {stats['tracks']} ({stats['track_seconds']:.1f} s), failures {stats['failures']}"
    )
    typer.echo(
        f"  paths {stats['paths']} ({stats['paths_present']} present, {stats['paths_changed']} "
        f"changed, {stats['paths_missing']} missing), {stats['sources_with_several_paths']} "
        "source(s) at several paths (`autocut materials sources` lists them)"
    )
    for vector_set in stats["vector_sets"]:
        typer.echo(
            f"  vectors {vector_set['name']}: {vector_set['rows']} x {vector_set['dim']}"
            + (
                f" ({vector_set['unreferenced_rows']} unreferenced)"
                if vector_set["unreferenced_rows"]
                else ""
            )
        )


def materials_clips(
    db: DbOption = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Only clips of files whose path contains this text."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Every clip with its id, file, in/out and caption: the ids plans and --like take.

    A file recorded at several paths shows the first that still holds it (``paths`` in
    --json lists them all); its caption comes from the sidecars a run would read.
    """
    from autocut_core.cli import display
    from autocut_core.materials.captions import describe
    from autocut_core.materials.database import MaterialDB, from_db_path
    from autocut_core.materials.locations import current_paths
    from autocut_core.settings import load_settings

    folder = db or load_settings().db
    rows: list[dict[str, Any]] = []
    with MaterialDB(folder, create=False, write=False) as database:
        recorded = database.recorded_paths()
        for video in database.sources("video"):
            every = [row.fs_path for row in recorded.get(video.source_id, [])]
            if source is not None and not any(source in path for path in every):
                continue
            usable = current_paths(database, video.source_id, (),
                                   recorded.get(video.source_id, []))  # fmt: skip
            paths = usable or [from_db_path(video.path)]
            for clip in database.clips(video.source_id):
                caption = describe(paths, clip.start, clip.end)
                rows.append({"id": clip.clip_id, "source": paths[0], "paths": every,
                             "start": round(clip.start, 3), "end": round(clip.end, 3),
                             "caption": caption.text,
                             "sidecar": None if caption.sidecar is None else str(caption.sidecar)})  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = display.table(f"{len(rows)} clip(s) in {folder}",
                          ["id", "source", "in-out", "caption"])  # fmt: skip
    for row in rows:
        more = len(row["paths"]) - 1
        name = Path(row["source"]).name + (f" (+{more} more)" if more > 0 else "")
        display.row(table, row["id"], name, f"{row['start']:.2f}-{row['end']:.2f}",
                    row["caption"])  # fmt: skip
    display.console().print(table)


def materials_sources(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every file's content with each path it was offered from and whether it is still there.

    ``present``: the indexed file is there (its sidecars are read); ``changed``: another file
    took its place; ``missing``: nothing is there. A run uses the paths it is given first.
    """
    from autocut_core.cli import display
    from autocut_core.materials.database import MaterialDB
    from autocut_core.settings import load_settings

    folder = db or load_settings().db
    rows: list[dict[str, Any]] = []
    with MaterialDB(folder, create=False, write=False) as database:
        recorded = database.recorded_paths()
        for item in database.sources():
            rows.append({"id": item.source_id, "kind": item.kind,
                         "duration": round(item.duration, 3),
                         "clips": len(database.clips(item.source_id)) if item.kind == "video" else 0,
                         "paths": [{"path": row.fs_path, "state": row.state(),
                                    "first_seen": row.first_seen, "last_seen": row.last_seen}
                                   for row in recorded.get(item.source_id, [])]})  # fmt: skip
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = display.table(f"{len(rows)} source(s) in {folder}",
                          ["id", "kind", "seconds", "clips", "paths"])  # fmt: skip
    for row in rows:
        paths = "\n".join(f"{entry['path']} ({entry['state']})" for entry in row["paths"])
        display.row(table, row["id"], row["kind"], f"{row['duration']:.2f}", str(row["clips"]),
                    paths)  # fmt: skip
    display.console().print(table)


def register(app: typer.Typer, typer_factory: Any) -> None:
    """Attach these commands to the root application."""
    app.command("index")(index_command)
    app.command("segment")(segment_command)
    app.command("search")(search_command)
    materials = typer_factory(help="Inspect a material database.", no_args_is_help=True)
    materials.command("stats")(materials_stats)
    materials.command("clips")(materials_clips)
    materials.command("sources")(materials_sources)
    app.add_typer(materials, name="materials")


def _search_encoder(database: Any, settings: AutocutSettings, level: str) -> str:
    """The encoder whose vectors to search: the one asked for (flag, environment or config
    file), which must be indexed; with none asked for, the default if indexed, else the only
    one indexed."""
    from autocut_core.errors import SettingsError

    indexed = sorted(
        {encoder for encoder, vector_level, _ in database.vector_sets() if vector_level == level}
    )
    if settings.encoder in indexed:
        return settings.encoder
    if "encoder" in settings.model_fields_set:  # asked for by name: never another encoder
        raise SettingsError(
            f"{database.folder}: no '{level}' vectors from encoder '{settings.encoder}' "
            f"(indexed: {', '.join(indexed) or 'none'}); add them with "
            f"`autocut index FOOTAGE... --db {database.folder} --encoder {settings.encoder}`"
        )
    if len(indexed) == 1:
        return indexed[0]
    raise SettingsError(
        f"{database.folder}: choose --encoder; '{level}' vectors exist for: {', '.join(indexed) or 'none'}"
    )


def _query_vectors(database: Any, settings: AutocutSettings, encoder: str, level: str,
                   text: str | None, like: str | None, tokens: str | None) -> Any:  # fmt: skip
    from autocut_core.errors import InputError, SettingsError

    if sum(value is not None for value in (text, like, tokens)) != 1:
        raise SettingsError("give exactly one of --text, --like or --tokens")
    if like is not None:
        try:
            return database.vector(encoder, level, like)[None, :]
        except KeyError:
            raise InputError(
                f"no {level} '{like}' with '{encoder}' vectors in {database.folder}"
            ) from None
    if text is not None:
        component = settings.create("encoder", encoder)
        if not hasattr(component, "encode_text"):
            raise SettingsError(
                f"--text needs an encoder with a text tower in the same space as its image vectors "
                f"(clip); '{encoder}' has none. Use --like or --tokens, or index with --encoder clip."
            )
        return component.encode_text([text])
    from autocut_core.tokens.grounding import decode_tokens

    tokenizer = settings.create("tokenizer")
    tokenizer.check_encoder(encoder, database.vectors(encoder, level)[1].shape[1])
    return decode_tokens(tokens or "", tokenizer)


@uses_settings("encoder", "retriever", "tokenizer")
def search_command(
    settings: AutocutSettings,
    db: DbOption = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Find footage matching a sentence.")
    ] = None,
    like: Annotated[str | None, typer.Option("--like", help="Find materials like this id.")] = None,
    tokens: Annotated[
        str | None, typer.Option("--tokens", help="Decode generated tokens and ground them.")
    ] = None,
    k: Annotated[int, typer.Option("-k", help="How many results.")] = 10,
    level: Annotated[str, typer.Option("--level", help="clip, frame or track.")] = "clip",
    as_json: JsonOption = False,
) -> None:
    """The nearest materials to a sentence, a material id or generated tokens."""
    from autocut_core.errors import SettingsError
    from autocut_core.materials.database import LEVELS, MaterialDB
    from autocut_core.tokens.grounding import describe, material_index

    if level not in LEVELS:
        raise SettingsError(f"--level must be one of {', '.join(LEVELS)}, not '{level}'")
    with MaterialDB(db or settings.db, create=False) as database:
        encoder = _search_encoder(database, settings, level)
        queries = _query_vectors(database, settings, encoder, level, text, like, tokens)
        index = material_index(database, encoder, level, settings.retriever,
                               settings.options_for("retriever", settings.retriever))  # fmt: skip
        wanted = min(k + (like is not None), index.size)
        results = []
        for query_number, hits in enumerate(index.search(queries, wanted)):
            kept = [hit for hit in hits if hit.id != like][:k]
            for rank, hit in enumerate(kept, start=1):
                results.append({"query": query_number, "rank": rank, "score": round(hit.score, 4),
                                **describe(database, level, hit.id)})  # fmt: skip
    if as_json:
        typer.echo(json.dumps(results, ensure_ascii=False, indent=2))
        return
    for row in results:
        prefix = f"q{row['query']} " if row["query"] else ""
        source = row["source"] + (" (missing)" if row.get("missing") else "")
        typer.echo(f"{prefix}{row['rank']:3d}  {row['score']:7.4f}  {row['id']}  {source}  "
                   f"{row['start']:.2f}-{row['end']:.2f} s")  # fmt: skip
