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
from mochi.platforms.rest import RestClient, retry_after, seconds_until
from mochi.settings import Settings

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


class GitHubClient(RestClient):
    """JSON requests against one GitHub API; every failure is a GitHubAPIError with the status."""

    service = "GitHub"
    url_setting = "GITHUB_API_URL"

    @classmethod
    def for_settings(
        cls, api_url: str, token: str, settings: Settings, *, sleep: Callable[[float], None] | None = None
    ) -> GitHubClient:
        """A client with the settings' timeout (at most a minute a request) and total wait."""
        http = make_http(api_url, token, timeout_s=min(settings.providers.timeout_s, 60.0))
        return cls(http, max_wait_s=settings.github.max_wait_s, sleep=sleep or time.sleep)

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
                    method="GET",
                )
            items += page
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries its own query
        return items

    def rate_limit_wait(self, response: httpx.Response) -> float | None:
        """Seconds GitHub asks us to wait, or None when this is not a rate limit answer."""
        if response.status_code not in (403, 429):
            return None
        wait = retry_after(response.headers.get("retry-after"))
        if wait is not None:
            return wait
        if response.headers.get("x-ratelimit-remaining") == "0":
            return seconds_until(response.headers.get("x-ratelimit-reset"), self._clock)
        # GitHub documents a wait of at least a minute for a secondary limit without headers
        return 60.0 if response.status_code == 429 else None

    def failure(self, what: str, response: httpx.Response, *, limited: bool, method: str) -> GitHubAPIError:
        """GitHub's message and errors, and what to check."""
        return _error(what, response, limited=limited, method=method)

    def api_error(
        self, message: str, status: int, *, method: str = "GET", rate_limited: bool = False
    ) -> GitHubAPIError:
        """A GitHubAPIError."""
        return GitHubAPIError(message, status=status, method=method, rate_limited=rate_limited)


def _error(what: str, response: httpx.Response, *, limited: bool, method: str) -> GitHubAPIError:
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
        hint = "the token was rejected (expired, revoked or mistyped): check GITHUB_TOKEN"
    elif status == 403:
        hint = (
            "the token may not do this: check the workflow's `permissions:` (pull-requests: write, "
            "checks: write, contents: read) or the scopes of GITHUB_TOKEN"
        )
    elif status == 404:
        hint = "check the repository name, the pull request number and the token's access"
    else:
        hint = "see the message above"
    return GitHubAPIError(
        f"GitHub refused {what} ({status} {detail}): {hint}",
        status=status,
        method=method,
        rate_limited=limited,
        errors=tuple(errors),
        detail=message,
    )
