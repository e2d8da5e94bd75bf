"""`mochi db` and `mochi reviews`: the review record (they stand in for the system design's REST
resources). Models and templates are in store_admin.py, integrations in store_integrations.py.

The database is MOCHI_DATABASE_URL, else the local SQLite file in the user's data directory
(MOCHI_DATA_DIR). Every listing takes `--json` (a versioned contract: `{"version": 1, ...}`).
Heavy modules are imported inside the commands: this module is imported by `mochi --version`.

The `--json` keys are the system design's column names (review_type, repo_path, github_owner,
github_repo, base_commit, head_commit, ai_model; file_path, line_number, comment_type,
suggested_code, metadata; action, timestamp; model_name, api_endpoint, config, is_active; type,
name). Version 1 only added them: the names it had before are still there, as aliases with the
same values (`ALIASES` in mochi.store.reviews, model_configs and integrations), and go in version 2.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mochi.settings import Settings

JSON_VERSION = 1
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


# --------------------------------------------------------------------------- shared helpers


@contextmanager
def handling() -> Iterator[None]:
    """cli.py's error handler, with database errors turned into StoreErrors that say where."""
    from sqlalchemy.exc import SQLAlchemyError

    from mochi.commands.runtime import errors as _errors
    from mochi.store.db import describe
    from mochi.store.errors import StoreError

    with _errors():
        try:
            yield
        except SQLAlchemyError as exc:
            raise StoreError(f"the database failed: {describe(exc)}") from exc


def load_settings() -> Settings:
    """Settings from the environment and the current repository's .mochi.toml (like `config show`)."""
    from mochi.commands.compose import load_settings as load
    from mochi.commands.compose import repository_root

    _, root = repository_root(None)
    settings, _ = load(os.environ, {}, root)
    return settings


def open_engine(settings: Settings | None = None) -> Engine:
    from mochi.store.session import open_store

    return open_store(settings or load_settings())


def emit(data: dict[str, Any], as_json: bool, text: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps({"version": JSON_VERSION, **data}, indent=2, default=str))
    else:
        text()


def table(rows: list[list[str]], headers: list[str]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def parse_since(value: str) -> datetime:
    """`7d`, `12h`, `30m`, `2w`, or an ISO date/datetime (UTC unless it says otherwise)."""
    match = re.fullmatch(r"(\d+)\s*([mhdw])", value.strip())
    if match:
        n, unit = int(match.group(1)), match.group(2)
        delta = {
            "m": timedelta(minutes=n),
            "h": timedelta(hours=n),
            "d": timedelta(days=n),
            "w": timedelta(weeks=n),
        }
        return datetime.now(UTC) - delta[unit]
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"'{value}': use 7d, 12h, 30m, 2w or a date like 2025-01-31") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _short(value: str | None, width: int) -> str:
    value = value or "-"
    return value if len(value) <= width else value[: width - 1] + "…"


def _when(iso: str | None) -> str:
    return iso[:19].replace("T", " ") if iso else "-"


# --------------------------------------------------------------------------- reviews


@click.group()
def reviews() -> None:
    """Recorded reviews: list, show, comments, delete, retry."""


@reviews.command("list")
@click.option("--repo", help="Only this repository (any part of its name or path).")
@click.option("--pr", "pr_number", type=int, help="Only this pull/merge request number.")
@click.option(
    "--status",
    type=click.Choice(["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"], case_sensitive=False),
    help="Only reviews in this state.",
)
@click.option("--since", help="Only reviews since: 7d, 12h, 2w or a date (2025-01-31).")
@click.option(
    "--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="At most this many."
)
@click.option(
    "--all",
    "every",
    is_flag=True,
    help="Every repository's reviews (default inside a checkout: only this repository's).",
)
@json_option
def reviews_list(
    repo: str | None,
    pr_number: int | None,
    status: str | None,
    since: str | None,
    limit: int,
    every: bool,
    as_json: bool,
) -> None:
    """Recorded reviews, newest first: inside a checkout, only that repository's (--all for every one)."""
    with handling():
        from mochi.store import reviews as repo_

        since_at = parse_since(since) if since else None
        here = None if repo or every else _this_repository(Path.cwd())
        rows = repo_.list_reviews(
            open_engine(),
            repository=repo,
            repositories=here,
            pr_number=pr_number,
            status=status,
            since=since_at,
            limit=limit,
        )

        def text() -> None:
            if not rows:
                click.echo("no recorded reviews" + (" match" if repo or pr_number or status or since else "")
                           + (f" of {here[0]} (--all: every repository's)" if here else ""))  # fmt: skip
                return
            table(
                [
                    [
                        str(r["id"]),
                        r["status"],
                        _when(r["created_at"]),
                        _short(r["repository"], 40),
                        _short(f"PR #{r['pr_number']}" if r["pr_number"] else r["target_label"], 30),
                        _short(r["ai_model"] or "builtin", 30),
                        str(r["findings_count"]),
                        str(r["prompt_tokens"] + r["completion_tokens"]),
                        r["cost"] or "-",
                    ]
                    for r in rows
                ],
                [
                    "ID",
                    "STATUS",
                    "CREATED (UTC)",
                    "REPOSITORY",
                    "TARGET",
                    "MODEL",
                    "FINDINGS",
                    "TOKENS",
                    "COST",
                ],
            )

        emit({"reviews": rows}, as_json, text)


