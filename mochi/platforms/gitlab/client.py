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
from mochi.errors import GitLabAPIError
from mochi.platforms.rest import RestClient, retry_after, seconds_until
from mochi.settings import Settings

logger = logging.getLogger(__name__)


__all__ = ["TOKEN_HELP", "GitLabAPIError", "GitLabClient", "make_http", "project_path"]

TOKEN_HELP = (
    "create a project access token with the `api` scope and the Reporter role (or higher) in the "
    "project's Settings > Access tokens, and store it as a masked CI/CD variable named GITLAB_TOKEN "
    "(or MOCHI_GITLAB_TOKEN)"
)


def make_http(api_url: str, token: str | None, *, timeout_s: float = 30.0) -> httpx.Client:
    """An httpx.Client for the GitLab API at `api_url` (…/api/v4), authenticated with `token`."""
    headers = {"Accept": "application/json", "User-Agent": f"sonar-mochi/{__version__}"}
    if token:
        headers["PRIVATE-TOKEN"] = token
    return httpx.Client(base_url=api_url.rstrip("/"), headers=headers, timeout=timeout_s)


def project_path(project_id: str) -> str:
    """`/projects/<id>`: a numeric id as is, a full path URL-encoded (group%2Fproject)."""
    return f"/projects/{quote(str(project_id), safe='')}"


class GitLabClient(RestClient):
    """JSON requests against one GitLab API; every failure is a GitLabAPIError with the status."""

    service = "GitLab"
    url_setting = "CI_API_V4_URL"

    @classmethod
    def for_settings(
        cls, api_url: str, token: str, settings: Settings, *, sleep: Callable[[float], None] | None = None
    ) -> GitLabClient:
        """A client with the settings' timeout (at most a minute a request)."""
        http = make_http(api_url, token, timeout_s=min(settings.providers.timeout_s, 60.0))
        return cls(http, sleep=sleep or time.sleep)

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
                    method="GET",
                )
            items += data
            page = response.headers.get("x-next-page") or None
            if page is None and "next" in response.links:
                page = httpx.URL(response.links["next"]["url"]).params.get("page")
        return items

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        """GitLab's 429: `Retry-After` seconds, or the `RateLimit-Reset` Unix time."""
        if response.status_code != 429:
            return None
        wait = retry_after(response.headers.get("retry-after"))
        return (
            wait if wait is not None else seconds_until(response.headers.get("ratelimit-reset"), self._clock)
        )

    def failure(self, what: str, response: httpx.Response, *, limited: bool, method: str) -> GitLabAPIError:
        """GitLab's message, and which token or setting to check."""
        return _error(what, response, limited=limited, method=method)

    def api_error(
        self, message: str, status: int, *, method: str = "GET", rate_limited: bool = False
    ) -> GitLabAPIError:
        """A GitLabAPIError."""
        return GitLabAPIError(message, status=status, method=method, rate_limited=rate_limited)


def _error(what: str, response: httpx.Response, *, limited: bool, method: str) -> GitLabAPIError:
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
    return GitLabAPIError(
        f"GitLab refused {what} ({status} {shown}): {hint}",
        status=status,
        method=method,
        rate_limited=limited,
        detail=detail,
    )
