"""`autocut models list|pull|path`: the models the installed components can use.

``list`` reads the cards and the caches only (no network, no torch), so it runs on a fresh
machine without network; ``pull`` fetches a card's files into the standard caches with a
progress bar, resuming a partial download; ``path`` prints where a pulled model lies (for
scripts and for copying to an air-gapped machine).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer


def models_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """List every model a registered component can use: size, licence, cache, installed."""
    from autocut_core.cli.display import console, row, table
    from autocut_core.models import all_cards, hub_cache
    from autocut_core.models.catalog import row as card_row

    rows = [card_row(card) for card in all_cards()]
    if as_json:
        typer.echo(json.dumps({"hub_cache": str(hub_cache()), "models": rows}, indent=2))
        return
    shown = table(
        f"Models (Hugging Face cache: {hub_cache()})",
        ["name", "installed", "size", "licence", "used by"],
    )
    for item in rows:
        row(
            shown,
            item["name"],
            "yes" if item["installed"] else "no",
            item["size"],
            item["licence"],
            ", ".join(item["used_by"]),
        )
    console().print(shown)
    typer.echo("Sources, caches and checksums: --json; a pulled model's files: models path NAME")


def models_pull(
    name: Annotated[str, typer.Argument(help="A model name from `autocut models list`.")],
) -> None:
    """Fetch a model into the standard caches (resumes a partial download, checks sha256)."""
    from autocut_core.cli.display import StageProgress
    from autocut_core.models import find, human_size, locate, pull

    card = find(name)
    found = locate(card)
    if found is None:
        typer.echo(f"Pulling {card.name} ({human_size(card.size)}) ...", err=True)
        with StageProgress.for_command(as_json=False) as progress:
            found = pull(card, progress)
    else:
        typer.echo(f"{card.name} is already installed.", err=True)
    for path in found:
        typer.echo(str(path))


def models_path(
    name: Annotated[str, typer.Argument(help="A model name from `autocut models list`.")],
) -> None:
    """Print the local path(s) of a pulled model; exit 2 with the fetch command if missing."""
    from autocut_core.models import find, locate, not_cached

    card = find(name)
    found = locate(card)
    if found is None:
        raise not_cached(card, "was not pulled yet")
    for path in found:
        typer.echo(str(path))


def register(app: typer.Typer, typer_factory: Any) -> None:
    group = typer_factory(
        help="List, fetch and locate the models components use.", no_args_is_help=True
    )
    group.command("list")(models_list)
    group.command("pull")(models_pull)
    group.command("path")(models_path)
    app.add_typer(group, name="models")
