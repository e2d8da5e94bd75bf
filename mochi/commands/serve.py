"""`mochi serve` (the review record as a REST API) and `mochi apikeys` (the keys it accepts).

The server listens on loopback by default. It refuses any other address while no API key exists:
an open port with no key would have nothing to check callers against. Keys are printed once, when
created; the record keeps only their SHA-256.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from mochi.commands.store import emit, handling, json_option, load_settings, open_engine, table

LOOPBACK = ("127.0.0.1", "::1", "localhost")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on."
)
@click.option(
    "--max-body",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(1),
    help="Largest request body accepted, in bytes (413 beyond).",
)
@click.option(
    "--repo-root",
    "repo_roots",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Reviews may read the checkouts under this directory (repeatable; none: POST /api/reviews "
    "answers 403).",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Reviews run at the same time (more wait, PENDING).",
)
@click.option(
    "--shutdown-grace",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 3600),
    help="Seconds running reviews get to finish at shutdown (SIGTERM) before they are marked FAILED.",
)
@click.option(
    "--rate-limit",
    default="600/minute",
    show_default=True,
    help="Requests one API key may make to one endpoint (e.g. 100/minute, 10/second; 'none': no limit).",
)
@click.option(
    "--ip-rate-limit",
    default="1200/minute",
    show_default=True,
    help="Requests one client address may make to one endpoint ('none': no limit).",
)
@click.option(
    "--rate-limit-storage",
    default="memory://",
    show_default=True,
    help="Where the counters live: memory:// (one server) or redis://HOST:6379 (servers sharing them).",
)
@click.option(
    "--threads",
    "request_threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads for the requests' database work (reviews run on --workers threads of their own); "
    "raise it for a database far away, whose queries mostly wait.",
)
@click.option(
    "--reads",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "loop", "threads"]),
    help="Where the read endpoints' queries run: on the event loop (no thread hand-off: the shortest "
    "latency for a record on local disk) or on the --threads threads (queries that wait on the "
    "network, such as PostgreSQL on another host, then do not hold up other requests). auto: the "
    "loop for SQLite, the threads for PostgreSQL.",
)
@click.option(
    "--key-cache",
    "key_cache_s",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0, 300),
    help="Seconds a valid API key is remembered before the database is asked again: a key revoked "
    "by `mochi apikeys revoke` stops working within this time (0: ask on every request).",
)
@click.option(
    "--review-drafts/--no-review-drafts",
    default=False,
    show_default=True,
    help="Review draft pull/merge requests on webhook deliveries (else only when marked ready).",
)
@click.option(
    "--processes",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the port (the API is stateless; give several cores to the requests). "
    "Rate limits are then per process unless --rate-limit-storage is shared (redis://).",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="A log line per request on stderr (uvicorn's access log; costs about a tenth of a request).",
)
def serve(
    access_log: bool,
    host: str,
    port: int,
    max_body: int,
    repo_roots: tuple[Path, ...],
    workers: int,
    shutdown_grace: float,
    rate_limit: str,
    ip_rate_limit: str,
    rate_limit_storage: str,
    key_cache_s: float,
    request_threads: int,
    reads: str,
    review_drafts: bool,
    processes: int,
) -> None:
    """Serve the review record as a REST API (OpenAPI at /openapi.json, docs at /docs).

    Clients authenticate with `Authorization: Bearer <key>` (`mochi apikeys create`); /healthz,
    /readyz and /metrics need no key. Listening beyond loopback needs at least one API key.
    `POST /api/reviews` reviews checkouts under a --repo-root, composed from this process's
    environment and the record (its default model) like `mochi review`, and GitHub pull requests
    like `mochi review --pr` with this process's GITHUB_TOKEN (and GITHUB_API_URL).
    """
    with handling():
        from mochi.errors import UsageError
        from mochi.extras import require

        require("fastapi", "server", "`mochi serve`")
        require("uvicorn", "server", "`mochi serve`")
        require("prometheus_client", "server", "`mochi serve`")
        require("limits", "server", "`mochi serve`")
        require("orjson", "server", "`mochi serve`")
        from mochi.commands.runtime import progress
        from mochi.store.apikeys import has_active_keys

        settings = load_settings()
        engine = open_engine(settings)
        if host not in LOOPBACK and not has_active_keys(engine):
            raise UsageError(
                f"refusing to listen on {host} without an API key: create one first "
                "(`mochi apikeys create NAME --role admin`), or listen on 127.0.0.1"
            )
        import uvicorn

        from mochi.server.factory import ENV, ServeOptions, build

        options = ServeOptions(
            max_body=max_body,
            repo_roots=[str(r) for r in repo_roots],
            workers=workers,
            shutdown_grace=shutdown_grace,
            rate_limit=rate_limit,
            ip_rate_limit=ip_rate_limit,
            rate_limit_storage=rate_limit_storage,
            key_cache_s=key_cache_s,
            request_threads=request_threads,
            reads=reads,
            review_drafts=review_drafts,
        )
        if processes > 1:
            options.check_processes(settings, os.environ, processes)  # and the processes build their own app
        else:
            app = build(options, os.environ, say=progress)
        progress(f"serving the review record on http://{host}:{port} (API docs: /docs)")
        if repo_roots:
            progress("reviews may read the checkouts under " + ", ".join(str(r) for r in repo_roots))
        from mochi.commands.ci import github_token

        if not github_token(os.environ):
            progress("no GITHUB_TOKEN: pull request reviews (owner, repo, pr_number) answer 503")
        common: dict[str, Any] = dict(
            host=host, port=port, log_level="info", access_log=access_log, server_header=False
        )
        if processes == 1:
            uvicorn.run(app, **common)
            return
        progress(
            f"{processes} server processes (rate limits: per process unless --rate-limit-storage is shared)"
        )
        os.environ[ENV] = options.to_json()
        uvicorn.run("mochi.server.factory:from_environment", factory=True, workers=processes, **common)


@click.group()
def apikeys() -> None:
    """API keys of `mochi serve`: reader (GET), reviewer (also reviews), admin (everything)."""


@apikeys.command("create")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(["reader", "reviewer", "admin"]),
    default="reader",
    show_default=True,
    help="What the key may do.",
)
@json_option
def apikeys_create(name: str, role: str, as_json: bool) -> None:
    """Create a key and print it, once: it is not stored, only its hash."""
    with handling():
        from mochi.store.apikeys import create_key

        key_id, key = create_key(open_engine(), name, role)

        def text() -> None:
            click.echo(key)
            click.echo(
                f"mochi: API key '{name}' ({role}) created; copy it now, it is not shown again", err=True
            )

        emit({"key": {"id": key_id, "name": name, "role": role, "key": key}}, as_json, text)


@apikeys.command("list")
@json_option
def apikeys_list(as_json: bool) -> None:
    """The keys: name, role, created, last used, revoked (never the key)."""
    with handling():
        from mochi.store.apikeys import list_keys

        rows = list_keys(open_engine())

        def text() -> None:
            if not rows:
                click.echo("no API keys: `mochi apikeys create NAME --role admin`")
                return
            table(
                [
                    [
                        r["name"],
                        r["role"],
                        _when(r["created_at"]),
                        _when(r["last_used_at"]),
                        _when(r["revoked_at"]),
                    ]
                    for r in rows
                ],
                ["NAME", "ROLE", "CREATED", "LAST USED", "REVOKED"],
            )

        emit({"keys": rows}, as_json, text)


@apikeys.command("revoke")
@click.argument("name")
def apikeys_revoke(name: str) -> None:
    """Revoke a key: it stops working at once (it stays listed)."""
    with handling():
        from mochi.store.apikeys import revoke_key

        revoke_key(open_engine(), name)
        click.echo(f"revoked the API key '{name}'")


def _when(iso: str | None) -> str:
    return iso[:19].replace("T", " ") if iso else "-"
