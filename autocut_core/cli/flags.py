"""Component flags shared by every command that uses components.

``@uses_settings("encoder", "retriever")`` adds ``--config``, ``--encoder NAME``,
``--encoder-opt KEY=VALUE`` (repeatable), ``--retriever ...`` to a Typer command and hands it
one merged :class:`~autocut_core.settings.AutocutSettings` (defaults < autocut.toml <
``AUTOCUT_*`` < these flags), so every command layers settings the same way.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from autocut_core.errors import SettingsError
from autocut_core.settings import (
    COMPONENT_CHOICES,
    AutocutSettings,
    load_settings,
    parse_option_flags,
    with_component_options,
)

CONFIG_HELP = "Config file (default: $AUTOCUT_CONFIG or ./autocut.toml)."

#: ``--json``, the same on every command that can print JSON.
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
#: ``--db``, the material database of every command that reads or writes one.
DbOption = Annotated[
    Path | None, typer.Option("--db", help="Material database folder (default: setting 'db').")
]


def _flag(choice: str) -> str:
    return choice.replace("_", "-")


def _added_parameters(choices: tuple[str, ...]) -> list[inspect.Parameter]:
    keyword = inspect.Parameter.KEYWORD_ONLY
    parameters = [
        inspect.Parameter(
            "config",
            keyword,
            default=None,
            annotation=Annotated[Path | None, typer.Option("--config", help=CONFIG_HELP)],
        )
    ]
    for choice in choices:
        flag = _flag(choice)
        parameters.append(
            inspect.Parameter(
                choice,
                keyword,
                default=None,
                annotation=Annotated[
                    str | None,
                    typer.Option(
                        f"--{flag}",
                        metavar="NAME",
                        help=f"Which {choice.replace('_', ' ')} to use.",
                    ),
                ],
            )
        )
        parameters.append(
            inspect.Parameter(
                f"{choice}_opt",
                keyword,
                default=None,
                annotation=Annotated[
                    list[str] | None,
                    typer.Option(
                        f"--{flag}-opt",
                        metavar="KEY=VALUE",
                        help=f"Option of the chosen {choice.replace('_', ' ')} (repeatable).",
                    ),
                ],
            )
        )
    return parameters


def settings_from_flags(
    config: Path | None,
    names: dict[str, str | None],
    options: dict[str, list[str] | None],
) -> AutocutSettings:
    """Merge flags over the lower layers; ``--x-opt`` applies to whichever x ends up chosen."""
    settings = load_settings(config, **{choice: name for choice, name in names.items() if name})
    for choice, pairs in options.items():
        if not pairs:
            continue
        kind, _ = COMPONENT_CHOICES[choice]
        chosen = getattr(settings, choice)
        if chosen is None:
            raise SettingsError(f"--{_flag(choice)}-opt was given but no {kind} is chosen")
        parsed = parse_option_flags(pairs, f"--{_flag(choice)}-opt")
        settings = with_component_options(settings, kind, chosen, parsed)
    return settings


def uses_settings(*choices: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a command whose ``settings`` parameter should come from config and flags."""
    selected = choices or tuple(COMPONENT_CHOICES)
    unknown = [choice for choice in selected if choice not in COMPONENT_CHOICES]
    if unknown:
        raise ValueError(f"unknown component choices: {unknown}")

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(command)
        hints = get_type_hints(command, include_extras=True)
        kept = [
            parameter.replace(annotation=hints.get(name, parameter.annotation))
            for name, parameter in signature.parameters.items()
            if name != "settings"
        ]
        added = _added_parameters(selected)

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            config = kwargs.pop("config")
            names = {choice: kwargs.pop(choice) for choice in selected}
            options = {choice: kwargs.pop(f"{choice}_opt") for choice in selected}
            return command(settings=settings_from_flags(config, names, options), **kwargs)

        # Typer reads __signature__, which functions do not declare (hence the ignore).
        wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in [*kept, *added]}
        del wrapper.__wrapped__  # Typer must read the new signature, not the original's
        return wrapper

    return decorate
