"""Webhook payloads -> ChangeEvent or Ignored, on GitHub's real payloads (octokit examples; every
variant the tests build is validated against @octokit/webhooks-schemas) and GitLab's documented ones."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import jsonschema
import pytest

from mochi.server.webhooks.events import ChangeEvent, Ignored, github_event, gitlab_api_url, gitlab_event
from tests.fixtures_path import FIXTURES

GITHUB = FIXTURES / "github" / "events"
GITLAB = FIXTURES / "gitlab" / "events"
SCHEMA = json.loads((FIXTURES / "github" / "webhooks-schema.json").read_text())
HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def github(name: str) -> dict[str, Any]:
    return dict(json.loads((GITHUB / name).read_text()))


def gitlab(name: str) -> dict[str, Any]:
    return dict(json.loads((GITLAB / name).read_text()))


def valid(payload: dict[str, Any], definition: str) -> dict[str, Any]:
    """`payload`, after checking it is what GitHub sends for `definition` ("pull_request$opened")."""
    schema = {"$ref": f"#/definitions/{definition}", "definitions": SCHEMA["definitions"]}
    jsonschema.Draft7Validator(schema).validate(payload)
    return payload


def pr_payload(action: str, **pull: Any) -> dict[str, Any]:
    payload = copy.deepcopy(github("pull_request.opened.json"))
    payload["action"] = action
    payload["pull_request"].update(pull)
    return payload


def comment_on_pr(body: str, association: str = "OWNER", action: str = "created") -> dict[str, Any]:
    payload = copy.deepcopy(github("issue_comment.created.json"))
    payload["action"] = action
    payload["issue"]["pull_request"] = {
        "url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1",
        "html_url": "https://github.com/Codertocat/Hello-World/pull/1",
        "diff_url": "https://github.com/Codertocat/Hello-World/pull/1.diff",
        "patch_url": "https://github.com/Codertocat/Hello-World/pull/1.patch",
    }
    payload["comment"]["body"] = body
    payload["comment"]["author_association"] = association
    return payload


# ---------------------------------------------------------------------------------------- the contract


def test_the_event_contract_is_what_the_route_and_worker_code_against() -> None:
    names = [(f.name, f.default) for f in dataclasses.fields(ChangeEvent)]
    assert names == [
        ("host", dataclasses.MISSING),
        ("project", dataclasses.MISSING),
        ("number", dataclasses.MISSING),
        ("head_sha", dataclasses.MISSING),
        ("action", dataclasses.MISSING),
        ("sender", dataclasses.MISSING),
        ("installation_id", None),
        ("project_id", None),
        ("api_url", None),
    ]
    event = ChangeEvent("github", "o/r", 1, None, "comment", "me")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.number = 2  # type: ignore[misc]
    assert [f.name for f in dataclasses.fields(Ignored)] == ["reason"]


# ---------------------------------------------------------------------------------------- GitHub


@pytest.mark.parametrize("action", ["opened", "reopened", "synchronize"])
def test_pull_request_events_from_github_ask_for_a_review_of_the_head(action: str) -> None:
    payload = valid(github(f"pull_request.{action}.json"), f"pull_request${action}")
    assert github_event("pull_request", payload) == ChangeEvent(
        host="github",
        project="Codertocat/Hello-World",
        number=2,
        head_sha=HEAD,
        action=action,
        sender="Codertocat",
        installation_id=1,
    )


def test_ready_for_review_asks_for_a_review() -> None:
    payload = valid(pr_payload("ready_for_review", draft=False), "pull_request$ready_for_review")
    event = github_event("pull_request", payload)
    assert isinstance(event, ChangeEvent) and event.action == "ready_for_review" and event.head_sha == HEAD


def test_drafts_are_ignored_unless_configured() -> None:
    payload = valid(pr_payload("opened", draft=True), "pull_request$opened")
    ignored = github_event("pull_request", payload)
    assert isinstance(ignored, Ignored) and "#2 is a draft" in ignored.reason
    assert "review_drafts" in ignored.reason
    assert github_event("pull_request", payload, review_drafts=True) == github_event(
        "pull_request", github("pull_request.opened.json")
    )


def test_closed_and_merged_pull_requests_are_ignored() -> None:
    merged = pr_payload(
        "closed",
        state="closed",
        merged=True,
        closed_at="2019-05-15T15:21:00Z",
        merged_at="2019-05-15T15:21:00Z",
    )
    ignored = github_event("pull_request", valid(merged, "pull_request$closed"))
    assert isinstance(ignored, Ignored) and "'closed'" in ignored.reason
    # a synchronize that arrives after the PR was closed: the state says there is nothing to review
    late = copy.deepcopy(github("pull_request.synchronize.json"))
    late["pull_request"].update(state="closed", closed_at="2019-05-15T15:21:00Z")
    ignored = github_event("pull_request", valid(late, "pull_request$synchronize"))
    assert ignored == Ignored("pull request #2 is closed: nothing to review")
    late["pull_request"].update(merged=True, merged_at="2019-05-15T15:21:00Z")
    assert github_event("pull_request", valid(late, "pull_request$synchronize")) == Ignored(
        "pull request #2 is closed (merged): nothing to review"
    )


def test_other_pull_request_actions_are_ignored() -> None:
    labeled = pr_payload("labeled")
    labeled["label"] = copy.deepcopy(labeled["pull_request"]["labels"][0])
    ignored = github_event("pull_request", valid(labeled, "pull_request$labeled"))
    assert isinstance(ignored, Ignored) and "'labeled'" in ignored.reason


@pytest.mark.parametrize(
    "body",
    [
        "/mochi review",
        "/MOCHI Review",
        "  /mochi review  ",
        "Thanks, fixed.\r\n\r\n/mochi review\r\n",
        "first line\n\t/Mochi REVIEW\t\nlast line",
    ],
)
def test_a_review_command_from_a_member_asks_for_a_review_of_the_current_head(body: str) -> None:
    payload = valid(comment_on_pr(body), "issue_comment$created")
    assert github_event("issue_comment", payload) == ChangeEvent(
        host="github",
        project="Codertocat/Hello-World",
        number=1,
        head_sha=None,
        action="comment",
        sender="Codertocat",
    )


@pytest.mark.parametrize(
    "body",
    [
        "/mochi review please",
        "please /mochi review",
        "/mochi reviewer",
        "/mochi  review",
        "/mochi",
        "LGTM",
        "",
    ],
)
def test_a_comment_without_the_exact_command_line_is_ignored(body: str) -> None:
    ignored = github_event("issue_comment", valid(comment_on_pr(body), "issue_comment$created"))
    assert ignored == Ignored("the comment has no line '/mochi review'")


@pytest.mark.parametrize("association", ["OWNER", "MEMBER", "COLLABORATOR"])
def test_owners_members_and_collaborators_may_ask(association: str) -> None:
    payload = valid(comment_on_pr("/mochi review", association), "issue_comment$created")
    assert isinstance(github_event("issue_comment", payload), ChangeEvent)


@pytest.mark.parametrize("association", ["CONTRIBUTOR", "FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER", "NONE"])
def test_anyone_else_is_ignored_with_their_association(association: str) -> None:
    payload = valid(comment_on_pr("/mochi review", association), "issue_comment$created")
    ignored = github_event("issue_comment", payload)
    assert isinstance(ignored, Ignored)
    assert association in ignored.reason and "Codertocat" in ignored.reason


def test_the_installation_of_a_github_app_delivery_is_kept() -> None:
    payload = comment_on_pr("/mochi review")
    payload["installation"] = {"id": 81234, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uODEyMzQ="}
    event = github_event("issue_comment", valid(payload, "issue_comment$created"))
    assert isinstance(event, ChangeEvent) and event.installation_id == 81234


def test_edited_and_deleted_comments_are_ignored() -> None:
    edited = comment_on_pr("/mochi review", action="edited")
    edited["changes"] = {"body": {"from": "LGTM"}}
    ignored = github_event("issue_comment", valid(edited, "issue_comment$edited"))
    assert isinstance(ignored, Ignored) and "'edited'" in ignored.reason
    deleted = comment_on_pr("/mochi review", action="deleted")
    ignored = github_event("issue_comment", valid(deleted, "issue_comment$deleted"))
    assert isinstance(ignored, Ignored) and "'deleted'" in ignored.reason


def test_a_command_on_an_issue_or_a_closed_pull_request_is_ignored() -> None:
    on_issue = copy.deepcopy(github("issue_comment.created.json"))
    on_issue["comment"]["body"] = "/mochi review"
    assert github_event("issue_comment", valid(on_issue, "issue_comment$created")) == Ignored(
        "issue #1 is not a pull request"
    )
    real = valid(github("issue_comment.created.json"), "issue_comment$created")
    assert github_event("issue_comment", real) == Ignored("the comment has no line '/mochi review'")
    closed = comment_on_pr("/mochi review")
    closed["issue"].update(state="closed", closed_at="2019-05-15T15:21:00Z")
    assert github_event("issue_comment", valid(closed, "issue_comment$created")) == Ignored(
        "pull request #1 is closed: nothing to review"
    )


def test_ping_answers_pong_and_other_events_are_ignored_by_name() -> None:
    ping = {
        "zen": "Keep it logically awesome.",
        "hook_id": 109948940,
        "hook": {
            "type": "App",
            "id": 109948940,
            "name": "web",
            "active": True,
            "app_id": 424242,
            "events": ["issue_comment", "pull_request"],
            "config": {
                "content_type": "json",
                "url": "https://mochi.example.com/api/webhooks/github",
                "insecure_ssl": "0",
            },
            "updated_at": "2019-05-15T15:20:49Z",
            "created_at": "2019-05-15T15:20:49Z",
            "url": "https://api.github.com/app/hook",
            "ping_url": "https://api.github.com/app/hook/pings",
            "deliveries_url": "https://api.github.com/app/hook/deliveries",
        },
    }
    assert github_event("ping", valid(ping, "ping$event")) == Ignored("pong: Keep it logically awesome.")
    ignored = github_event("push", valid(github("push.json"), "push$event"))
    assert isinstance(ignored, Ignored) and "'push'" in ignored.reason
    # the event name decides, not the payload's shape
    assert isinstance(github_event("pull_request_review", github("pull_request.opened.json")), Ignored)


@pytest.mark.parametrize(
    ("event", "payload", "field"),
    [
        ("pull_request", {}, "'action'"),
        ("pull_request", {"action": "opened"}, "'pull_request.number'"),
        ("pull_request", "drop head", "'pull_request.head.sha'"),
        ("pull_request", "drop repository", "'repository.full_name'"),
        ("pull_request", "number as text", "'pull_request.number'"),
        ("issue_comment", "drop association", "'comment.author_association'"),
        ("issue_comment", "drop issue", "'issue.number'"),
    ],
)
def test_a_payload_that_lacks_a_field_raises_value_error_naming_it(
    event: str, payload: Any, field: str
) -> None:
    if payload == "drop head":
        payload = github("pull_request.opened.json")
        del payload["pull_request"]["head"]
    elif payload == "drop repository":
        payload = github("pull_request.opened.json")
        del payload["repository"]
    elif payload == "number as text":
        payload = github("pull_request.opened.json")
        payload["pull_request"]["number"] = "2"
    elif payload == "drop association":
        payload = comment_on_pr("/mochi review")
        del payload["comment"]["author_association"]
    elif payload == "drop issue":
        payload = comment_on_pr("/mochi review")
        del payload["issue"]
    with pytest.raises(ValueError, match=field):
        github_event(event, payload)


def test_a_payload_that_is_not_an_object_raises_value_error() -> None:
    with pytest.raises(ValueError, match="not an object"):
        github_event("pull_request", [1, 2])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not an object"):
        gitlab_event("merge_request")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------- GitLab


def mr(name: str = "merge_request.open.json", **attributes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(gitlab(name))
    payload["object_attributes"].update(attributes)
    return payload


def note(text: str, **attributes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(gitlab("note.merge_request.json"))
    payload["object_attributes"].update(note=text, **attributes)
    return payload


def test_an_opened_merge_request_asks_for_a_review_of_its_last_commit() -> None:
    assert gitlab_event(gitlab("merge_request.open.json")) == ChangeEvent(
        host="gitlab",
        project="gitlabhq/gitlab-test",
        number=1,
        head_sha="da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
        action="open",
        sender="root",
        project_id=1,
        api_url="http://example.com/api/v4",
    )


def test_reopen_and_update_with_new_commits_ask_for_a_review() -> None:
    reopened = gitlab_event(mr(action="reopen"))
    assert isinstance(reopened, ChangeEvent) and reopened.action == "reopen"
    updated = gitlab_event(gitlab("merge_request.update.json"))
    assert isinstance(updated, ChangeEvent)
    assert (updated.action, updated.number, updated.head_sha) == (
        "update",
        1,
        "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    )


def test_an_update_without_new_commits_is_ignored() -> None:
    payload = gitlab("merge_request.update.json")
    del payload["object_attributes"]["oldrev"]
    assert gitlab_event(payload) == Ignored("merge request !1 was updated without new commits (no oldrev)")
    # a title edit, a label: GitLab sends update with no oldrev (the documented example's changes)
    assert isinstance(gitlab_event(mr(action="update")), Ignored)


@pytest.mark.parametrize("action", ["close", "merge", "approved", "unapproved", "approval", "unapproval"])
def test_other_merge_request_actions_are_ignored(action: str) -> None:
    ignored = gitlab_event(mr(action=action, state="merged" if action == "merge" else "opened"))
    assert isinstance(ignored, Ignored) and f"'{action}'" in ignored.reason


def test_a_merge_request_that_is_not_opened_is_ignored() -> None:
    assert gitlab_event(mr("merge_request.update.json", state="closed")) == Ignored(
        "merge request !1 is closed: nothing to review"
    )


@pytest.mark.parametrize("flag", ["draft", "work_in_progress"])
def test_draft_merge_requests_are_ignored_unless_configured(flag: str) -> None:
    payload = mr(**{flag: True})
    ignored = gitlab_event(payload)
    assert isinstance(ignored, Ignored) and "!1 is a draft" in ignored.reason
    assert gitlab_event(payload, review_drafts=True) == gitlab_event(gitlab("merge_request.open.json"))


def test_a_review_command_note_on_a_merge_request_asks_for_a_review() -> None:
    assert gitlab_event(note("Rebased.\n/Mochi Review\n")) == ChangeEvent(
        host="gitlab",
        project="gitlab-org/gitlab-test",
        number=1,
        head_sha=None,
        action="note",
        sender="root",
        project_id=5,
        api_url="http://example.com/api/v4",
    )


def test_notes_without_the_command_elsewhere_or_edited_are_ignored() -> None:
    assert gitlab_event(gitlab("note.merge_request.json")) == Ignored(
        "the comment has no line '/mochi review'"
    )
    assert gitlab_event(note("please /mochi review")) == Ignored("the comment has no line '/mochi review'")
    on_issue = note("/mochi review", noteable_type="Issue")
    assert gitlab_event(on_issue) == Ignored("the comment is on 'Issue', not on a merge request")
    edited = gitlab_event(note("/mochi review", action="update"))
    assert isinstance(edited, Ignored) and "'update'" in edited.reason
    older_gitlab = note("/mochi review")
    del older_gitlab["object_attributes"]["action"]  # before GitLab 16.11 notes carried no action
    assert isinstance(gitlab_event(older_gitlab), ChangeEvent)
    closed = note("/mochi review")
    closed["merge_request"]["state"] = "merged"
    assert gitlab_event(closed) == Ignored("merge request !1 is merged: nothing to review")


def test_other_gitlab_events_are_ignored_by_kind() -> None:
    push = {"object_kind": "push", "event_name": "push", "ref": "refs/heads/master"}
    assert gitlab_event(push) == Ignored(
        "GitLab event 'push' asks for no review (mochi reads merge_request and note)"
    )
    member = {"event_name": "user_add_to_group", "group_id": 100, "user_username": "test_user"}
    assert gitlab_event(member) == Ignored("GitLab event 'user_add_to_group' asks for no review")


@pytest.mark.parametrize(
    ("drop", "field"),
    [
        (("object_attributes", "last_commit"), "'object_attributes.last_commit.id'"),
        (("object_attributes", "iid"), "'object_attributes.iid'"),
        (("project", "path_with_namespace"), "'project.path_with_namespace'"),
        (("user", "username"), "'user.username'"),
        (("project", "web_url"), "'project.web_url'"),
        (("object_kind",), "'object_kind'"),
    ],
)
def test_a_gitlab_payload_that_lacks_a_field_raises_value_error_naming_it(
    drop: tuple[str, ...], field: str
) -> None:
    payload = gitlab("merge_request.open.json")
    parent: Any = payload
    for key in drop[:-1]:
        parent = parent[key]
    del parent[drop[-1]]
    with pytest.raises(ValueError, match=field):
        gitlab_event(payload)


def test_a_note_that_lacks_the_merge_request_raises_value_error() -> None:
    payload = note("/mochi review")
    del payload["merge_request"]
    with pytest.raises(ValueError, match="'merge_request.iid'"):
        gitlab_event(payload)


@pytest.mark.parametrize(
    ("web_url", "path", "api"),
    [
        ("https://gitlab.com/group/sub/name", "group/sub/name", "https://gitlab.com/api/v4"),
        (
            "https://gitlab.example.com:8443/group/name",
            "group/name",
            "https://gitlab.example.com:8443/api/v4",
        ),
        ("https://example.com/gitlab/group/sub/name/", "group/sub/name", "https://example.com/gitlab/api/v4"),
        ("http://127.0.0.1:8929/root/app", "root/app", "http://127.0.0.1:8929/api/v4"),
    ],
)
def test_the_api_url_is_the_instance_serving_the_project(web_url: str, path: str, api: str) -> None:
    assert gitlab_api_url(web_url, path) == api


def test_a_web_url_that_is_not_http_raises_value_error() -> None:
    payload = gitlab("merge_request.open.json")
    payload["project"]["web_url"] = "git@example.com:gitlabhq/gitlab-test.git"
    with pytest.raises(ValueError, match="not an http"):
        gitlab_event(payload)
