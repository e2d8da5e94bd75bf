"""`mochi serve`'s application from its options and the environment, in one process or in each of
`--processes` (uvicorn starts them with `from_environment`, the options passed as JSON in
MOCHI_SERVE_OPTIONS: a setting, never a secret; the secrets stay in the environment they inherit).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from mochi.errors import UsageError

if TYPE_CHECKING:
    from fastapi import FastAPI
    from sqlalchemy import Engine

    from mochi.server.routes.webhooks import Webhooks
    from mochi.settings import Settings

ENV = "MOCHI_SERVE_OPTIONS"


@dataclass
class ServeOptions:
    """The flags of `mochi serve` that shape the application."""

    max_body: int = 1_000_000
    repo_roots: list[str] = field(default_factory=list)
    workers: int = 2
    shutdown_grace: float = 5.0
    rate_limit: str = "600/minute"
    ip_rate_limit: str = "1200/minute"
    rate_limit_storage: str = "memory://"
    key_cache_s: float = 5.0
    request_threads: int = 4
    reads: str = "auto"
    review_drafts: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        return cls(**json.loads(text))

    def check_processes(self, settings: Settings, environ: Mapping[str, str], processes: int) -> None:
        """UsageError when `processes` server processes cannot keep the promises one does."""
        from mochi.server.ratelimit import RateLimits
        from mochi.store.session import database_url

        url = database_url(settings) or ""
        webhooks = environ.get("MOCHI_GITHUB_WEBHOOK_SECRET") or environ.get("MOCHI_GITLAB_WEBHOOK_TOKEN")
        RateLimits.check(self.rate_limit, self.ip_rate_limit, self.rate_limit_storage)
        if webhooks and not url.startswith("postgresql"):
            raise UsageError(
                f"--processes {processes} with webhooks needs the record on PostgreSQL (the queue): with "
                "SQLite each process would run its own reviews of the same change; use --processes 1"
            )


def build(options: ServeOptions, environ: Mapping[str, str], *, say: Callable[[str], None]) -> FastAPI:
    """The application over the record the environment names (migrated already by `mochi serve`)."""
    from mochi.commands.store import load_settings, open_engine
    from mochi.server.app import create_app
    from mochi.server.auth import KeyCache
    from mochi.server.ratelimit import RateLimits
    from mochi.server.reads import Reads
    from mochi.store.session import cipher_for

    settings = load_settings()
    engine = open_engine(settings)
    limits = RateLimits.check(options.rate_limit, options.ip_rate_limit, options.rate_limit_storage)
    return create_app(
        engine,
        cipher=cipher_for(settings),
        max_body_bytes=options.max_body,
        environ=dict(environ),
        repo_roots=[Path(r) for r in options.repo_roots],
        workers=options.workers,
        shutdown_grace_s=options.shutdown_grace,
        rate_limits=limits,
        key_cache=KeyCache(ttl_s=options.key_cache_s),
        request_threads=options.request_threads,
        reads=cast(Reads, options.reads),
        hooks=webhooks(
            settings, engine, environ, workers=options.workers, review_drafts=options.review_drafts, say=say
        ),
    )


def from_environment() -> FastAPI:
    """The application of one of `--processes` server processes (uvicorn's factory)."""
    options = ServeOptions.from_json(os.environ[ENV])
    return build(options, os.environ, say=lambda _line: None)  # the parent said it all once


def webhooks(
    settings: Settings,
    engine: Engine,
    environ: Mapping[str, str],
    *,
    workers: int,
    review_drafts: bool,
    say: Callable[[str], None],
) -> Webhooks | None:
    """The webhook settings from MOCHI_GITHUB_WEBHOOK_SECRET / MOCHI_GITLAB_WEBHOOK_TOKEN (None when
    neither is set) and where their reviews run: the queue (a PostgreSQL record) or this process."""
    from mochi.server.dispatch import Dispatcher
    from mochi.server.routes.webhooks import Webhooks
    from mochi.store.session import cipher_for, database_url

    github_secret = environ.get("MOCHI_GITHUB_WEBHOOK_SECRET", "")
    gitlab_token = environ.get("MOCHI_GITLAB_WEBHOOK_TOKEN", "")
    if not (github_secret or gitlab_token):
        return None
    url = database_url(settings) or ""
    dispatcher: Dispatcher
    if url.startswith("postgresql"):
        from mochi.queue.app import ensure_schema, queue_app
        from mochi.server.dispatch import QueueDispatcher

        ensure_schema(url)
        dispatcher = QueueDispatcher(queue_app(url, sync=True))
        say("webhook reviews go to the queue in the record: run `mochi worker` (one or more) to review them")
    else:
        from mochi.queue.local import LocalQueue
        from mochi.queue.worker import worker_deps
        from mochi.server.dispatch import LocalDispatcher

        deps = worker_deps(engine, cipher_for(settings), environ)
        dispatcher = LocalDispatcher(LocalQueue(deps, workers=workers))
        say(
            "the record is SQLite: webhook reviews run in this process, not on a queue "
            "(nothing survives a restart; MOCHI_DATABASE_URL=postgresql://... and `mochi worker` scale out)"
        )
    hosts = [name for name, on in (("GitHub", github_secret), ("GitLab", gitlab_token)) if on]
    say(f"webhooks: {' and '.join(hosts)} at /api/webhooks/{{github,gitlab}}")
    return Webhooks(
        dispatcher=dispatcher,
        github_secret=github_secret,
        gitlab_token=gitlab_token,
        review_drafts=review_drafts,
    )
