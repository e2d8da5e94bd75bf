"""Pull request reviews over the API: a real `mochi serve` reads the PR from the loopback fake GitHub
(GITHUB_API_URL, GITHUB_TOKEN in the server's environment) and runs it like `mochi review --pr`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fakes.github_server import FakeGitHub
from tests.fakes.http_fake import Reply
from tests.gitrepo import GitRepo
from tests.server.conftest import SECRET_KEY, Served, create_key, start, stop
from tests.server.test_api import data, error
from tests.server.test_create_reviews import APP, BASE, CHANGED, wait

pytestmark = pytest.mark.slow

OWNER, NAME = "octo", "app"
TOKEN = "ghp_server_token_never_in_the_record"


@dataclass
class World:
    served: Served
    gh: FakeGitHub
    base: str
    head: str

    def add_pull(self, number: int) -> None:
        self.gh.add_pull(number, base_ref="main", base_sha=self.base, head_sha=self.head)

    def writes(self, number: int) -> list[str]:
        """The requests that changed something on pull request `number` (the GraphQL read aside)."""
        return [
            f"{r.method} {r.path}"
            for r in self.gh.requests
            if r.method != "GET" and r.path != "/graphql" and f"/{number}/" in r.path
        ]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The fake GitHub serving octo/app (a PR adding a private @Transactional method and a
    printStackTrace(), see CHANGED) and a server pointed at it."""
    path = tmp_path_factory.mktemp("pr-served")
    repo = GitRepo(path / "github-side")
    repo.write(APP, BASE)
    base = repo.commit("base")
    repo.run("checkout", "-q", "-b", "feature")
    repo.write(APP, CHANGED)
    head = repo.commit("a private @Transactional method")
    env = {"MOCHI_DATABASE_URL": f"sqlite:///{path / 'record.db'}", "MOCHI_SECRET_KEY": SECRET_KEY}
    keys = {role: create_key(env, f"{role}-key", role) for role in ("admin", "reviewer", "reader")}
    with FakeGitHub.start(repo.path, f"{OWNER}/{NAME}") as gh:
        server_env = {**env, "GITHUB_API_URL": gh.url, "GITHUB_TOKEN": TOKEN}
        proc, url = start(server_env, log=path / "server.log")
        try:
            yield World(Served(url=url, env=env, keys=keys, log=path / "server.log"), gh, base, head)
        finally:
            stop(proc)


def pr_body(number: int, **more: Any) -> dict[str, Any]:
    return {"owner": OWNER, "repo": NAME, "pr_number": number, "options": {"ai_model": "builtin"}, **more}


def post(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/api/reviews", json=body)


def test_a_dry_run_records_the_findings_and_posts_nothing(world: World) -> None:
    world.add_pull(7)
    with world.served.client("reviewer") as client:
        response = post(client, pr_body(7))
        created = data(response, 202)
        assert response.headers["location"] == f"/api/reviews/{created['id']}"
        assert (created["status"], created["review_type"], created["pr_number"]) == ("PENDING", "PR", 7)
        assert (created["github_owner"], created["github_repo"]) == (OWNER, NAME)
        review = wait(client, created["id"], "COMPLETED", "FAILED")
    assert review["status"] == "COMPLETED", review
    assert review["head_commit"] == world.head
    assert review["comments"] and review["findings_count"] == len(review["comments"])
    high = [c for c in review["comments"] if c["file_path"] == APP and c["severity"] == "high"]
    assert high, review["comments"]
    assert [h["action"] for h in review["history"]] == ["CREATED", "STARTED", "COMPLETED"]
    assert world.writes(7) == []  # read only: no review, no summary comment
    assert world.gh.reviews == [] and world.gh.issue_comments == []
    assert all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in world.gh.requests)
    with world.served.client("admin") as admin:
        keys = {k["name"]: k for k in data(admin.get("/api/keys"))["keys"]}
    assert review["user_id"] == (keys["reviewer-key"]["user_id"] or keys["reviewer-key"]["id"])
    assert TOKEN not in str(review)


def test_post_to_github_posts_one_review_and_the_summary(world: World) -> None:
    world.add_pull(8)
    with world.served.client("reviewer") as client:
        created = data(post(client, pr_body(8, post_to_github=True)), 202)
        review = wait(client, created["id"], "COMPLETED", "FAILED")
    assert review["status"] == "COMPLETED", review
    reviews = [r for r in world.gh.reviews if r["_pr"] == 8]
    summaries = [c for c in world.gh.issue_comments if c["_issue"] == 8]
    assert len(reviews) == 1 and len(summaries) == 1
    inline = [c for c in world.gh.review_comments if c["_pr"] == 8]
    assert inline and {c["path"] for c in inline} == {APP}
    assert world.gh.check_runs == {}  # no check run: a personal token cannot create them
    # what mochi sent was valid (the fake's own pulls/get example misses fields of its schema)
    assert [v for v in world.gh.violations if not v.startswith("response of")] == []
    posted = data(client_get(world, f"/api/reviews/{created['id']}/comments"))["comments"]
    assert any(c.get("posted_comment_id") for c in posted), posted


def client_get(world: World, path: str) -> httpx.Response:
    with world.served.client("reader") as reader:
        return reader.get(path)


