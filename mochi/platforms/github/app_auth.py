"""A GitHub App's installation access tokens, created with the App's JWT and cached until near expiry.

A GitHub App acts on a repository with an installation access token: POST
/app/installations/{installation_id}/access_tokens, authenticated with a JWT the App signs with
its private key, answers 201 with `token` and `expires_at` (an hour later). `InstallationTokens`
keeps one token per installation and makes a new one 5 minutes before the old one expires, so a
review that starts with a token can finish with it. One lock per installation: threads asking at
once for the same installation wait for one request.

The private key, the JWT and the tokens never reach a message, a repr or a log line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from mochi.errors import ConfigError, GitHubAPIError, MochiError
from mochi.platforms.github.client import API_VERSION
from mochi.store.checks import github_app_jwt

logger = logging.getLogger(__name__)

REFRESH_BEFORE_S = 300.0  # make a new token this long before the current one expires
_DOCS = "https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app"


@dataclass(frozen=True)
class _Secret:
    """A value that a repr, a debugger or a traceback's locals show as `_Secret()`."""

    value: str = field(repr=False)


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    expires_at: float  # seconds since the epoch


class InstallationTokens:
    """Installation access tokens of one GitHub App, cached per installation (thread-safe).

    `client` is an httpx.Client whose base_url is the GitHub API URL (https://api.github.com, or
    https://HOST/api/v3 for GitHub Enterprise Server); `clock` is injectable for tests.
    """

    def __init__(
        self,
        client: httpx.Client,
        *,
        app_id: str,
        private_key: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self.app_id = str(app_id)
        self._private_key = _Secret(private_key)
        self._clock = clock
        self._tokens: dict[int, _Token] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"InstallationTokens(app_id={self.app_id!r}, installations={sorted(self._tokens)!r})"

    def token(self, installation_id: int) -> str:
        """A token for `installation_id` valid for at least 5 more minutes (cached or new).

        Raises GitHubAPIError (a HostAPIError) when GitHub refuses, saying what to fix, and
        ConfigError when the private key cannot sign a JWT.
        """
        with self._lock_for(installation_id):
            cached = self._tokens.get(installation_id)
            if cached is not None and self._clock() < cached.expires_at - REFRESH_BEFORE_S:
                return cached.value
            fresh = self._create(installation_id)
            self._tokens[installation_id] = fresh
            return fresh.value

    def forget(self, installation_id: int) -> None:
        """Drop the cached token of `installation_id` (GitHub refused it: the next call makes a new one)."""
        with self._lock_for(installation_id):
            self._tokens.pop(installation_id, None)

    # ------------------------------------------------------------------ one request

    def _lock_for(self, installation_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(installation_id, threading.Lock())

    def _jwt(self) -> str:
        try:
            return github_app_jwt(self.app_id, self._private_key.value, now=self._clock())
        except MochiError:
            raise  # the `secrets` extra is missing: its message says what to install
        except Exception as exc:  # PyJWT/cryptography raise several types for a bad PEM
            raise ConfigError(
                f"the private key of GitHub App {self.app_id} cannot sign a token ({type(exc).__name__}): "
                "give the app's private key (.pem) exactly as GitHub generated it"
            ) from None

    def _create(self, installation_id: int) -> _Token:
        path = f"/app/installations/{int(installation_id)}/access_tokens"
        signed = self._jwt()
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "Authorization": f"Bearer {signed}",
        }
        try:
            response = self._client.post(path, headers=headers)
        except httpx.TransportError as exc:
            raise GitHubAPIError(
                f"GitHub did not answer POST {path} ({type(exc).__name__}): check the GitHub API URL "
                "and this server's network",
                status=0,
                method="POST",
            ) from None
        if response.status_code >= 300:
            raise self._refused(response, installation_id, path, secrets=(signed, self._private_key.value))
        data: Any = _json(response)
        value = data.get("token") if isinstance(data, dict) else None
        expires = _timestamp(data.get("expires_at")) if isinstance(data, dict) else None
        if not isinstance(value, str) or not value or expires is None:
            raise GitHubAPIError(
                f"GitHub answered POST {path} ({response.status_code}) without a token and its expires_at: "
                "check that the GitHub API URL points at the GitHub API",
                status=response.status_code,
                method="POST",
            )
        logger.info(
            "GitHub App %s: new token for installation %s, expires %s",
            self.app_id,
            installation_id,
            datetime.fromtimestamp(expires, UTC).isoformat(),
        )
        return _Token(value=value, expires_at=expires)

    def _refused(
        self, response: httpx.Response, installation_id: int, path: str, *, secrets: tuple[str, ...]
    ) -> GitHubAPIError:
        status = response.status_code
        data = _json(response)
        detail = str(data.get("message") or "") if isinstance(data, dict) else ""
        for secret in secrets:  # GitHub does not echo them; make sure nothing else on the way does
            if secret:
                detail = detail.replace(secret, "[redacted]")
        detail = detail[:200]
        said = f"{status}: {detail}" if detail else str(status)
        app = f"GitHub App {self.app_id}"
        limited = status == 429 or (status == 403 and response.headers.get("x-ratelimit-remaining") == "0")
        if status == 401:
            todo = (
                f"GitHub refused the JWT of {app} ({said}): check the app id and that the private key "
                f"is one of the app's current keys (the app's settings, Private keys), and that this "
                f"machine's clock is right; see {_DOCS}"
            )
        elif status == 404:
            todo = (
                f"{app} has no installation {installation_id} ({said}): install the app on that "
                "account or organization, or check the app id"
            )
        elif status == 403 and not limited:
            todo = (
                f"GitHub refused a token for installation {installation_id} of {app} ({said}): the "
                "installation may be suspended; check it in the account's settings, Installed GitHub Apps"
            )
        else:
            todo = (
                f"GitHub could not create a token for installation {installation_id} of {app} ({said}) "
                f"at POST {path}: retry later"
            )
        return GitHubAPIError(todo, status=status, method="POST", rate_limited=limited, detail=detail)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _timestamp(value: Any) -> float | None:
    """Seconds since the epoch of an ISO 8601 time ("2016-07-11T22:14:10Z"), None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
