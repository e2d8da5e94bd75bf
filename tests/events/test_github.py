"""GitHub events -> what to review, from the real octokit payloads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mochi.errors import EventError
from mochi.events.github import load_payload, parse_event
from tests.fixtures_path import FIXTURES

EVENTS = FIXTURES / "github" / "events"


def payload(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def test_pull_request_events() -> None:
    opened = parse_event("pull_request", payload("pull_request.opened.json"))
    assert opened.kind == "pull_request" and opened.pull is not None
    assert opened.repository == "Codertocat/Hello-World" and opened.number == 2
    assert opened.pull.base_ref == "master" and opened.pull.labels == ("bug",)
    sync = parse_event("pull_request", payload("pull_request.synchronize.json"))
    assert sync.before == "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
    target = parse_event("pull_request_target", payload("pull_request.reopened.json"))
    assert target.kind == "pull_request" and target.base_is_trusted


def test_closed_and_draft_pull_requests_are_skipped_unless_configured() -> None:
    closed = payload("pull_request.opened.json") | {"action": "closed"}
    assert parse_event("pull_request", closed).kind == "skip"
    draft = copy.deepcopy(payload("pull_request.opened.json"))
    draft["pull_request"]["draft"] = True
    assert "draft" in parse_event("pull_request", draft).reason
    assert parse_event("pull_request", draft, review_drafts=True).kind == "pull_request"


def test_issue_comment_commands_need_a_pull_request_and_a_trusted_author() -> None:
    base = payload("issue_comment.created.json")
    assert parse_event("issue_comment", base).kind == "skip"  # no command in it
    on_pr = copy.deepcopy(base)
    on_pr["issue"]["pull_request"] = {"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
    on_pr["comment"]["body"] = "/mochi full-review"
    ev = parse_event("issue_comment", on_pr)
    assert ev.kind == "pull_request" and ev.number == 1 and ev.full_review and ev.pull is None
    on_pr["comment"]["author_association"] = "NONE"
    assert parse_event("issue_comment", on_pr).kind == "skip"
    on_issue = copy.deepcopy(on_pr)
    del on_issue["issue"]["pull_request"]
    on_issue["comment"]["author_association"] = "OWNER"
    assert "not a pull request" in parse_event("issue_comment", on_issue).reason


def test_workflow_dispatch_and_push() -> None:
    dispatch = payload("workflow_dispatch.json")
    with pytest.raises(EventError, match="inputs.pr_number"):
        parse_event("workflow_dispatch", dispatch)
    dispatch["inputs"] = {"pr_number": "12"}
    assert parse_event("workflow_dispatch", dispatch).number == 12
    assert parse_event("push", payload("push.json")).kind == "skip"  # a deleted tag
    push = payload("push.json") | {"deleted": False, "after": "a" * 40}
    ev = parse_event("push", push)
    assert (
        ev.kind == "push" and ev.after == "a" * 40 and ev.before == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
    )


def test_broken_payloads_name_the_field() -> None:
    with pytest.raises(EventError, match="not valid JSON"):
        load_payload("{nope")
    broken = copy.deepcopy(payload("pull_request.opened.json"))
    del broken["pull_request"]["base"]["sha"]
    with pytest.raises(EventError, match=r"pull_request\.base\.sha"):
        parse_event("pull_request", broken)
    assert parse_event("schedule", {}).kind == "skip"


def test_graphql_url_for_github_com_and_enterprise_server() -> None:
    from mochi.platforms.github.state import graphql_url

    assert graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    assert graphql_url("https://ghe.example.com/api/v3/") == "https://ghe.example.com/api/graphql"


def test_a_payload_nested_thousands_deep_is_an_event_error_not_a_crash() -> None:
    with pytest.raises(EventError, match="nested too deeply"):
        load_payload("[" * 100_000 + "]" * 100_000)
    with pytest.raises(EventError, match="nested too deeply"):
        load_payload('{"a":' * 50_000 + "1" + "}" * 50_000)


def test_mochi_ci_with_a_broken_payload_exits_4_with_a_message(tmp_path: Path) -> None:
    import os

    from click.testing import CliRunner

    from mochi.cli import main

    bad = tmp_path / "event.json"
    env = {k: None for k in os.environ if k.startswith(("GITHUB_", "GITLAB", "CI", "JENKINS", "MOCHI_"))}
    env.update(GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=str(bad))
    env.update(GITHUB_WORKSPACE=str(tmp_path), MOCHI_RECORD="false", CHANGE_ID=None, BUILD_TAG=None)
    for content, says in (
        (b'{"action": "opened", "number": 1, "title": "\xff\xfe"}', "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"action": "opened"', "not valid JSON"),
    ):
        bad.write_bytes(content)
        result = CliRunner().invoke(main, ["ci"], env=env, catch_exceptions=False)
        assert result.exit_code == 4, result.output
        assert says in result.stderr and "Traceback" not in result.output
