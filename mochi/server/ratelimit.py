"""Rate limits per API key, per client address and per endpoint, with the `limits` library.

Each request counts against its key's limit (when it sends one) and its address's limit, both per
endpoint (method and route template: `GET /api/reviews/{review_id}`), in a moving window. Past a
limit the answer is 429 RATE_LIMITED with `Retry-After` (seconds). The counters live in memory
(`memory://`, one server) or in a shared store when several servers run behind one address
(`redis://host:6379`, which needs the `redis` package). /healthz, /readyz and /metrics are not
limited: monitoring must always get through.
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from mochi.server.envelope import ApiError

UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RateLimits:
    """The limits of one server: `per_key` and `per_ip` as `limits` strings ("600/minute";
    None: no limit of that kind), counted in `storage` (a `limits` storage URI)."""

    def __init__(self, *, per_key: str | None, per_ip: str | None, storage: str = "memory://") -> None:
        from limits import parse
        from limits.storage import storage_from_string
        from limits.strategies import MovingWindowRateLimiter

        self.per_key = parse(per_key) if per_key else None
        self.per_ip = parse(per_ip) if per_ip else None
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage))
        self.in_memory = storage.startswith("memory://")

    @classmethod
    def check(cls, rate_limit: str, ip_rate_limit: str, storage: str) -> RateLimits:
        """The limits of `mochi serve`'s flags ('none': no limit of that kind); UsageError when wrong."""
        from mochi.errors import UsageError

        try:
            return cls(
                per_key=None if rate_limit.lower() == "none" else rate_limit,
                per_ip=None if ip_rate_limit.lower() == "none" else ip_rate_limit,
                storage=storage,
            )
        except (ValueError, ImportError) as exc:
            raise UsageError(f"bad rate limit settings ({exc}): e.g. --rate-limit 100/minute") from None

    def count(self, request: Request) -> None:
        """Count `request`; ApiError 429 with Retry-After when a limit is exceeded."""
        route = request.scope.get("route")
        path = getattr(route, "path", request.url.path)
        if path in UNLIMITED_PATHS:
            return
        endpoint = f"{request.method} {path}"
        token = _bearer(request)
        if self.per_key is not None and token:
            # the key itself never reaches the store: a short hash names it
            self._hit(self.per_key, "key", hashlib.sha256(token.encode()).hexdigest()[:24], endpoint)
        if self.per_ip is not None:
            self._hit(self.per_ip, "ip", request.client.host if request.client else "?", endpoint)

    def _hit(self, limit: Any, kind: str, who: str, endpoint: str) -> None:
        if self._limiter.hit(limit, kind, who, endpoint):
            return
        reset, _remaining = self._limiter.get_window_stats(limit, kind, who, endpoint)
        retry_after = max(1, math.ceil(reset - time.time()))
        raise ApiError(
            429,
            f"too many requests to {endpoint} from this {'API key' if kind == 'key' else 'address'}: "
            f"at most {limit} (retry in {retry_after} s)",
            code="RATE_LIMITED",
            headers={"Retry-After": str(retry_after)},
        )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def dependency(request: Request) -> None:
    """The app-wide dependency: the app's RateLimits (None: no limits) count the request (in memory on
    the event loop; in a shared store such as Redis on a worker thread, as that is network I/O)."""
    limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    if limits is None:
        return
    if limits.in_memory:
        limits.count(request)
    else:
        await run_in_threadpool(limits.count, request)
