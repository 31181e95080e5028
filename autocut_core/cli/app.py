"""The ``autocut`` command line (Typer).

Commands are added here only once they work; plugins add their own through the
``register_commands(app)`` hook. Every :class:`~autocut_core.errors.AutocutError` becomes one
``Error: ...`` line on stderr and its exit code (2 for a wrong name or option), not a traceback.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from typing import TYPE_CHECKING, Annotated, Any

import typer

from autocut_core import __version__
from autocut_core.cli.flags import uses_settings
from autocut_core.errors import AutocutError
from autocut_core.settings import AutocutSettings

if TYPE_CHECKING:
    from autocut_core.plugins import PluginHost

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _print_version() -> None:
    typer.echo(f"autocut {__version__}")


def _version(value: bool) -> None:
    if value:
        _print_version()
        raise typer.Exit()


def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """AutoCut: product + footage + script + music -> a finished short-form ad."""


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


# --- plugins -------------------------------------------------------------------------------


def plugins_list(
    ctx: typer.Context,
    show_all: Annotated[
        bool, typer.Option("--all", help="Also list plugin modules, blocked plugins and options.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Every component by kind, with the package and version that provides it."""
    if ctx.invoked_subcommand is not None:
        return
    from autocut_core.cli import plugin_report

    report = plugin_report.build(show_all)
    if as_json:
        _print_json(report)
    else:
        plugin_report.print_table(report, show_all)
    plugin_report.warn_failures(report)


def plugins_show(
    kind: Annotated[str, typer.Argument(help="encoder, tokenizer, backbone, retriever, ...")],
    name: Annotated[str, typer.Argument(help="Component name, e.g. histogram.")],
    as_json: JsonOption = False,
) -> None:
    """One component in detail: provider, capabilities and every option it accepts."""
    from autocut_core.cli import plugin_report
    from autocut_core.plugins import get_registry

    detail = plugin_report.describe(get_registry().get(kind, name))
    if as_json:
        _print_json(detail)
    else:
        plugin_report.print_detail(detail)


# --- doctor and config ---------------------------------------------------------------------


@uses_settings()
def doctor(settings: AutocutSettings, as_json: JsonOption = False) -> None:
    """Check ffmpeg, fonts, TTS, Python extras, plugins and configured weights."""
    from autocut_core.cli.doctor import run_checks
    from autocut_core.serde import to_data

    checks = run_checks(settings)
    if as_json:
        _print_json(to_data(checks))
    else:
        marks = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}
        for check in checks:
            line = f"{marks[check.status]}  {check.name}: {check.detail}"
            if check.fix:
                line += f"\n      -> {check.fix}"
            typer.echo(line)
    if any(check.status == "fail" for check in checks):
        raise typer.Exit(1)


@uses_settings()
def config_show(settings: AutocutSettings, as_json: JsonOption = False) -> None:
    """The merged configuration: defaults < autocut.toml < AUTOCUT_* < flags."""
    from autocut_core.cli.redaction import redacted
    from autocut_core.plugins import get_registry
    from autocut_core.settings import OPTION_TABLES

    tables = {table: kind for kind, table in OPTION_TABLES.items()}
    data = redacted(settings.model_dump(mode="json", exclude_none=True), tables, get_registry())
    source = data.pop("config_file", None)
    data = {key: value for key, value in data.items() if value != {}}
    if as_json:
        _print_json({"config_file": source, "settings": data})
        return
    import tomli_w

    typer.echo(f"# config file: {source or '(none; defaults and AUTOCUT_* only)'}")
    typer.echo(tomli_w.dumps(data).rstrip())


# --- the application -----------------------------------------------------------------------


def _typer(**options: Any) -> typer.Typer:
    return typer.Typer(
        pretty_exceptions_enable=False, add_completion=False, rich_markup_mode=None, **options
    )


def build_app() -> typer.Typer:
    """A fresh application with the core commands and every loaded plugin's commands."""
    from autocut_core.plugins import get_host

    app = _typer(
        name="autocut",
        help="Edit short-form ads from product facts, footage, a script and a music library.",
        no_args_is_help=True,
    )
    app.callback()(_root)
    plugins_app = _typer(help="List and inspect the installed components.")
    plugins_app.callback(invoke_without_command=True)(plugins_list)
    plugins_app.command("show")(plugins_show)
    app.add_typer(plugins_app, name="plugins")
    config_app = _typer(help="Show the effective configuration.", no_args_is_help=True)
    config_app.command("show")(config_show)
    app.add_typer(config_app, name="config")
    app.command()(doctor)
    from autocut_core.cli import run as cli_run

    cli_run.register(app)
    from autocut_core.cli import batch as cli_batch
    from autocut_core.cli import explain as cli_explain

    cli_batch.register(app)
    cli_explain.register(app)
    from autocut_core.cli import materials as cli_materials

    cli_materials.register(app, _typer)
    from autocut_core.cli import caption as cli_caption

    cli_caption.register(app)
    from autocut_core.cli import transcribe as cli_transcribe

    cli_transcribe.register(app)
    from autocut_core.cli import separate as cli_separate

    cli_separate.register(app)
    from autocut_core.cli import tokenizer as cli_tokens

    cli_tokens.register(app, _typer)
    from autocut_core.cli import dataset as cli_dataset
    from autocut_core.cli import evaluate as cli_eval
    from autocut_core.cli import export as cli_export

    cli_dataset.register(app, _typer)
    cli_eval.register(app)
    cli_export.register(app)
    from autocut_core.cli import studio as cli_studio

    cli_studio.register(app)
    from autocut_core.cli import models as cli_models

    cli_models.register(app, _typer)
    _add_plugin_commands(app, get_host())
    return app


def _command_names(app: typer.Typer) -> list[str]:
    commands = [
        info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        for info in app.registered_commands
    ]
    return commands + [info.name or "" for info in app.registered_groups]


def _add_plugin_commands(app: typer.Typer, host: PluginHost) -> None:
    """Let each plugin add commands; one that raises or takes an existing name is left out."""
    for impl in host.manager.hook.register_commands.get_hookimpls():
        commands, groups = list(app.registered_commands), list(app.registered_groups)
        try:
            impl.function(app=app)
            after = Counter(_command_names(app))
            clashes = sorted(name for name, count in after.items() if count > 1)
            if clashes:
                raise AutocutError(f"register_commands: command name(s) already taken: {clashes}")
        except Exception as error:
            app.registered_commands[:] = commands
            app.registered_groups[:] = groups
            host.fail(impl.plugin_name, f"{type(error).__name__}: {error}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run the app, turning AutoCut errors into clean exits."""
    if (sys.argv[1:] if argv is None else argv) == ["--version"]:
        _print_version()  # the answer needs no plugin, so none is loaded for it
        sys.exit(0)
    try:
        build_app()(args=argv, prog_name="autocut")
    except AutocutError as error:
        typer.echo(f"Error: {error}", err=True)
        sys.exit(error.exit_code)
    except SystemExit as done:
        # Typer turns Ctrl-C into a silent exit 130; say what state the work was left in.
        if done.code == INTERRUPTED:
            typer.echo(INTERRUPTED_MESSAGE, err=True)
        raise


#: The exit status of a command stopped by Ctrl-C (SIGINT), as shells report it.
INTERRUPTED = 130
#: Every output is written to a temporary file and moved into place whole, and the material
#: database commits one file at a time, so an interrupted command leaves no half-written file
#: and the same command run again does only what is left.
INTERRUPTED_MESSAGE = (
    "Interrupted: no output was left half-written; run the same command again to finish "
    "(files already indexed are not decoded again)"
)
