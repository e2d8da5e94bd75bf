"""The request loop GitHub's and GitLab's clients share: JSON verbs, retries, bounded waiting.

Rate limits are waited out for as long as the server asks, 5xx answers and dropped connections
are retried with exponential backoff, and the total time spent waiting in one run is bounded, so
a CI job fails with a clear message instead of hanging. The loop is tenacity's, as the model
providers' is (mochi.providers.retry); what differs per service is how it signals a rate limit
and how its errors read, which a subclass says. `sleep` and `clock` are injectable for tests.

Every failure is the subclass's HostAPIError, carrying the method, so the exit status says what
went wrong: a refused token (2), a change that cannot be read (4), or a post that failed (6).

A POST or PATCH is not retried blindly: after a timeout or a 5xx the server may have applied it
(a proxy's 502 after GitHub wrote the review), and a second one would post twice. Only answers
that say nothing was done (rate limits, a connection that was never made) are retried; the
caller looks for what it posted before posting again (`HostAPIError.maybe_applied`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from mochi.errors import HostAPIError

if TYPE_CHECKING:
    from tenacity import RetryCallState

logger = logging.getLogger(__name__)


_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@dataclass
class _Transient(Exception):
    """One attempt that may be retried: how long to wait, why, and the error if it is the last."""

    seconds: float
    why: str
    status: int
    final: HostAPIError


class RestClient:
    """JSON requests against one REST API; every failure is the subclass's HostAPIError."""

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

    def failure(self, what: str, response: httpx.Response, *, limited: bool, method: str) -> HostAPIError:
        """The error for a refused request, with what the user should check."""
        return self.api_error(
            f"{self.service} refused {what} ({response.status_code})",
            response.status_code,
            method=method,
            rate_limited=limited,
        )

    def api_error(
        self, message: str, status: int, *, method: str = "GET", rate_limited: bool = False
    ) -> HostAPIError:
        """The service's error class for `message` (status 0: no answer)."""
        return HostAPIError(message, status=status, method=method, rate_limited=rate_limited)

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
        # tenacity is imported here: `mochi --version` must not pay for it
        from tenacity import Retrying, retry_if_exception_type

        what = f"{method} {_short(path)}"
        safe = method.upper() in _IDEMPOTENT

        def attempt() -> httpx.Response:
            backoff = 2.0 ** (retrying.statistics.get("attempt_number", 1) - 1)
            try:
                response = self.http.request(method, path, json=json, params=params)
            except httpx.TransportError as exc:
                final = self.api_error(
                    f"{self.service} did not answer {what} ({type(exc).__name__}): check "
                    f"{self.url_setting} and the runner's network",
                    0,
                    method=method,
                )
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if not (safe or never_sent):
                    final.maybe_applied = True
                    raise final from None
                raise _Transient(backoff, f"no answer ({type(exc).__name__})", 0, final) from None
            status = response.status_code
            if status < 400:
                return response
            limit_wait = self.rate_limit_wait(response)
            final = self.failure(what, response, limited=limit_wait is not None, method=method)
            if limit_wait is not None:
                raise _Transient(limit_wait, "rate limited", status, final)
            if status >= 500:
                if not safe:
                    final.maybe_applied = True
                    raise final
                raise _Transient(backoff, f"server error {status}", status, final)
            raise final

        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if not isinstance(error, _Transient) or state.attempt_number >= self.max_attempts:
                return True
            if self.waited_s + error.seconds > self.max_wait_s:
                raise self.api_error(
                    f"{self.service} kept refusing {what} ({error.why}); waiting {error.seconds:.0f} s more "
                    f"would pass the limit of {self.max_wait_s:.0f} s. Re-run the job later",
                    error.status,
                    method=method,
                    rate_limited=error.why == "rate limited",
                )
            return False

        def wait(state: RetryCallState) -> float:
            error = state.outcome.exception() if state.outcome else None
            return error.seconds if isinstance(error, _Transient) else 0.0

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, _Transient):
                logger.warning(
                    "%s: %s on %s; retrying in %.1f s", self.service, error.why, what, error.seconds
                )
                self.waited_s += error.seconds

        retrying = Retrying(
            retry=retry_if_exception_type(_Transient),
            stop=stop,
            wait=wait,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            response: httpx.Response = retrying(attempt)
        except _Transient as exc:  # the last attempt failed too
            raise exc.final from None
        return response


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
