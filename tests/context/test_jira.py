"""Jira tickets over real HTTP: Cloud (v3, ADF, email + token) and Server (v2, wiki, PAT), and failures."""

from __future__ import annotations

import socket

from mochi.context.jira import from_settings, ticket_from_raw
from mochi.settings import Settings
from tests.fakes.http_fake import Reply
from tests.fakes.jira_server import (
    FakeJira,
    adf_bullets,
    adf_doc,
    adf_heading,
    adf_paragraph,
    cloud_issue,
    fixture,
    server_issue,
)

TOKEN = "atl-" + "t0k3n-value-123"  # assembled: no literal token in this file


def _cloud(url: str, **extra: object) -> Settings:
    return Settings.model_validate(
        {"jira_url": url, "jira_email": "dev@example.com", "jira_api_token": TOKEN, **extra}
    )


def test_cloud_v3_adf_ticket_with_acceptance_criteria_links_and_parent() -> None:
    with FakeJira.start(version="3", email="dev@example.com", api_token=TOKEN) as jira:
        jira.add(
            cloud_issue(
                "PAY-142",
                "Refunds for card payments",
                adf_doc(
                    adf_paragraph("Customers can get their money back."),
                    adf_heading("Acceptance Criteria"),
                    adf_bullets("A refund never exceeds the captured amount", "The customer gets an email"),
                    adf_heading("Notes"),
                    adf_paragraph("Use the PSP's refund API."),
                ),
                labels=["payments"],
                components=[{"name": "billing"}],
                parent={
                    "key": "PAY-100",
                    "fields": {"summary": "Payments v2", "issuetype": {"name": "Epic"}},
                },
                issuelinks=[
                    *fixture("issue-v3-adf.json")["fields"]["issuelinks"],
                    {
                        "type": {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
                        "outwardIssue": {
                            "key": "PAY-150",
                            "fields": {"summary": "Refund report", "status": {"name": "To Do"}},
                        },
                    },
                ],
            )
        )
        source = from_settings(_cloud(jira.url))
        assert source is not None
        tickets, warnings = source.fetch(["PAY-142"])
        again, _ = source.fetch(["PAY-142"])
        requests = jira.requests_to("/issue/PAY-142")
    assert warnings == []
    (t,) = tickets
    assert again == tickets and len(requests) == 1  # cached for the run
    assert requests[0].path == "/rest/api/3/issue/PAY-142"
    assert t.acceptance_criteria == (
        "A refund never exceeds the captured amount",
        "The customer gets an email",
    )
    assert "money back" in t.description and "Acceptance" not in t.description and "PSP" in t.description
    assert (t.type, t.status, t.priority) == ("Bug", "To Do", "Medium")
    assert t.labels == ("payments",) and t.components == ("billing",)
    assert t.parent is not None and (t.parent.key, t.parent.relation) == ("PAY-100", "epic")
    assert [(ln.key, ln.relation) for ln in t.links] == [("TEST-2", "relates to"), ("PAY-150", "blocks")]
    assert t.url == f"{jira.url}/browse/PAY-142"


def test_server_v2_wiki_markup_with_a_pat_and_a_custom_acceptance_field() -> None:
    with FakeJira.start(version="2", pat="pat-secret-1") as jira:
        jira.add(
            server_issue(
                "CORE-7",
                "Audit log",
                "Write every change.\nh3. Acceptance Criteria\n"
                "* entries are immutable\n* {{actor}} is recorded",
            )
        )
        jira.add(
            server_issue(
                "CORE-8", "Export", "No section here", customfield_10100="# CSV export\n# JSON export"
            )
        )
        settings = Settings.model_validate(
            {"jira_url": jira.url, "jira_pat": "pat-secret-1", "jira_acceptance_field": "customfield_10100"}
        )
        source = from_settings(settings)
        assert source is not None
        tickets, warnings = source.fetch(["CORE-7", "CORE-8"])
        sent = jira.requests_to("/issue/CORE-8")[0]
    assert warnings == []
    assert tickets[0].acceptance_criteria == ("entries are immutable", "`actor` is recorded")
    assert tickets[1].acceptance_criteria == ("CSV export", "JSON export")
    assert sent.path.startswith("/rest/api/2/") and "customfield_10100" in sent.query["fields"]


def test_bad_credentials_warn_once_and_never_show_the_token() -> None:
    with FakeJira.start(version="3", email="dev@example.com", api_token="the-right-one") as jira:
        jira.add(cloud_issue("PAY-1", "x", adf_doc()))
        source = from_settings(_cloud(jira.url))
        assert source is not None
        tickets, warnings = source.fetch(["PAY-1", "PAY-2"])
        calls = len(jira.requests)
    assert tickets == [] and len(warnings) == 1 and calls == 1  # the same 401 is not asked twice
    assert "401" in warnings[0] and "JIRA_EMAIL and JIRA_API_TOKEN" in warnings[0]
    assert TOKEN not in warnings[0]


def test_missing_ticket_and_forbidden_ticket_warn_and_the_others_are_read() -> None:
    with FakeJira.start(version="3") as jira:
        jira.add(cloud_issue("PAY-3", "Third", adf_doc()))
        jira.enqueue("issue", Reply(403, {"errorMessages": ["Forbidden"]}))
        source = from_settings(Settings.model_validate({"jira_url": jira.url, "jira_api_version": "3"}))
        assert source is not None
        tickets, warnings = source.fetch(["PAY-1", "PAY-2", "PAY-3"])
    assert [t.key for t in tickets] == ["PAY-3"]
    assert "403" in warnings[0] and "Browse projects" in warnings[0]
    assert "404" in warnings[1] and "PAY-2" in warnings[1] and "jira_projects" in warnings[1]


def test_timeout_unreachable_and_bad_url_are_warnings_that_say_what_to_fix() -> None:
    with FakeJira.start(version="3") as jira:
        jira.enqueue("issue", Reply(200, {}, delay=2.0))
        slow = from_settings(Settings.model_validate({"jira_url": jira.url, "jira_timeout_s": 0.3}))
        assert slow is not None
        _, timeout = slow.fetch(["PAY-1", "PAY-2"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = from_settings(Settings.model_validate({"jira_url": f"http://127.0.0.1:{port}"}))
    bad = from_settings(Settings.model_validate({"jira_url": "jira.example.com"}))
    assert down is not None and bad is not None
    _, unreachable = down.fetch(["PAY-1"])
    _, malformed = bad.fetch(["PAY-1"])
    assert (
        len(timeout) == 1 and "did not answer within 0.3 s" in timeout[0] and "jira_timeout_s" in timeout[0]
    )
    assert "not reachable" in unreachable[0] and "JIRA_URL" in unreachable[0]
    assert "not a valid URL" in malformed[0]


def test_each_ticket_is_capped() -> None:
    raw = server_issue("BIG-1", "Big", "word " * 5000 + "\nh3. Acceptance criteria\n* one")
    t = ticket_from_raw(raw, max_chars=1000)
    assert len(t.description) < 1100 and t.truncated and t.acceptance_criteria == ("one",)


def test_unconfigured_jira_is_none() -> None:
    assert from_settings(Settings()) is None
