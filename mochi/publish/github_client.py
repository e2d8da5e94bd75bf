"""A small GitHub REST client on httpx: pagination, rate limits, retries, bounded waiting.

GitHub signals rate limits with 429, or 403 plus `Retry-After` (secondary limits) or
`X-RateLimit-Remaining: 0` and `X-RateLimit-Reset` (primary limits). Those are waited out, 5xx
answers and dropped connections are retried with exponential backoff, and the total time spent
waiting is bounded so a CI job fails with a clear message instead of hanging. `sleep` and `clock`
are injectable for tests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from mochi import __version__
from mochi.errors import GitHubAPIError

logger = logging.getLogger(__name__)

API_VERSION = "2022-11-28"
DEFAULT_API_URL = "https://api.github.com"


def make_http(api_url: str, token: str | None, *, timeout_s: float = 30.0) -> httpx.Client:
    """An httpx.Client for the GitHub REST API at `api_url`, authenticated with `token`."""
    headers = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": API_VERSION,
        "User-Agent": f"sonar-mochi/{__version__}",
    }
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=timeout_s)


class GitHubClient:
    """JSON requests against one GitHub API; every failure is a GitHubAPIError with the status."""

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

    # ------------------------------------------------------------------ verbs

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` and return its JSON."""
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        """POST a JSON body and return the JSON answer."""
        return self.request("POST", path, json=body).json()

    def patch(self, path: str, body: Mapping[str, Any]) -> Any:
        """PATCH a JSON body and return the JSON answer."""
        return self.request("PATCH", path, json=body).json()

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, max_pages: int = 50
    ) -> list[Any]:
        """Every item of a list endpoint, following the `Link: rel="next"` headers."""
        items: list[Any] = []
        url: str | None = path
        query: Mapping[str, Any] | None = {"per_page": 100, **(params or {})}
        for _ in range(max_pages):
            if url is None:
                break
            response = self.request("GET", url, params=query)
            page = response.json()
            if not isinstance(page, list):
                raise GitHubAPIError(
                    f"GitHub answered GET {path} with {type(page).__name__}, not a list",
                    status=response.status_code,
                )
            items += page
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries its own query
        return items

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
                    raise GitHubAPIError(
                        f"GitHub did not answer {what} ({type(exc).__name__}): check GITHUB_API_URL "
                        "and the runner's network"
                    ) from None
                self._wait(2.0 ** (attempt - 1), what, f"no answer ({type(exc).__name__})", 0)
                continue
            status = response.status_code
            if status < 400:
                return response
            limit_wait = self._rate_limit_wait(response)
            if limit_wait is not None and attempt < self.max_attempts:
                self._wait(limit_wait, what, "rate limited", status)
                continue
            if status >= 500 and attempt < self.max_attempts:
                self._wait(2.0 ** (attempt - 1), what, f"server error {status}", status)
                continue
            raise _error(what, response, limited=limit_wait is not None)
        raise AssertionError("unreachable")  # pragma: no cover

    def _rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds GitHub asks us to wait, or None when this is not a rate limit answer."""
        if response.status_code not in (403, 429):
            return None
        retry_after = response.headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return 60.0
        if response.headers.get("x-ratelimit-remaining") == "0":
            reset = response.headers.get("x-ratelimit-reset")
            try:
                return max(0.0, float(reset) - self._clock()) + 1.0 if reset else 60.0
            except ValueError:
                return 60.0
        # GitHub documents a wait of at least a minute for a secondary limit without headers
        return 60.0 if response.status_code == 429 else None

    def _wait(self, seconds: float, what: str, why: str, status: int) -> None:
        if self.waited_s + seconds > self.max_wait_s:
            raise GitHubAPIError(
                f"GitHub kept refusing {what} ({why}); waiting {seconds:.0f} s more would pass the "
                f"limit of {self.max_wait_s:.0f} s. Re-run the job later",
                status=status,
            )
        logger.warning("GitHub: %s on %s; retrying in %.1f s", why, what, seconds)
        self.waited_s += seconds
        self._sleep(seconds)


def _short(path: str) -> str:
    # a `next` link is absolute: log only its path and query, never a host with credentials
    return httpx.URL(path).raw_path.decode("ascii", "replace") if "://" in path else path


def _error(what: str, response: httpx.Response, *, limited: bool) -> GitHubAPIError:
    status = response.status_code
    message = ""
    errors: list[str] = []
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        message = str(data.get("message") or "")
        for err in data.get("errors") or []:
            errors.append(
                str(err.get("message") or err.get("code") or err) if isinstance(err, dict) else str(err)
            )
    detail = "; ".join([message, *errors]) if message or errors else response.reason_phrase
    if limited:
        hint = "the API rate limit is exhausted: re-run the job later"
    elif status == 401:
        hint = "the token was rejected: check GITHUB_TOKEN"
    elif status == 403:
        hint = "the token may not do this: check the workflow's `permissions:`"
    elif status == 404:
        hint = "check the repository name, the pull request number and the token's access"
    else:
        hint = "see the message above"
    return GitHubAPIError(
        f"GitHub refused {what} ({status} {detail}): {hint}", status=status, errors=tuple(errors)
    )
