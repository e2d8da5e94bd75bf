"""Publishing on a GitLab merge request, against a fake that checks positions as GitLab does."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest

from mochi.diff.git import Git
from mochi.diff.sources import git_range
from mochi.findings import finalize
from mochi.models import Diff, Finding, Review, ReviewTarget, Severity, TargetKind
from mochi.platforms.gitlab.client import GitLabAPIError, GitLabClient, make_http
from mochi.platforms.gitlab.diff import api_mr_diff, latest_version
from mochi.platforms.gitlab.publish import GitLabMergeRequest
from tests.fakes.gitlab_server import FakeGitLab
from tests.fakes.http_fake import Reply
from tests.gitlab_scenario import IID, Scenario, make_repo, serve


@pytest.fixture
def scenario(tmp_path: Path) -> Scenario:
    return make_repo(tmp_path / "repo")


def _client(gl: FakeGitLab, sleeps: list[float] | None = None) -> GitLabClient:
    http = make_http(gl.url + "/api/v4", gl.token)
    return GitLabClient(http, sleep=(sleeps.append if sleeps is not None else lambda _s: None))


def _review(diff: Diff, raw: list[Finding]) -> Review:
    found, _ = finalize(raw, diff)
    return Review(
        target=ReviewTarget(kind=TargetKind.PULL_REQUEST, number=IID),
        findings=tuple(found),
        reviewed=tuple(f.path for f in diff.files),
    )


FINDINGS = [
    Finding(
        path="src/App.java", line=5, message="Subtraction where the name says total.", severity=Severity.HIGH
    ),
    Finding(path="src/App.java", line=4, message="A context line remark."),
    Finding(path="src/App.java", line=3, side="LEFT", message="Removing this import breaks List users."),
    Finding(path="src/App.java", line=7, end_line=9, message="ratio divides by zero when b is 0."),
    Finding(path="new/Name.java", line=3, message="name is null here."),
    Finding(path="new/Name.java", line=11, message="A remark far from the diff."),
]


def _post_all(gl: FakeGitLab, s: Scenario, *, from_api: bool, drafts: bool = False) -> tuple[Review, object]:
    client = _client(gl)
    version = latest_version(client, gl.project_id, IID)
    raw = api_mr_diff(client, gl.project_id, IID) if from_api else git_range(Git(s.repo.path), s.base, s.head)
    diff = Diff(files=raw.files)
    review = _review(diff, FINDINGS)
    mr = GitLabMergeRequest(client, gl.project_id, IID)
    report = mr.publish(review, diff, version, mr.state(drafts=drafts), drafts=drafts)
    return review, report


@pytest.mark.parametrize("from_api", [True, False], ids=["diff-from-api", "diff-from-checkout"])
def test_every_kind_of_line_gets_a_position_gitlab_accepts(scenario: Scenario, from_api: bool) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        _, report = _post_all(gl, scenario, from_api=from_api)
        assert gl.rejected_positions == []
        notes = gl.diff_notes(IID)
        by_body = {n["body"].split("\n\n")[1]: n["position"] for n in notes}
        summary = [n for n in gl.notes(IID) if n["type"] is None]
    assert len(notes) == 5 and len(summary) == 1
    added = by_body["Subtraction where the name says total."]
    assert (added.get("old_line"), added["new_line"]) == (None, 5)
    assert {
        "position_type": "text",
        "base_sha": scenario.base,
        "start_sha": scenario.base,
        "head_sha": scenario.head,
    }.items() <= added.items()
    context = by_body["A context line remark."]
    assert (context["old_line"], context["new_line"]) == (6, 4)
    deleted = by_body["Removing this import breaks List users."]
    assert (deleted["old_line"], deleted.get("new_line")) == (3, None)
    multi = by_body["ratio divides by zero when b is 0."]
    # git aligns the closing brace as context: the range ends on a context line (old 8, new 9)
    assert (multi["old_line"], multi["new_line"]) == (8, 9)
    sha = hashlib.sha1(b"src/App.java").hexdigest()
    assert multi["line_range"]["start"] == {
        "line_code": f"{sha}_8_7",
        "type": "new",
        "old_line": None,
        "new_line": 7,
    }
    assert multi["line_range"]["end"] == {
        "line_code": f"{sha}_8_9",
        "type": "old",
        "old_line": 8,
        "new_line": 9,
    }
    renamed = by_body["name is null here."]
    assert (renamed["old_path"], renamed["new_path"], renamed["new_line"]) == (
        "old/Name.java",
        "new/Name.java",
        3,
    )
    # the one finding outside the diff's lines is in the summary note, not lost
    assert "A remark far from the diff." in summary[0]["body"]
    assert "new/Name.java:11" in summary[0]["body"]
    assert report.posted == 5 and [f.line for f in report.unanchored] == [11]


def test_the_fake_refuses_a_position_that_is_not_in_the_diff_like_gitlab(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        client = _client(gl)
        position = {
            "position_type": "text",
            "base_sha": scenario.base,
            "start_sha": scenario.base,
            "head_sha": scenario.head,
            "old_path": "src/App.java",
            "new_path": "src/App.java",
            "new_line": 4,
        }  # a context line without its old_line
        with pytest.raises(GitLabAPIError) as info:
            client.post(
                f"/projects/{gl.project_id}/merge_requests/{IID}/discussions",
                {"body": "x", "position": position},
            )
    assert info.value.status == 400
    assert "line_code" in info.value.detail and "can't be blank" in info.value.detail


def test_a_refused_position_moves_the_finding_into_the_summary(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        # GitLab's diff for the file differs from ours (e.g. it was regenerated): one refusal
        gl.enqueue(
            "post_discussion",
            Reply(400, {"message": '400 Bad request - Note {:line_code=>["can\'t be blank"]}'}),
        )
        _, report = _post_all(gl, scenario, from_api=True)
        summary = next(n for n in gl.notes(IID) if n["type"] is None)
    assert report.posted == 4 and len(report.unanchored) == 2
    assert report.unanchored[0].message in summary["body"]


def test_a_rerun_posts_nothing_twice_and_edits_the_summary_in_place(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        _post_all(gl, scenario, from_api=True)
        first = [dict(n) for n in gl.notes(IID)]
        _, report = _post_all(gl, scenario, from_api=True)
        second = gl.notes(IID)
        puts = [r for r in gl.requests if r.method == "PUT"]
    assert len(second) == len(first) == 6
    assert report.posted == 0 and report.already_there == 5 and not report.summary_created
    assert len(puts) == 1 and puts[0].path.endswith(f"/notes/{first[-1]['id']}")
    assert f"mochi:summary head={scenario.head}" in second[-1]["body"]


def test_draft_notes_are_published_in_one_batch(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        _post_all(gl, scenario, from_api=True, drafts=True)
        drafts = gl.requests_to("/draft_notes")
        publishes = gl.requests_to("/draft_notes/bulk_publish")
        notes = gl.diff_notes(IID)
        direct = [r for r in gl.requests_to("/discussions") if r.method == "POST"]
    assert len([r for r in drafts if r.method == "POST"]) == 5 and len(publishes) == 1
    assert len(notes) == 5 and direct == [] and gl.rejected_positions == []


def test_client_waits_out_429_and_retries_5xx_then_follows_pages(scenario: Scenario) -> None:
    with FakeGitLab.start(per_page_max=1) as gl:
        serve(gl, scenario)
        gl.enqueue("diffs", Reply(429, {"message": "Retry later"}, headers={"retry-after": "3"}))
        gl.enqueue("diffs", Reply(502, "bad gateway"))
        sleeps: list[float] = []
        raw = api_mr_diff(_client(gl, sleeps), gl.project_id, IID)
        pages = [r.query.get("page") for r in gl.requests_to("/diffs")]
    assert sleeps == [3.0, 2.0]
    assert {f.path for f in raw.files} == {"src/App.java", "new/Name.java"}
    assert pages == ["1", "1", "1", "2"]


def test_a_rejected_token_says_which_token_to_create(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        client = GitLabClient(make_http(gl.url + "/api/v4", "wrong"), sleep=lambda _s: None)
        with pytest.raises(GitLabAPIError) as info:
            latest_version(client, gl.project_id, IID)
    assert (
        info.value.status == 401
        and "project access token" in str(info.value)
        and "wrong" not in str(info.value)
    )


def test_http_client_sends_private_token(scenario: Scenario) -> None:
    with FakeGitLab.start() as gl:
        serve(gl, scenario)
        latest_version(_client(gl), gl.project_id, IID)
        req = gl.requests[-1]
    assert req.headers["private-token"] == gl.token
    assert isinstance(make_http("http://x/api/v4", "t"), httpx.Client)
