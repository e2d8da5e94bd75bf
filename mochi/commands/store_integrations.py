"""`mochi integrations`: GitHub and Jira URLs and credentials (integration_configs, encrypted).

An integration is named uniquely per type (default: the type, "jira"); reviews use the one named
after its type, else the oldest active one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from mochi.commands.store import emit, handling, json_option, load_settings, open_engine, table
from mochi.commands.store_admin import _secret


def _name_options(fn: Any) -> Any:
    fn = click.option("--inactive", is_flag=True, help="Store it without reviews using it.")(fn)
    return click.option(
        "--name", help="Its name, unique per type (default: the type); `integrations test --name` finds it."
    )(fn)


@click.group()
def integrations() -> None:
    """GitHub and Jira URLs and credentials (stored encrypted)."""


@integrations.group("set")
def integrations_set() -> None:
    """Store the configuration of an integration (replacing the previous one)."""


@integrations_set.command("github")
@click.option(
    "--url", default="https://api.github.com", show_default=True, help="API URL (GHES: https://HOST/api/v3)."
)
@click.option("--token", metavar="TOKEN|-", help="A token ('-': read it from stdin).")
@click.option("--app-id", help="A GitHub App's id (with --private-key-file).")
@click.option(
    "--private-key-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A GitHub App's private key (PEM), stored encrypted; with --app-id.",
)
@_name_options
@json_option
def integrations_set_github(
    url: str,
    token: str | None,
    app_id: str | None,
    private_key_file: Path | None,
    name: str | None,
    inactive: bool,
    as_json: bool,
) -> None:
    """GitHub: a token, or a GitHub App (id + private key)."""
    if bool(app_id) != bool(private_key_file):
        raise click.UsageError("a GitHub App needs both --app-id and --private-key-file")
    if not (token or app_id):
        raise click.UsageError("give --token (or '-' for stdin), or --app-id with --private-key-file")
    creds: dict[str, str] = {}
    settings: dict[str, Any] = {}
    secret = _secret(token)
    if secret:
        creds["token"] = secret
    if app_id and private_key_file:
        creds["private_key"] = private_key_file.read_text(encoding="utf-8")
        settings["app_id"] = app_id
    _set("github", url, creds, settings, name, inactive, as_json)


@integrations_set.command("jira")
@click.option("--url", required=True, help="Jira base URL, e.g. https://acme.atlassian.net")
@click.option("--email", help="Account email (Jira Cloud, with --token).")
@click.option("--token", metavar="TOKEN|-", help="API token (Jira Cloud; '-': stdin).")
@click.option("--pat", metavar="PAT|-", help="Personal access token (Jira Server/Data Center; '-': stdin).")
@_name_options
@json_option
def integrations_set_jira(
    url: str,
    email: str | None,
    token: str | None,
    pat: str | None,
    name: str | None,
    inactive: bool,
    as_json: bool,
) -> None:
    """Jira: email + API token (Cloud) or a personal access token (Server/Data Center)."""
    if pat and token:
        raise click.UsageError("give --email with --token (Cloud) or --pat (Server/Data Center), not both")
    if token and not email:
        raise click.UsageError("--token needs --email (Jira Cloud authenticates with both)")
    if not (pat or token):
        raise click.UsageError("give --email and --token (Cloud) or --pat (Server/Data Center)")
    creds = {"pat": _secret(pat) or ""} if pat else {"token": _secret(token) or ""}
    _set("jira", url, creds, {"email": email} if email else {}, name, inactive, as_json)


def _set(
    kind: str,
    url: str,
    creds: dict[str, str],
    config: dict[str, Any],
    name: str | None,
    inactive: bool,
    as_json: bool,
) -> None:
    with handling():
        from mochi.store import integrations as repo_
        from mochi.store.session import cipher_for

        app_settings = load_settings()
        cipher = cipher_for(app_settings)
        cipher.encrypt("")  # no key: refuse before touching the database
        row_id = repo_.set_integration(
            open_engine(app_settings),
            cipher,
            kind,
            api_endpoint=url,
            credentials=creds,
            config=config,
            name=name,
            is_active=not inactive,
        )
        stored = name or kind
        data = {"id": row_id, "type": kind, "name": stored, "kind": kind}  # kind: version 1's name
        label = f"the {kind} integration" + ("" if stored == kind else f" '{stored}'")
        emit(data, as_json, lambda: click.echo(f"stored {label}"))


@integrations.command("show")
@json_option
def integrations_show(as_json: bool) -> None:
    """The stored integrations (credentials masked)."""
    with handling():
        from mochi.store import integrations as repo_

        rows = repo_.list_integrations(open_engine())

        def text() -> None:
            if not rows:
                click.echo("no integrations: `mochi integrations set github|jira`")
                return
            table(
                [
                    [
                        r["type"],
                        r["name"],
                        r["api_endpoint"],
                        r["credentials"] or "-",
                        json.dumps(r["config"]) if r["config"] else "-",
                        "active" if r["is_active"] else "inactive",
                    ]
                    for r in rows
                ],
                ["TYPE", "NAME", "API ENDPOINT", "CREDENTIALS", "CONFIG", "STATE"],
            )

        emit({"integrations": rows}, as_json, text)


@integrations.command("test")
@click.argument("kind", metavar="TYPE", type=click.Choice(["github", "jira"]))
@click.option("--name", help="The integration of this name (default: the one named after its type).")
@json_option
def integrations_test(kind: str, name: str | None, as_json: bool) -> None:
    """One authenticated call (GitHub GET /user or /app, Jira GET /rest/api/2/myself); exit 3 when the
    service refuses or fails it, 2 when nothing is stored."""
    with handling():
        import httpx

        from mochi.errors import ConfigError
        from mochi.store import integrations as repo_
        from mochi.store.checks import check_github, check_jira
        from mochi.store.session import cipher_for

        settings = load_settings()
        integration = repo_.load_integration(open_engine(settings), cipher_for(settings), kind, name=name)
        if integration is None:  # nothing to test: the configuration is missing (2), no service failed (3)
            named = f" named '{name}'" if name else ""
            raise ConfigError(
                f"no {kind} integration{named} is stored: `mochi integrations set {kind}` first"
            )
        with httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0)) as client:
            result = (check_github if kind == "github" else check_jira)(client, integration)
        data = {
            "ok": True,
            "type": kind,
            "name": integration.name,
            "kind": kind,  # version 1's name
            "as": result.who,
            "duration_s": result.duration_s,
            **result.details,
        }
        emit(
            data,
            as_json,
            lambda: click.echo(f"ok: authenticated to {kind} at {integration.api_endpoint} as {result.who}"),
        )
