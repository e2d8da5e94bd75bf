"""FakeJira: Jira's REST API for GET issue, Cloud (v3, ADF) and Server/Data Center (v2, wiki markup).

Issues are built from the real issue JSON in tests/fixtures/jira (jira-cli's testdata), with the
ticket's key, summary and description swapped in. The fake checks authentication the way each
flavour does it: Cloud takes `Authorization: Basic base64(email:api_token)`, Server/Data Center
`Authorization: Bearer <PAT>`; anything else is a 401.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from typing import Any

from tests.fakes.http_fake import FakeService, Reply, Request
from tests.fixtures_path import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "jira"
_ISSUE = re.compile(r"^/rest/api/(2|3)/issue/([^/]+)$")


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def adf_doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"version": 1, "type": "doc", "content": list(blocks)}


def adf_paragraph(text: str) -> dict[str, Any]:
    return {"type": "paragraph", "content": [{"type": "text", "text": text}]}


def adf_heading(text: str, level: int = 3) -> dict[str, Any]:
    return {"type": "heading", "attrs": {"level": level}, "content": [{"type": "text", "text": text}]}


def adf_bullets(*items: str) -> dict[str, Any]:
    return {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [adf_paragraph(i)]} for i in items],
    }


def cloud_issue(key: str, summary: str, description: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A REST v3 issue in the shape of fixtures/jira/issue-v3-adf.json."""
    issue = copy.deepcopy(fixture("issue-v3-adf.json"))
    issue["key"] = key
    issue["fields"].update(summary=summary, description=description, **fields)
    return issue


def server_issue(key: str, summary: str, description: str, **fields: Any) -> dict[str, Any]:
    """A REST v2 issue in the shape of fixtures/jira/issue-v2.json (wiki markup description)."""
    issue = copy.deepcopy(fixture("issue-v2.json"))
    issue["key"] = key
    issue["fields"].update(summary=summary, description=description, **fields)
    return issue


class FakeJira(FakeService):
    """GET /rest/api/{2,3}/issue/{key}. `version` is the REST version this site serves."""

    endpoints = ("issue",)

    def __init__(
        self,
        *,
        version: str = "3",
        email: str | None = None,
        api_token: str | None = None,
        pat: str | None = None,
    ) -> None:
        super().__init__()
        self.version = version
        self.issues: dict[str, dict[str, Any]] = {}
        self._email, self._api_token, self._pat = email, api_token, pat

    def add(self, issue: dict[str, Any]) -> None:
        self.issues[issue["key"]] = issue

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if self._pat is not None:
            return header == f"Bearer {self._pat}"
        if self._email is not None:
            expected = base64.b64encode(f"{self._email}:{self._api_token}".encode()).decode()
            return header == f"Basic {expected}"
        return True

    def _route(self, request: Request) -> Callable[[Request], Reply] | None:
        if request.method == "GET" and _ISSUE.match(request.path):
            return self._issue
        return None

    def _issue(self, request: Request) -> Reply:
        scripted = self._next("issue")
        if scripted is not None:
            return scripted
        m = _ISSUE.match(request.path)
        assert m is not None
        version, key = m.groups()
        if not self._authorized(request):
            return Reply(401, {"errorMessages": ["You are not authenticated."], "errors": {}})
        if version != self.version:
            return Reply(404, {"errorMessages": [f"REST API version {version} is not served here"]})
        issue = self.issues.get(key)
        if issue is None:
            return Reply(
                404,
                {
                    "errorMessages": ["Issue does not exist or you do not have permission to see it."],
                    "errors": {},
                },
            )
        wanted = [f for f in request.query.get("fields", "").split(",") if f]
        body = copy.deepcopy(issue)
        if wanted:
            body["fields"] = {k: v for k, v in body["fields"].items() if k in wanted}
        return Reply(200, body)