def _this_repository(cwd: Path) -> list[str] | None:
    """The names this checkout's reviews are recorded under: its path (local reviews) and the
    `owner/name` of its origin (pull requests), or None outside a checkout."""
    from mochi.diff.git import Git
    from mochi.errors import TargetError

    try:
        git = Git(cwd)
    except TargetError:
        return None
    names = [str(git.toplevel())]
    match = re.search(r"[:/]([^/:]+/[^/]+?)(?:\.git)?/?$", git.remote_url("origin") or "")
    if match:
        names.append(match.group(1))
    return names


@reviews.command("show")
@click.argument("review_id", type=int)
@json_option
def reviews_show(review_id: int, as_json: bool) -> None:
    """One review: what was reviewed, by which model, the summary, history and comments."""
    with handling():
        from mochi.store import reviews as repo_

        data = repo_.get_review(open_engine(), review_id)
        emit({"review": data}, as_json, lambda: _print_review(data))


def _print_review(r: dict[str, Any]) -> None:
    used = r["ai_model"] or "built-in checks only"
    asked = f"{r['requested_provider']}/{r['requested_model']}"
    lines = [
        f"review {r['id']}  {r['status']}  (attempt {r['attempts']})",
        f"repository   {r['repository']}  {r['review_type']}"
        + (f" #{r['pr_number']}" if r["pr_number"] else ""),
        f"target       {r['target_label']}"
        + (f"  ({r['base_commit'][:12]}...{(r['head_commit'] or '')[:12]})" if r["base_commit"] else ""),
        f"model        {used}" + (f"  (asked for {asked})" if r["ai_model"] and asked != used else ""),
        f"tokens       {r['prompt_tokens']} prompt + {r['completion_tokens']} completion"
        f" in {r['llm_calls']} call(s)",
        f"duration     {r['duration_s']} s" if r["duration_s"] is not None else "duration     -",
        f"cost         {r['cost'] or '-'}",
        f"created      {_when(r['created_at'])}  started {_when(r['started_at'])}  "
        f"completed {_when(r['completed_at'])}",
    ]
    if r["error"]:
        lines.append(f"error        {r['error']}")
    for line in lines:
        click.echo(line)
    summary = (r["summary"] or {}).get("overall_assessment")
    if summary:
        click.echo(f"\n{summary}")
    click.echo("\nhistory:")
    for h in r["history"]:
        details = {k: v for k, v in h["details"].items() if v not in (None, "", [], {})}
        click.echo(
            f"  {_when(h['timestamp'])}  {h['action']:<9}  {json.dumps(details) if details else ''}".rstrip()
        )
    click.echo(f"\n{len(r['comments'])} comment(s):")
    _print_comments(r["comments"])


def _print_comments(comments: list[dict[str, Any]]) -> None:
    for c in comments:
        where = c["file_path"] + (f":{c['line_number']}" if c["line_number"] else "")
        click.echo(f"  [{c['severity']}] {where}  ({c['comment_type']}, {c['source']})")
        click.echo(f"      {c['message']}")
        if c["suggested_code"]:
            click.echo(f"      suggestion: {c['suggested_code']}")
        if c["posted_url"] or c["posted_comment_id"]:
            click.echo(f"      posted: {c['posted_url'] or c['posted_comment_id']}")


