"""`mochi config show`: the effective settings and where each value came from."""

from __future__ import annotations

import os
from pathlib import Path

import click

from mochi.commands.runtime import errors as _errors


@click.group()
def config() -> None:
    """Inspect the effective settings."""


@config.command("show")
@click.option(
    "--repo", type=click.Path(file_okay=False, path_type=Path), help="Repository whose .mochi.toml applies."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (default: .mochi.toml at the repository root).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def config_show(repo: Path | None, config_path: Path | None, as_json: bool) -> None:
    """Print the effective settings (defaults < .mochi.toml < environment < flags), secrets masked."""
    import json

    from mochi.commands.compose import load_settings, repository_root
    from mochi.settings import masked

    with _errors():
        _, root = repository_root(repo)
        settings, origin = load_settings(os.environ, {}, root, config_path)
        data = masked(settings)
        if as_json:
            click.echo(json.dumps({"version": 1, "settings": data, "origin": origin}, indent=2))
            return
        width = max(len(k) for k in data)
        for key, value in data.items():
            if value is None or value == "" or value == [] or value == {}:
                shown = "-"
            else:
                shown = value if isinstance(value, str) else json.dumps(value)
            click.echo(f"{key:<{width}}  {shown:<30}  {origin.get(key, 'default')}")