def test_github_failures_end_the_review_failed_with_the_reason(world: World) -> None:
    with world.served.client("reviewer") as client:
        missing = data(post(client, pr_body(404)), 202)
        review = wait(client, missing["id"], "COMPLETED", "FAILED")
        assert review["status"] == "FAILED"
        assert f"{OWNER}/{NAME}#404 was not found on GitHub" in review["error"]
        assert review["history"][-1]["action"] == "FAILED"
        assert "was not found" in review["history"][-1]["details"]["error"]

        world.add_pull(9)
        unauthorized = {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}
        world.gh.enqueue("pulls/get", Reply(401, unauthorized))
        refused = data(post(client, pr_body(9)), 202)
        review = wait(client, refused["id"], "COMPLETED", "FAILED")
    assert review["status"] == "FAILED"
    assert "401" in review["error"] and "GITHUB_TOKEN" in review["error"]
    assert TOKEN not in str(review)


def test_a_review_github_refuses_to_take_is_failed_with_its_findings_kept(world: World) -> None:
    world.add_pull(10)
    forbidden = {"message": "Resource not accessible by personal access token", "documentation_url": "x"}
    world.gh.enqueue("pulls/create-review", Reply(403, forbidden))
    with world.served.client("reviewer") as client:
        created = data(post(client, pr_body(10, post_to_github=True)), 202)
        review = wait(client, created["id"], "COMPLETED", "FAILED")
    assert review["status"] == "FAILED"
    assert "could not post everything" in review["error"] and "403" in review["error"]
    assert review["comments"] and review["findings_count"] == len(review["comments"])
    assert [r for r in world.gh.reviews if r["_pr"] == 10] == []


def test_bad_requests_are_refused_before_anything_is_recorded(world: World) -> None:
    with world.served.client("reviewer") as client:
        before = data(client.get("/api/reviews", params={"limit": 500}))["count"]
        both = {**pr_body(7), "repo_path": "/tmp", "base_commit": "HEAD~1", "head_commit": "HEAD"}
        assert "not both" in error(post(client, both), 400, "VALIDATION_ERROR")["message"]
        error(post(client, {}), 400, "VALIDATION_ERROR")  # neither
        error(post(client, {"owner": OWNER, "repo": NAME}), 400, "VALIDATION_ERROR")
        error(post(client, {"post_to_github": True}), 400, "VALIDATION_ERROR")
        for owner in ("-octo", "octo-", "oc--to", "octo/evil", "..", "", "a" * 40, "oc to"):
            err = error(post(client, {**pr_body(7), "owner": owner}), 400, "VALIDATION_ERROR")
            assert "owner" in err["message"], err
        for name in ("..", ".", "app/../x", "", "a" * 101, "app?x=1"):
            error(post(client, {**pr_body(7), "repo": name}), 400, "VALIDATION_ERROR")
        for number in (0, -1, "seven", 2**31):
            error(post(client, {**pr_body(7), "pr_number": number}), 400, "VALIDATION_ERROR")
        bad_model = {**pr_body(7), "options": {"ai_model": "nosuch/model"}}
        error(post(client, bad_model), 400, "VALIDATION_ERROR")
        error(post(client, {**pr_body(7), "github_token": "x"}), 400, "VALIDATION_ERROR")
        error(post(client, {**pr_body(7), "api_url": "http://evil"}), 400, "VALIDATION_ERROR")
        assert data(client.get("/api/reviews", params={"limit": 500}))["count"] == before


def test_who_may_review_a_pull_request(world: World) -> None:
    with world.served.client("reader") as reader, world.served.client() as anonymous:
        error(post(reader, pr_body(7)), 403, "FORBIDDEN")
        error(post(anonymous, pr_body(7)), 401, "UNAUTHORIZED")


def test_without_a_github_token_a_pull_request_review_is_refused(tmp_path: Path) -> None:
    env = {"MOCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'record.db'}", "MOCHI_SECRET_KEY": SECRET_KEY}
    key = create_key(env, "rev", "reviewer")
    no_token = {**env, "GITHUB_TOKEN": "", "GH_TOKEN": "", "INPUT_GITHUB_TOKEN": ""}
    proc, url = start(no_token, log=tmp_path / "server.log")
    try:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
            err = error(post(client, pr_body(7)), 503, "SERVICE_UNAVAILABLE")
            assert "GITHUB_TOKEN" in err["message"]
            assert data(client.get("/api/reviews"))["count"] == 0
    finally:
        stop(proc)


def test_a_failed_pull_request_review_is_retried_in_its_own_row_as_it_was_asked(world: World) -> None:
    with world.served.client("reviewer") as client:
        created = data(post(client, pr_body(11, post_to_github=True)), 202)
        failed = wait(client, created["id"], "COMPLETED", "FAILED")
        assert failed["status"] == "FAILED" and "was not found" in failed["error"]
        world.add_pull(11)  # the pull request is there now
        retried = client.post(f"/api/reviews/{created['id']}/retry", json={})
        assert retried.status_code == 202, retried.text
        review = wait(client, created["id"], "COMPLETED", "FAILED")
        again = client.post(f"/api/reviews/{created['id']}/retry", json={})
    assert review["status"] == "COMPLETED", review
    assert review["attempts"] == 2 and review["options"]["post_to_github"] is True
    assert [r["_pr"] for r in world.gh.reviews if r["_pr"] == 11] == [11]  # posted, as first asked
    assert again.status_code == 409
