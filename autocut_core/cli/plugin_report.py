"""What `autocut plugins` prints: components by kind with their providers, and failures."""

from __future__ import annotations

from typing import Any

import typer

from autocut_core.registry import Registration


def describe(registration: Registration, with_options: bool = True) -> dict[str, Any]:
    """A JSON-ready description of one registered component."""
    cls = registration.cls
    detail: dict[str, Any] = {
        "kind": registration.kind,
        "name": registration.name,
        "aliases": list(registration.aliases),
        "description": cls.description,
        "version": cls.version,
        "capabilities": sorted(cls.capabilities),
        "plugin": registration.plugin.name,
        "package": registration.plugin.package,
        "package_version": registration.plugin.version,
        "builtin": registration.plugin.builtin,
        "class": f"{cls.__module__}.{cls.__qualname__}",
    }
    for attribute in ("modality", "sample_rate", "task", "token_prefix"):
        value = getattr(cls, attribute, None)
        if value is not None:
            detail[attribute] = value
    if with_options:
        detail["options"] = {
            name: {
                "type": _type_name(field.annotation),
                "default": None
                if field.is_required()
                else _jsonable(field.get_default(call_default_factory=True)),
                "required": field.is_required(),
                "description": field.description or "",
            }
            for name, field in cls.Settings.model_fields.items()
        }
    return detail


def _type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)


def build(show_all: bool) -> dict[str, Any]:
    from autocut_core.plugins import get_host
    from autocut_core.serde import to_data

    host = get_host()
    registry = host.registry
    components = {
        kind: [
            describe(registry.get(kind, name), with_options=show_all)
            for name in registry.names(kind)
        ]
        for kind in registry.kinds()
    }
    report: dict[str, Any] = {
        "components": components,
        "failures": to_data(host.failures),
        "blocked": to_data(host.blocked),
    }
    if show_all:
        report["plugins"] = to_data(list(host.plugins.values()))
    return report


def _option_label(kind: str, name: str, option: str) -> str:
    """How a user sets the option: a ``--KIND-opt`` flag where commands have one, else the
    autocut.toml table (evaluators are configured only there)."""
    from autocut_core.settings import COMPONENT_CHOICES, OPTION_TABLES

    if kind in {choice_kind for choice_kind, _ in COMPONENT_CHOICES.values()}:
        return f"--{kind}-opt {option}"
    return f"[{OPTION_TABLES[kind]}.{name}] {option}"


def print_table(report: dict[str, Any], show_all: bool) -> None:
    for kind, entries in report["components"].items():
        if not entries and not show_all:
            continue
        typer.echo(f"{kind}s:")
        if not entries:
            typer.echo("  (none)")
        width = max((len(entry["name"]) for entry in entries), default=0)
        for entry in entries:
            provider = f"{entry['package']} {entry['package_version']}".strip()
            typer.echo(f"  {entry['name']:<{width}}  {provider:<22}  {entry['description']}")
            for option, spec in entry.get("options", {}).items():
                default = "required" if spec["required"] else f"= {spec['default']!r}"
                typer.echo(
                    f"  {'':<{width}}    {_option_label(kind, entry['name'], option)} ({spec['type']} {default}) {spec['description']}".rstrip()
                )
    if show_all:
        typer.echo("plugins:")
        for plugin in report.get("plugins", []):
            typer.echo(
                f"  {plugin['name']:<18} {plugin['package']} {plugin['version']}  ({plugin['module']})"
            )
        for blocked in report["blocked"]:
            typer.echo(
                f"  {blocked['name']:<18} {blocked['package']}  not loaded: {blocked['reason']}"
            )


def warn_failures(report: dict[str, Any]) -> None:
    for failure in report["failures"]:
        typer.echo(
            f"Warning: plugin '{failure['name']}' from {failure['package']} {failure['version']} "
            f"failed to load and was skipped: {failure['error']}",
            err=True,
        )


def print_detail(detail: dict[str, Any]) -> None:
    for key in ("kind", "name", "description", "package", "package_version", "plugin", "class",
                "modality", "sample_rate", "task", "capabilities", "aliases"):  # fmt: skip
        if key in detail and detail[key] not in ([], None, ""):
            value = detail[key]
            typer.echo(f"{key:>16}: {', '.join(value) if isinstance(value, list) else value}")
    options = detail.get("options", {})
    typer.echo(f"{'options':>16}: {'(none)' if not options else ''}")
    for name, option in options.items():
        default = "required" if option["required"] else f"default {option['default']!r}"
        typer.echo(f"{'':>18}{name} ({option['type']}, {default}) {option['description']}".rstrip())
