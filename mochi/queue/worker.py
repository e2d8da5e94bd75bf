"""`mochi worker`: run review jobs from the queue, N at a time, until SIGTERM.

Each worker sends a heartbeat every `lease_s / 3` seconds. A worker that stops sending them (killed,
its machine gone) loses its jobs after `lease_s`: any other worker finds them (`reap`, every
`lease_s / 2` seconds) and puts them back on the queue, where the next attempt resumes the review
row; comments already posted are recognised by their fingerprints and not posted again. On SIGTERM
or SIGINT a worker takes no new job and lets the running ones finish (`grace_s`, then they are
cancelled and, being "doing" with no heartbeat, taken over by another worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mochi.errors import UsageError
from mochi.queue.app import QUEUE
from mochi.queue.review import WorkerDeps

if TYPE_CHECKING:
    import procrastinate
    from sqlalchemy import Engine

    from mochi.platforms.github.app_auth import InstallationTokens
    from mochi.store.crypto import Cipher

logger = logging.getLogger(__name__)

APP_ID = "MOCHI_GITHUB_APP_ID"
APP_KEY = "MOCHI_GITHUB_APP_PRIVATE_KEY"
APP_KEY_FILE = "MOCHI_GITHUB_APP_PRIVATE_KEY_FILE"


def worker_deps(engine: Engine, cipher: Cipher, environ: Mapping[str, str]) -> WorkerDeps:
    """The jobs' dependencies from the process's environment and the record."""
    from mochi.platforms.github.client import DEFAULT_API_URL
    from mochi.server.jobs import Composer

    api_url = environ.get("GITHUB_API_URL") or DEFAULT_API_URL
    return WorkerDeps(
        engine=engine,
        composer=Composer(engine=engine, cipher=cipher, environ=dict(environ)),
        github_api_url=api_url,
        app_tokens=app_tokens(engine, cipher, environ, api_url),
        environ=dict(environ),
    )


def app_tokens(
    engine: Engine, cipher: Cipher, environ: Mapping[str, str], api_url: str
) -> InstallationTokens | None:
    """The GitHub App's installation tokens: MOCHI_GITHUB_APP_ID with MOCHI_GITHUB_APP_PRIVATE_KEY(_FILE),
    else the stored github integration (`mochi integrations set github --app-id ID --private-key-file F`)."""
    app_id = environ.get(APP_ID, "").strip()
    key = environ.get(APP_KEY, "")
    if app_id and not key and environ.get(APP_KEY_FILE):
        path = Path(environ[APP_KEY_FILE]).expanduser()
        try:
            key = path.read_text()
        except OSError as exc:
            raise UsageError(
                f"cannot read the GitHub App's private key {path} ({APP_KEY_FILE}): {exc.strerror}"
            ) from None
    if not app_id:
        from mochi.store.integrations import load_integration

        try:
            stored = load_integration(engine, cipher, "github", active_only=True)
        except Exception as exc:  # a record without the table, a wrong secret key: say it, go on
            logger.warning("could not read the stored GitHub integration: %s", type(exc).__name__)
            stored = None
        if stored is not None and stored.settings.get("app_id") and stored.credentials.get("private_key"):
            app_id, key = str(stored.settings["app_id"]), stored.credentials["private_key"]
    if not app_id:
        return None
    if not key:
        raise UsageError(
            f"{APP_ID} is set but the App's private key is not: set {APP_KEY_FILE} to its .pem file"
        )
    import httpx

    from mochi.platforms.github.app_auth import InstallationTokens

    client = httpx.Client(base_url=api_url, timeout=30.0)
    return InstallationTokens(client, app_id=app_id, private_key=key)


async def reap(app: procrastinate.App, lease_s: float, stop: asyncio.Event) -> None:
    """Put back on the queue the jobs of workers silent for `lease_s` (every lease_s / 2)."""
    while not stop.is_set():
        try:
            for job in await app.job_manager.get_stalled_jobs(queue=QUEUE, seconds_since_heartbeat=lease_s):
                logger.warning("job %s: its worker stopped answering; it goes back on the queue", job.id)
                await app.job_manager.retry_job(job)
        except Exception as exc:  # the database restarting: the next round tries again
            logger.warning("could not look for stalled jobs: %s", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=lease_s / 2)


async def run(
    app: procrastinate.App,
    deps: WorkerDeps,
    *,
    concurrency: int,
    lease_s: float,
    grace_s: float,
    name: str | None = None,
) -> None:
    """Run jobs until SIGTERM/SIGINT (procrastinate's handlers stop it gracefully)."""
    stop = asyncio.Event()
    async with app.open_async():
        reaper = asyncio.create_task(reap(app, lease_s, stop))
        try:
            await app.run_worker_async(
                queues=[QUEUE],
                name=name or f"mochi-worker-{os.getpid()}",
                concurrency=concurrency,
                additional_context={"deps": deps},
                update_heartbeat_interval=max(0.5, lease_s / 3),
                stalled_worker_timeout=lease_s,
                shutdown_graceful_timeout=grace_s,
                install_signal_handlers=True,
                delete_jobs="never",
            )
        finally:
            stop.set()
            reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reaper
