"""The request loop GitHub's and GitLab's clients share: JSON verbs, retries, bounded waiting.

Rate limits are waited out for as long as the server asks, 5xx answers and dropped connections
are retried with exponential backoff, and the total time spent waiting in one run is bounded, so
a CI job fails with a clear message instead of hanging. A subclass says how its service signals a
rate limit and how its errors read; `sleep` and `clock` are injectable for tests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from mochi.errors import PublishError

logger = logging.getLogger(__name__)


class RestClient:
    """JSON requests against one REST API; every failure is the subclass's PublishError."""

    service = "the API"  # for messages: "GitHub", "GitLab"
    url_setting = "the API URL"  # what to check when nothing answers

    def __init__(
        self,
        http: httpx.Client,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_wait_s: float = 120.0,
        max_attempts: int = 5,
    ) -> None:
        """`max_wait_s` bounds the total time spent waiting on rate limits and backoff in this run."""
        self.http = http
        self._sleep = sleep
        self._clock = clock
        self.max_wait_s = max_wait_s
        self.max_attempts = max_attempts
        self.waited_s = 0.0

    # ------------------------------------------------------------------ what a service specifies

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds the service asks us to wait, or None when `response` is not a rate limit."""
        return None

    def failure(self, what: str, response: httpx.Response, *, limited: bool) -> PublishError:
        """The error for a refused request, with what the user should check."""
        return self.api_error(f"{self.service} refused {what} ({response.status_code})", response.status_code)

    def api_error(self, message: str, status: int) -> PublishError:
        """The service's error class for `message` (status 0: no answer)."""
        return PublishError(message)

    # ------------------------------------------------------------------ verbs

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` and return its JSON."""
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """POST a JSON body and return the JSON answer (None for an empty one, e.g. 204)."""
        response = self.request("POST", path, json=body or {})
        return response.json() if response.content else None

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        """PATCH a JSON body and return the JSON answer."""
        return self.request("PATCH", path, json=body).json()

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        """PUT a JSON body and return the JSON answer."""
        return self.request("PUT", path, json=body).json()

    # ------------------------------------------------------------------ the one request loop

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request, waiting out rate limits and retrying 5xx within the bounds."""
        what = f"{method} {_short(path)}"
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.http.request(method, path, json=json, params=params)
            except httpx.TransportError as exc:
                if attempt == self.max_attempts:
                    raise self.api_error(
                        f"{self.service} did not answer {what} ({type(exc).__name__}): check "
                        f"{self.url_setting} and the runner's network",
                        0,
                    ) from None
                self._wait(2.0 ** (attempt - 1), what, f"no answer ({type(exc).__name__})", 0)
                continue
            status = response.status_code
            if status < 400:
                return response
            limit_wait = self.rate_limit_wait(response)
            if limit_wait is not None and attempt < self.max_attempts:
                self._wait(limit_wait, what, "rate limited", status)
                continue
            if status >= 500 and attempt < self.max_attempts:
                self._wait(2.0 ** (attempt - 1), what, f"server error {status}", status)
                continue
            raise self.failure(what, response, limited=limit_wait is not None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, seconds: float, what: str, why: str, status: int) -> None:
        if self.waited_s + seconds > self.max_wait_s:
            raise self.api_error(
                f"{self.service} kept refusing {what} ({why}); waiting {seconds:.0f} s more would pass "
                f"the limit of {self.max_wait_s:.0f} s. Re-run the job later",
                status,
            )
        logger.warning("%s: %s on %s; retrying in %.1f s", self.service, why, what, seconds)
        self.waited_s += seconds
        self._sleep(seconds)


def seconds_until(reset: str | None, clock: Callable[[], float], default: float = 60.0) -> float:
    """Seconds until a Unix-time reset header (plus one), or `default` when it is missing or bad."""
    try:
        return max(0.0, float(reset) - clock()) + 1.0 if reset else default
    except ValueError:
        return default


def retry_after(value: str | None) -> float | None:
    """A Retry-After header in seconds (None when absent); a date or garbage counts as 60 s."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return 60.0


def _short(path: str) -> str:
    # a `next` link is absolute: log only its path and query, never a host with credentials
    return httpx.URL(path).raw_path.decode("ascii", "replace") if "://" in path else path
