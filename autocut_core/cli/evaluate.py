"""`autocut eval`: score a backbone on a test set and write the paper's Table 1.

    autocut eval --data data/sft/val.jsonl --backbone similarity -o eval/similarity
    autocut eval --data data/sft/val.jsonl --backbone random -o eval/random --compare eval/similarity

A re-run with the same output folder continues where the last one stopped. Without
``--data`` it only rewrites the report (the folder's own results and ``--compare`` rows).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autocut_core.cli.flags import uses_settings
from autocut_core.errors import SettingsError
from autocut_core.settings import AutocutSettings

if TYPE_CHECKING:
    from autocut_core.evaluation.harness import Evaluation

JsonOption = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


@uses_settings("backbone")
def eval_command(
    settings: AutocutSettings,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Folder for results and the report.")
    ],
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Test set (.jsonl): SFT records as `autocut dataset build` writes, or caption "
            "ads, one per line, as `autocut dataset import` writes (docs/evaluation.md).",
        ),
    ] = None,
    task: Annotated[
        list[str] | None,
        typer.Option(
            "--task",
            metavar="TASK",
            help="select, sort, script or music (repeatable; "
            "default: every task the backbone can do).",
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="At most N samples per task.")
    ] = None,
    compare: Annotated[
        list[Path] | None,
        typer.Option(
            "--compare", metavar="DIR", help="Earlier eval folder to add as a row (repeatable)."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Row label (default: the backbone's name).")
    ] = None,
    clip_text: Annotated[
        str,
        typer.Option(
            "--clip-text",
            help="Clip sentences shown to the backbone: prompt (as the prompts: "
            "none), all (ablation: gives every task's answer away), none.",
        ),
    ] = "prompt",
    music_db: Annotated[
        Path | None,
        typer.Option(
            "--music-db",
            help="Material database whose track vectors the MSS proxy "
            "uses (default: embed the files).",
        ),
    ] = None,
    music_encoder: Annotated[
        str | None,
        typer.Option(
            "--music-encoder",
            metavar="NAME",
            help="Audio encoder of the MSS proxy (default: logmel).",
        ),
    ] = None,
    judge: Annotated[
        bool,
        typer.Option(
            "--judge",
            help="Also score VSC (sort) and SQ (script) with an LLM judge "
            "(an OpenAI-compatible endpoint; see --judge-opt).",
        ),
    ] = False,
    judge_opt: Annotated[
        list[str] | None,
        typer.Option(
            "--judge-opt",
            metavar="KEY=VALUE",
            help="Judge chat option: base_url, model (default gpt-4o), api_key_env, "
            "cache_dir, ... (repeatable; implies --judge).",
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Discard this folder's earlier results.")
    ] = False,
    allow_blind: Annotated[
        bool,
        typer.Option(
            "--allow-blind",
            help="Run tasks whose inputs the backbone cannot see (no captions, frames or "
            "tokens) instead of refusing them; the report marks the row.",
        ),
    ] = False,
    plots: Annotated[bool, typer.Option("--plots/--no-plots", help="Draw PNG charts.")] = True,
    as_json: JsonOption = False,
) -> None:
    """Score a backbone on the test set's tasks (CSA, CRA, WCD, Hit@k, MRR, MSS proxy)."""
    from autocut_core.evaluation.harness import evaluate, report_only
    from autocut_core.evaluation.tasks import CLIP_TEXT_MODES

    if clip_text not in CLIP_TEXT_MODES:
        raise SettingsError(f"--clip-text must be one of {', '.join(CLIP_TEXT_MODES)}")
    if data is None:
        _print(report_only(output, compare or [], plots), as_json)
        return
    backbone = settings.create("backbone")
    judge_model = _judge(judge_opt) if judge or judge_opt else None

    def evaluator_options(evaluator: str) -> dict[str, Any]:
        options = settings.options_for("evaluator", evaluator)
        if evaluator == "music":
            if music_db is not None:
                options["db"] = str(music_db)
            if music_encoder is not None:
                options["encoder"] = music_encoder
        return options

    with _Progress(enabled=not as_json and sys.stderr.isatty()) as bar:
        result = evaluate(
            data, backbone, output, system=name, tasks=task, limit=limit, clip_text=clip_text,
            evaluator_options=evaluator_options, fresh=fresh, compare=compare or [],
            plots=plots, progress=bar.update, on_start=bar.start_run, judge=judge_model,
            allow_blind=allow_blind,
        )  # fmt: skip
    _print(result, as_json)


def _judge(pairs: list[str] | None) -> Any:
    from autocut_core.llm.judges import Judge
    from autocut_core.settings import parse_option_flags

    options = parse_option_flags(pairs or [], "--judge-opt")
    try:
        return Judge.from_options(options)
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise SettingsError(f"--judge-opt: {error}") from None


class _Progress:
    """A rich progress bar on stderr (samples, task, ETA), or nothing."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from autocut_core.cli import display

            self.bar = display.progress_bar("eval", current=True)
            self.bar.start()
        return self

    def start_run(self, total: int) -> None:
        if self.bar is not None:
            self.task = self.bar.add_task("eval", total=total, current="")

    def update(self, done: int, total: int, sample: Any) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done, total=total, current=sample.task)

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print(result: Evaluation, as_json: bool) -> None:
    if as_json:
        data = {
            "systems": [system.to_dict() for system in result.systems],
            "written": {key: str(path) for key, path in result.written.items()},
            "left_out": result.left_out,
        }
        if result.judge_stats is not None:
            data["judge"] = {
                "judged": result.judge_stats.judged,
                "skipped": result.judge_stats.skipped,
                "errors": len(result.judge_stats.errors),
                "usage": result.judge_stats.usage,
            }
        if result.stats is not None:
            data["run"] = {
                "scored": result.stats.scored,
                "skipped": result.stats.skipped,
                "errors": len(result.stats.errors),
                "seconds": round(result.stats.seconds, 3),
            }
        data["layout"] = result.layout
        data["blind"] = result.blind
        data["not_built"] = result.not_built
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from autocut_core.evaluation.report import markdown

    table = markdown(result.systems).split("\n## Details")[0].split("\n", 2)[2]
    typer.echo(table.rstrip())
    stats = result.stats
    if stats is not None:
        typer.echo(
            f"\n{stats.scored} sample(s) scored, {stats.skipped} already scored "
            f"(skipped), {len(stats.errors)} failed, in {stats.seconds:.1f} s."
        )
        if result.left_out:
            typer.echo(f"Left out (the backbone cannot do them): {', '.join(result.left_out)}.")
        judged = result.judge_stats
        if judged is not None:
            typer.echo(
                f"Judged {judged.judged} sample(s) ({judged.skipped} already judged, "
                f"{len(judged.errors)} failed); {judged.usage}"
            )
            for sample_id, error in judged.errors[:3]:
                typer.echo(f"  JUDGE FAILED {sample_id}: {error}", err=True)
        for sample_id, error in stats.errors[:5]:
            typer.echo(f"  FAILED {sample_id}: {error}", err=True)
        if len(stats.errors) > 5:
            typer.echo(f"  ... and {len(stats.errors) - 5} more (see results.jsonl)", err=True)
    from autocut_core.cli.display import warn

    for line in result.not_built:
        typer.echo(f"Caption data: {line}.", err=True)
    for problem in result.blind:
        warn(f"RUN BLIND (--allow-blind): {problem}")
    for key in ("markdown", "html"):
        typer.echo(f"Wrote {result.written[key]}")


def register(app: typer.Typer) -> None:
    """Attach `autocut eval` to the root application."""
    app.command("eval")(eval_command)