@reviews.command("comments")
@click.argument("review_id", type=int)
@json_option
def reviews_comments(review_id: int, as_json: bool) -> None:
    """Every finding of a review, with where it was posted."""
    with handling():
        from mochi.store import reviews as repo_

        rows = repo_.review_comments(open_engine(), review_id)
        emit({"review_id": review_id, "comments": rows}, as_json, lambda: _print_comments(rows))


@reviews.command("delete")
@click.argument("review_id", type=int)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
def reviews_delete(review_id: int, yes: bool, as_json: bool) -> None:
    """Delete a review with its comments and history."""
    with handling():
        from mochi.store import reviews as repo_

        engine = open_engine()
        repo_.get_review(engine, review_id)  # a clear error before asking about a review that is not there
        if not yes:
            click.confirm(f"Delete review {review_id} with its comments and history?", abort=True)
        repo_.delete_review(engine, review_id)
        emit({"deleted": review_id}, as_json, lambda: click.echo(f"deleted review {review_id}"))


@reviews.command("retry")
@click.argument("review_id", type=int)
@click.option("--provider", help="Use this provider instead of the recorded one.")
@click.option("--model", help="Use this model instead of the recorded one.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json", "sarif", "junit", "codequality"]),
    help="What to print on stdout (default: text).",
)
@click.option(
    "--output", "outputs", multiple=True, metavar="FORMAT=PATH", help="Also write FORMAT to PATH (repeatable)"
)
@click.option("-v", "--verbose", count=True, help="More logging on stderr (-vv for debug).")
@click.pass_context
def reviews_retry(
    ctx: click.Context,
    review_id: int,
    provider: str | None,
    model: str | None,
    fmt: str | None,
    outputs: tuple[str, ...],
    verbose: int,
) -> None:
    """Run a recorded review again (a failed or interrupted one), in the same record.

    The target is re-read: a range of commits is the same change; the working tree is what it is now.
    Exits like `mochi review`.
    """
    with handling():
        from mochi.store import reviews as repo_

        data = repo_.get_review(open_engine(), review_id)
        params = retry_params(data)
    if provider or model:
        params.update(provider=provider, model=model)
    params.update(fmt=fmt, outputs=outputs, verbose=verbose)
    root = ctx.find_root()
    assert isinstance(root.command, click.Group)
    review_command = root.command.get_command(root, "review")
    assert review_command is not None
    ctx.meta["mochi.retry_of"] = review_id  # read by `mochi review` to resume this row
    ctx.invoke(review_command, **params)


def retry_params(data: dict[str, Any]) -> dict[str, Any]:
    """The `mochi review` parameters that re-run a recorded review."""
    from mochi.errors import UsageError

    target = data["target"]
    options = data.get("options") or {}
    kind = target.get("kind")
    params: dict[str, Any] = {
        "provider": options.get("provider"),
        "model": options.get("model"),
        "fallback": tuple(options.get("fallback") or ()),
        "include": tuple(options.get("include") or ()),
        "exclude": tuple(options.get("exclude") or ()),
        "no_builtin": options.get("builtin") is False,
    }
    repo = target.get("repo") or data["repository"]
    if kind == "worktree":
        params.update(repo=Path(repo), base=target.get("base"))
    elif kind == "staged":
        params.update(repo=Path(repo), staged=True)
    elif kind == "range":
        params.update(
            repo=Path(repo),
            base=target.get("base_sha") or target.get("base"),
            head=target.get("head_sha") or target.get("head"),
        )
    elif kind == "diff_file" and options.get("diff_file"):
        params.update(repo=Path(repo), diff_file=options["diff_file"])
    elif kind == "pull_request" and "/pull/" in str(target.get("url") or "") and data.get("pr_number"):
        # a GitHub pull request: review it again through the API (GITHUB_TOKEN), like `review --pr`
        params.update(pr=f"{data['repository']}#{data['pr_number']}")
    elif kind == "diff_file":
        raise UsageError(
            f"review {data['id']} read its diff from stdin, which cannot be read again: pipe it again"
        )
    else:
        raise UsageError(
            f"review {data['id']} is a {kind} review: re-run it from its CI job (or the `mochi` command "
            "that reviews pull requests)"
        )
    return params
