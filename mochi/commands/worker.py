"""`mochi worker` (run queued reviews) and `mochi jobs` (list, retry, cancel them).

Both need the record on PostgreSQL (MOCHI_DATABASE_URL=postgresql://...), where the queue lives.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import click

from mochi.commands.store import emit, handling, json_option, load_settings, open_engine, table


def _queue_url() -> tuple[Any, str]:
    """(settings, the record's URL) after checking the queue can live there."""
    from mochi.queue.app import conninfo
    from mochi.store.session import database_url

    settings = load_settings()
    url = database_url(settings) or "sqlite://"
    conninfo(url)  # UsageError with what to do on SQLite
    return settings, url


@click.command()
@click.option(
    "--concurrency",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Reviews this worker runs at the same time.",
)
@click.option(
    "--lease",
    "lease_s",
    default=60.0,
    show_default=True,
    type=click.FloatRange(2, 3600),
    help="Seconds without a heartbeat after which a worker's running jobs are given to another worker.",
)
@click.option(
    "--shutdown-grace",
    "grace_s",
    default=300.0,
    show_default=True,
    type=click.FloatRange(0, 86400),
    help="On SIGTERM, seconds running reviews get to finish before they are cancelled (and requeued).",
)
@click.option(
    "--name", default=None, help="This worker's name in `mochi jobs list` (default: mochi-worker-PID)."
)
@click.option("-v", "--verbose", count=True, help="-v: the queue library's own log lines too; -vv: debug.")
def worker(concurrency: int, lease_s: float, grace_s: float, name: str | None, verbose: int) -> None:
    """Run queued reviews (from `mochi serve`'s webhooks) until SIGTERM (the record on PostgreSQL).

    Any number of workers, on any number of machines, can share one PostgreSQL record."""
    with handling():
        import asyncio
        import logging

        from mochi.commands.runtime import progress, setup_logging

        # a worker's log is its jobs' story: what it took, reviewed, skipped and why, at INFO
        setup_logging(1 + max(0, verbose - 1))
        if verbose == 0:
            logging.getLogger("procrastinate").setLevel(logging.WARNING)
        from mochi.queue.app import ensure_schema, queue_app
        from mochi.queue.worker import run, worker_deps
        from mochi.store.session import cipher_for

        settings, url = _queue_url()
        engine = open_engine(settings)
        if ensure_schema(url):
            progress("created the queue's tables (procrastinate's schema) in the record")
        deps = worker_deps(engine, cipher_for(settings), os.environ)
        progress(
            f"worker: {concurrency} review(s) at a time; "
            + (
                "GitHub App configured"
                if deps.app_tokens is not None
                else "no GitHub App (GITHUB_TOKEN is used)"
            )
        )
        asyncio.run(
            run(queue_app(url), deps, concurrency=concurrency, lease_s=lease_s, grace_s=grace_s, name=name)
        )
        progress("worker stopped")


@click.group()
def jobs() -> None:
    """Queued review jobs: list, retry, cancel."""


def _job_dict(job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "change": job.lock,
        "head_sha": job.task_kwargs.get("head_sha"),
        "action": job.task_kwargs.get("action"),
        "attempts": job.attempts,
        "scheduled_at": job.scheduled_at.isoformat() if job.scheduled_at else None,
        "worker_id": getattr(job, "worker_id", None),
    }


@jobs.command("list")
@click.option(
    "--status",
    type=click.Choice(["todo", "doing", "succeeded", "failed", "cancelled", "aborted"]),
    help="Only jobs in this state.",
)
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(1, 10_000), help="At most this many."
)
@json_option
def list_jobs(status: str | None, limit: int, as_json: bool) -> None:
    """Jobs, newest first."""
    with handling():
        from mochi.queue.app import QUEUE, queue_app

        _, url = _queue_url()
        app = queue_app(url, sync=True)
        with app.open():
            found = app.job_manager.list_jobs(queue=QUEUE, status=status)
        rows = [_job_dict(j) for j in sorted(found, key=lambda j: j.id or 0, reverse=True)[:limit]]

        def text() -> None:
            if not rows:
                click.echo("no jobs" + (f" {status}" if status else ""))
                return
            table(
                [
                    [
                        str(r["id"]),
                        str(r["status"]),
                        str(r["change"]),
                        (r["head_sha"] or "-")[:12],
                        str(r["attempts"]),
                    ]
                    for r in rows
                ],
                ["id", "status", "change", "head", "attempts"],
            )

        emit({"jobs": rows}, as_json, text)


@jobs.command("retry")
@click.argument("job_id", type=int)
def retry_job(job_id: int) -> None:
    """Run a failed job again, now (one more attempt)."""
    with handling():
        from mochi.errors import UsageError
        from mochi.queue.app import QUEUE, queue_app

        _, url = _queue_url()
        app = queue_app(url, sync=True)
        with app.open():
            found = app.job_manager.list_jobs(id=job_id, queue=QUEUE)
            if not found:
                raise UsageError(f"there is no job {job_id}: `mochi jobs list` shows them")
            job = found[0]
            if job.status != "failed":
                raise UsageError(f"job {job_id} is {job.status}: only a failed job can be retried")
            app.job_manager.retry_job_by_id(job_id, retry_at=datetime.now(UTC))
        click.echo(f"job {job_id} is queued again")


@jobs.command("cancel")
@click.argument("job_id", type=int)
def cancel_job(job_id: int) -> None:
    """Cancel a waiting job (a running one finishes)."""
    with handling():
        from mochi.errors import UsageError
        from mochi.queue.app import QUEUE, queue_app

        _, url = _queue_url()
        app = queue_app(url, sync=True)
        with app.open():
            found = app.job_manager.list_jobs(id=job_id, queue=QUEUE)
            if not found:
                raise UsageError(f"there is no job {job_id}: `mochi jobs list` shows them")
            if not app.job_manager.cancel_job_by_id(job_id):
                raise UsageError(
                    f"job {job_id} is {found[0].status}: only a waiting (todo) job can be cancelled"
                )
        click.echo(f"job {job_id} is cancelled")
