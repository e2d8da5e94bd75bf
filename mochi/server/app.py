"""The application factory: everything it needs comes in as an argument (no environment here)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import Depends, FastAPI
from sqlalchemy import Engine

from mochi import __version__
from mochi.providers.breaker import PROCESS_BREAKERS, BreakerRegistry
from mochi.server import envelope, metrics, ratelimit
from mochi.server.auth import KeyCache
from mochi.server.checkout import resolved_roots
from mochi.server.jobs import Composer, Runner
from mochi.server.limits import BodyLimit
from mochi.server.reads import Reads, on_loop
from mochi.server.routes import health, integrations, keys, models, reviews, templates, webhooks
from mochi.store.crypto import Cipher
from mochi.store.models import utcnow

MAX_BODY_BYTES = 1_000_000

DESCRIPTION = """The review record of Sonar-Mochi as a REST API.

Every `/api` response is an envelope: `{"success": true, "data": ..., "error": null}`, or on
failure `{"success": false, "data": null, "error": {"code", "message", "details", "timestamp"}}`.
Authenticate with `Authorization: Bearer <key>` (`mochi apikeys create NAME --role ROLE`):
readers may GET, reviewers may also create, retry and delete reviews, admins may also manage
models, templates, integrations and keys. `/healthz`, `/readyz` and `/metrics` need no key.
"""


def create_app(
    engine: Engine,
    *,
    cipher: Cipher | None = None,
    clock: Callable[[], datetime] = utcnow,
    max_body_bytes: int = MAX_BODY_BYTES,
    environ: Mapping[str, str] | None = None,
    repo_roots: Sequence[Path] = (),
    workers: int = 2,
    shutdown_grace_s: float = 5.0,
    rate_limits: ratelimit.RateLimits | None = None,
    breakers: BreakerRegistry | None = None,
    key_cache: KeyCache | None = None,
    request_threads: int = 4,
    reads: Reads = "auto",
    hooks: webhooks.Webhooks | None = None,
) -> FastAPI:
    """The FastAPI application over `engine` (migrated already); `cipher` encrypts credentials.

    Reviews created over the API are composed from `environ` (the server's environment: provider
    URLs and keys, MOCHI_*), may only read checkouts under `repo_roots`, and run on `workers`
    threads; at shutdown, running reviews get `shutdown_grace_s` before they are marked FAILED.
    `rate_limits` (mochi.server.ratelimit) answers 429 past a key's or an address's limit.
    `breakers`: the providers' circuit breakers, shared by every review of the app and reported by
    /metrics (default: the process's, PROCESS_BREAKERS).
    `key_cache`: how long a valid API key is remembered (mochi.server.auth.KeyCache; default 5 s).
    `request_threads`: the threads requests' database work runs on (not the reviews': `workers`).
    `reads`: where the read endpoints' queries run (mochi.server.reads): the event loop, those
    threads, or auto (the loop for SQLite, the threads otherwise).
    `hooks`: the webhook secrets and where their reviews go (none: the webhook routes answer 503).
    """
    runner = Runner(engine, workers=workers, grace_s=shutdown_grace_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        import anyio.to_thread

        # the endpoints' database work runs on these threads; it holds the GIL nearly all the time,
        # so more threads than a few add only switching (measured: p99 halves from 40 threads to 2)
        anyio.to_thread.current_default_thread_limiter().total_tokens = request_threads
        yield
        runner.shutdown()
        if hooks is not None and hooks.dispatcher is not None:
            hooks.dispatcher.close()

    app = FastAPI(
        title="Sonar-Mochi",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(ratelimit.dependency)],
    )
    app.state.rate_limits = rate_limits
    app.state.engine = engine
    app.state.reads_on_loop = on_loop(reads, engine)
    app.state.webhooks = hooks
    app.state.key_cache = key_cache if key_cache is not None else KeyCache()
    app.state.cipher = cipher or Cipher(None)
    app.state.runner = runner
    breakers = breakers if breakers is not None else PROCESS_BREAKERS
    app.state.composer = Composer(
        engine=engine,
        cipher=app.state.cipher,
        environ=dict(environ or {}),
        roots=resolved_roots(repo_roots),
        breakers=breakers,
    )
    app.state.clock = clock
    envelope.install(app, clock)
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, clock=clock)
    app.state.registry = metrics.install(app, engine, breakers)  # outermost: it counts the 413s too
    if hooks is not None and hooks.dispatcher is not None:
        app.state.registry.register(hooks.dispatcher.collector(engine))
    for module in (health, reviews, models, templates, integrations, keys, webhooks):
        app.include_router(module.router)
    return app
