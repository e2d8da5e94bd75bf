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
    """Print the settings a review here would use (defaults < .mochi.toml < environment < flags, and the
    stored default model), with where each came from, secrets masked. A bad .mochi.toml is reported
    and the rest still shown (exit 2)."""
    import json

    from mochi.commands.compose import compose, repository_root
    from mochi.errors import ConfigError
    from mochi.settings import load, masked

    problem: str | None = None
    with _errors():
        git, root = repository_root(repo)
        try:
            composed = compose(os.environ, {}, git=git, root=root, config_path=config_path, record=False)
            settings, origin = composed.settings, composed.origin
        except ConfigError as exc:  # show everything else, so the fix can be found here
            problem = str(exc)
            settings, origin = load(os.environ, {}, None)
        data = masked(settings)
        if as_json:
            doc = {"version": 1, "settings": data, "origin": origin, "error": problem}
            click.echo(json.dumps(doc, indent=2))
        else:
            if problem:
                click.secho(f"error: {problem}", fg="red", bold=True, err=True)
                click.secho("(the file was not applied; the keys it may set are listed below)", err=True)
            width = max(len(k) for k in data)
            for key, value in data.items():
                if value is None or value == "" or value == [] or value == {}:
                    shown = "-"
                else:
                    shown = value if isinstance(value, str) else json.dumps(value)
                click.echo(f"{key:<{width}}  {shown:<30}  {origin.get(key, 'default')}")
    if problem:
        raise SystemExit(2)
