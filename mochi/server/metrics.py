"""Prometheus metrics (`GET /metrics`, no key needed), in a registry of the app's own.

mochi_http_requests_total{route, method, status}        requests answered
mochi_http_request_duration_seconds{route, method}      how long they took (histogram)
mochi_reviews{status}                                   reviews in the record, read at each scrape
mochi_provider_breaker_open{provider}                   1 while a provider's circuit breaker is open
mochi_provider_breaker_failures{provider}               its consecutive failures

`route` is the route's template (`/api/reviews/{review_id}`), never the raw path, so the number of
series stays bounded; a path no route matches is `unmatched`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mochi.providers.breaker import PROCESS_BREAKERS, BreakerRegistry, State
from mochi.store.models import STATUSES, ReviewRow

logger = logging.getLogger(__name__)


class ReviewsByStatus(Collector):
    """mochi_reviews{status}: a count per status, from the database at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """One gauge sample per status (0 for a status no review has)."""
        gauge = GaugeMetricFamily("mochi_reviews", "Reviews in the record, by status.", labels=["status"])
        try:
            with self.engine.connect() as conn:
                counts = dict(
                    conn.execute(select(ReviewRow.status, func.count()).group_by(ReviewRow.status)).all()
                )
        except Exception as exc:  # a scrape must not fail because the database is away
            logger.warning("mochi_reviews: the database could not be read (%s)", type(exc).__name__)
            return
        for status in STATUSES:
            gauge.add_metric([status], float(counts.get(status, 0)))
        yield gauge


class ProviderBreakers(Collector):
    """The circuit breakers of this process's providers (mochi.providers.breaker), at scrape time."""

    def __init__(self, breakers: BreakerRegistry) -> None:
        self.breakers = breakers

    def collect(self) -> Iterator[Metric]:
        """One sample per provider, base URL and model a review has used."""
        opened = GaugeMetricFamily(
            "mochi_provider_breaker_open", "1 while the provider's breaker is open.", labels=["provider"]
        )
        failures = GaugeMetricFamily(
            "mochi_provider_breaker_failures", "The provider's consecutive failures.", labels=["provider"]
        )
        for status in self.breakers.statuses():
            opened.add_metric([status.label], 0.0 if status.state is State.CLOSED else 1.0)
            failures.add_metric([status.label], float(status.failures))
        yield opened
        yield failures


def install(app: FastAPI, engine: Engine, breakers: BreakerRegistry | None = None) -> CollectorRegistry:
    """The app's registry, with the request middleware, the review collector and the breakers'."""
    registry = CollectorRegistry()
    requests = Counter(
        "mochi_http_requests", "HTTP requests answered.", ["route", "method", "status"], registry=registry
    )
    duration = Histogram(
        "mochi_http_request_duration_seconds",
        "Time to answer an HTTP request.",
        ["route", "method"],
        registry=registry,
    )
    registry.register(ReviewsByStatus(engine))
    registry.register(ProviderBreakers(breakers if breakers is not None else PROCESS_BREAKERS))

    app.add_middleware(Measure, requests=requests, duration=duration)
    return registry


class Measure:
    """Pure ASGI middleware counting each request and its duration (Starlette's BaseHTTPMiddleware
    costs a task group and a stream per request: measurable under load)."""

    def __init__(self, app: ASGIApp, *, requests: Counter, duration: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.duration = duration

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; count it when its response starts (or fails)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = str(scope.get("method", "?"))
            self.duration.labels(route, method).observe(time.perf_counter() - start)
            self.requests.labels(route, method, str(status[0])).inc()
