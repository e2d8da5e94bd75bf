"""A small GitLab REST (v4) client on httpx: PRIVATE-TOKEN auth, pagination, rate limits, retries.

GitLab answers a rate-limited request with 429 and `Retry-After` (seconds) or `RateLimit-Reset`
(a Unix time); those are waited out, 5xx answers and dropped connections are retried with
exponential backoff, and the total waiting is bounded so a CI job fails with a clear message
instead of hanging. `sleep` and `clock` are injectable for tests.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

import httpx

from mochi import __version__
from mochi.errors import PublishError
from mochi.events.gitlab import TOKEN_HELP

logger = logging.getLogger(__name__)


class GitLabAPIError(PublishError):
    """A GitLab API request failed after its retries; `status` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, *, status: int = 0, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail  # GitLab's own `message`/`error` text


def make_http(api_url: str, token: str | None, *, timeout_s: float = 30.0) -> httpx.Client:
    """An httpx.Client for the GitLab API at `api_url` (…/api/v4), authenticated with `token`."""
    headers = {"Accept": "application/json", "User-Agent": f"sonar-mochi/{__version__}"}
    if token:
        headers["PRIVATE-TOKEN"] = token
    return httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=timeout_s)


def project_path(project_id: str) -> str:
    """`/projects/<id>`: a numeric id as is, a full path URL-encoded (group%2Fproject)."""
    return f"/projects/{quote(str(project_id), safe='')}"


class GitLabClient:
    """JSON requests against one GitLab API; every failure is a GitLabAPIError with the status."""

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

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET `path` and return its JSON."""
        return self.request("GET", path, params=params).json()

    def post(self, path: str, body: Mapping[str, Any] | None = None) -> Any:
        """POST a JSON body and return the JSON answer (None for 204 No Content)."""
        response = self.request("POST", path, json=body or {})
        return response.json() if response.content else None

    def put(self, path: str, body: Mapping[str, Any]) -> Any:
        """PUT a JSON body and return the JSON answer."""
        return self.request("PUT", path, json=body).json()

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, *, max_pages: int = 100
    ) -> list[Any]:
        """Every item of a list endpoint, following `X-Next-Page` (or `Link: rel="next"`)."""
        items: list[Any] = []
        query: dict[str, Any] = {"per_page": 100, **(params or {})}
        page: str | None = "1"
        for _ in range(max_pages):
            if not page:
                break
            response = self.request("GET", path, params={**query, "page": page})
            data = response.json()
            if not isinstance(data, list):
                raise GitLabAPIError(
                    f"GitLab answered GET {path} with {type(data).__name__}, not a list",
                    status=response.status_code,
                )
            items += data
            page = response.headers.get("x-next-page") or None
            if page is None and "next" in response.links:
                page = httpx.URL(response.links["next"]["url"]).params.get("page")
        return items

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request, waiting out rate limits and retrying 5xx within the bounds."""
        what = f"{method} {path}"
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.http.request(method, path, json=json, params=params)
            except httpx.TransportError as exc:
                if attempt == self.max_attempts:
                    raise GitLabAPIError(
                        f"GitLab did not answer {what} ({type(exc).__name__}): check CI_API_V4_URL "
                        "and the runner's network"
                    ) from None
                self._wait(2.0 ** (attempt - 1), what, f"no answer ({type(exc).__name__})", 0)
                continue
            status = response.status_code
            if status < 400:
                return response
            if status == 429 and attempt < self.max_attempts:
                self._wait(self._rate_limit_wait(response), what, "rate limited", status)
                continue
            if status >= 500 and attempt < self.max_attempts:
                self._wait(2.0 ** (attempt - 1), what, f"server error {status}", status)
                continue
            raise _error(what, response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _rate_limit_wait(self, response: httpx.Response) -> float:
        retry_after = response.headers.get("retry-after")
        reset = response.headers.get("ratelimit-reset")
        try:
            if retry_after is not None:
                return max(0.0, float(retry_after))
            if reset is not None:
                return max(0.0, float(reset) - self._clock()) + 1.0
        except ValueError:
            pass
        return 60.0

    def _wait(self, seconds: float, what: str, why: str, status: int) -> None:
        if self.waited_s + seconds > self.max_wait_s:
            raise GitLabAPIError(
                f"GitLab kept refusing {what} ({why}); waiting {seconds:.0f} s more would pass the "
                f"limit of {self.max_wait_s:.0f} s. Re-run the job later",
                status=status,
            )
        logger.warning("GitLab: %s on %s; retrying in %.1f s", why, what, seconds)
        self.waited_s += seconds
        self._sleep(seconds)


def _error(what: str, response: httpx.Response) -> GitLabAPIError:
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    detail = ""
    if isinstance(data, dict):
        raw = data.get("message", data.get("error", ""))
        detail = raw if isinstance(raw, str) else str(raw)
    shown = detail or response.reason_phrase
    if status == 401:
        hint = f"the token was rejected (expired, revoked, or not a GitLab token): {TOKEN_HELP}"
    elif status == 403:
        hint = f"the token may not do this (it needs the `api` scope and the Reporter role): {TOKEN_HELP}"
    elif status == 404:
        hint = "check CI_PROJECT_ID, the merge request number and that the token can see the project"
    elif status == 429:
        hint = "the API rate limit is exhausted: re-run the job later"
    else:
        hint = "see GitLab's message above"
    return GitLabAPIError(f"GitLab refused {what} ({status} {shown}): {hint}", status=status, detail=detail)
