"""Loopback fakes of the two token checks `mochi doctor` makes, in each service's documented format.

FakeGitHubTokens   GET /user with `Authorization: Bearer <token>`: the user, and for a classic
                   token the `X-OAuth-Scopes` header (fine-grained tokens send none); else 401
                   "Bad credentials"
FakeGitLabTokens   GET /api/v4/personal_access_tokens/self with `PRIVATE-TOKEN: <token>`: the
                   token's name, scopes, expiry (GitLab 15.5+); else 401 "401 Unauthorized"

with FakeGitHubTokens.start({"ghp_classic": ("octocat", "repo, workflow")}) as github:
    ... GITHUB_TOKEN=ghp_classic GITHUB_API_URL=github.url ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tests.fakes.http_fake import FakeService, Reply, Request


class FakeGitHubTokens(FakeService):
    """`tokens`: token -> (login, X-OAuth-Scopes value, or None for a fine-grained token)."""

    def __init__(self, tokens: Mapping[str, tuple[str, str | None]]) -> None:
        super().__init__()
        self.tokens = dict(tokens)

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        return self._user if (request.method, request.path) == ("GET", "/user") else None

    def _user(self, request: Request) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return Reply(401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest",
                               "status": "401"})  # fmt: skip
        login, scopes = self.tokens[token]
        headers = {"X-GitHub-Media-Type": "github.v3; format=json"}
        if scopes is not None:
            headers.update({"X-OAuth-Scopes": scopes, "X-Accepted-OAuth-Scopes": ""})
        return Reply(200, {"login": login, "id": 1, "type": "User", "site_admin": False}, headers=headers)


class FakeGitLabTokens(FakeService):
    """`tokens`: token -> (name, scopes)."""

    def __init__(self, tokens: Mapping[str, tuple[str, Sequence[str]]]) -> None:
        super().__init__()
        self.tokens = dict(tokens)

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        if (request.method, request.path) == ("GET", "/api/v4/personal_access_tokens/self"):
            return self._self
        return None

    def _self(self, request: Request) -> Reply:
        token = request.headers.get("private-token", "")
        if token not in self.tokens:
            return Reply(401, {"message": "401 Unauthorized"})
        name, scopes = self.tokens[token]
        return Reply(
            200,
            {"id": 42, "name": name, "revoked": False, "created_at": "2025-01-02T03:04:05.000Z",
             "scopes": list(scopes), "user_id": 7, "last_used_at": None, "active": True,
             "expires_at": "2026-12-31"},
        )  # fmt: skip
