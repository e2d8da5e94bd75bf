"""Loopback fakes of the two authenticated calls `mochi integrations test` makes.

GitHub (REST API v3): GET /user with `Authorization: Bearer <token>` answers the user; GET /app with a
GitHub App JWT (RS256, `iss` = app id) answers the app, the JWT being verified with the app's public
key. Jira (REST API v2): GET /rest/api/2/myself with basic auth (email + API token, Cloud) or a
Bearer personal access token (Server/Data Center). Anything else answers 401 as the services do.
"""

from __future__ import annotations

import base64
from typing import Any

import jwt

from tests.fakes.http_fake import FakeService, Reply, Request


class FakeGitHubJira(FakeService):
    endpoints = ()

    def __init__(
        self,
        *,
        token: str = "ghp_good",
        app_id: str = "12345",
        app_public_key: Any = None,
        jira_email: str = "dev@example.com",
        jira_token: str = "jira-api-token",
        jira_pat: str = "jira-pat",
    ) -> None:
        super().__init__()
        self.token, self.app_id, self.app_public_key = token, app_id, app_public_key
        self.jira_email, self.jira_token, self.jira_pat = jira_email, jira_token, jira_pat

    def _route(self, request: Request) -> Any:
        if request.method != "GET":
            return None
        return {"/user": self._user, "/app": self._app, "/rest/api/2/myself": self._myself}.get(request.path)

    def _user(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Reply(
                401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
            )
        return Reply(200, {"login": "octocat", "id": 1, "type": "User"})

    def _app(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        try:
            claims = jwt.decode(auth.removeprefix("Bearer "), self.app_public_key, algorithms=["RS256"])
        except jwt.PyJWTError:
            return Reply(401, {"message": "A JSON web token could not be decoded"})
        if str(claims.get("iss")) != self.app_id or claims["exp"] - claims["iat"] > 600:
            return Reply(401, {"message": "'Issuer' claim ('iss') must be an Integer"})
        return Reply(200, {"id": int(self.app_id), "slug": "mochi-reviewer", "name": "Mochi Reviewer"})

    def _myself(self, request: Request) -> Reply:
        auth = request.headers.get("authorization", "")
        basic = "Basic " + base64.b64encode(f"{self.jira_email}:{self.jira_token}".encode()).decode()
        if auth not in (basic, f"Bearer {self.jira_pat}"):
            return Reply(401, "<html>Unauthorized</html>")
        return Reply(
            200,
            {
                "accountId": "5b10a2844c20165700ede21g",
                "displayName": "Dev Eloper",
                "emailAddress": self.jira_email,
                "active": True,
            },
        )
