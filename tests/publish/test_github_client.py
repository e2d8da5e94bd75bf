"""GitHubClient against FakeGitHub: rate limits waited out within a bound, 5xx retried, pages followed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mochi.errors import GitHubAPIError
from mochi.platforms.github.client import GitHubClient, make_http
from tests.fakes.github_server import FakeGitHub
from tests.fakes.http_fake import Reply
from tests.gitrepo import GitRepo

REPO = "octo/app"


@pytest.fixture
def gh(tmp_path: Path):  # type: ignore[no-untyped-def]
    repo = GitRepo(tmp_path / "r")
    repo.write("a.txt", "a\n")
    base = repo.commit("base")
    for i in range(5):
        repo.write(f"f{i}.txt", f"{i}\n")
    head = repo.commit("five files")
    with FakeGitHub.start(repo.path, REPO) as fake:
        fake.add_pull(1, base_ref="main", base_sha=base, head_sha=head)
        yield fake


def client(
    gh: FakeGitHub, sleeps: list[float], *, max_wait_s: float = 120.0, now: float = 1000.0
) -> GitHubClient:
    return GitHubClient(
        make_http(gh.url, "tok"), sleep=sleeps.append, clock=lambda: now, max_wait_s=max_wait_s
    )


def test_retry_after_is_honoured(gh: FakeGitHub) -> None:
    sleeps: list[float] = []
    gh.enqueue("pulls/get", Reply(429, {"message": "slow down"}, headers={"retry-after": "7"}))
    gh.enqueue("pulls/get", Reply(403, {"message": "secondary rate limit"}, headers={"retry-after": "3"}))
    data = client(gh, sleeps).get(f"/repos/{REPO}/pulls/1")
    assert data["number"] == 1
    assert sleeps == [7.0, 3.0]
    assert gh.requests[0].headers["authorization"] == "Bearer tok"


def test_rate_limit_reset_is_waited_for(gh: FakeGitHub) -> None:
    sleeps: list[float] = []
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1010"}
    gh.enqueue("pulls/get", Reply(403, {"message": "API rate limit exceeded"}, headers=headers))
    client(gh, sleeps, now=1000.0).get(f"/repos/{REPO}/pulls/1")
    assert sleeps == [11.0]  # until the reset, plus a second of slack


def test_the_total_wait_is_bounded(gh: FakeGitHub) -> None:
    sleeps: list[float] = []
    for _ in range(3):
        gh.enqueue("pulls/get", Reply(429, {"message": "slow down"}, headers={"retry-after": "20"}))
    with pytest.raises(GitHubAPIError) as err:
        client(gh, sleeps, max_wait_s=30).get(f"/repos/{REPO}/pulls/1")
    assert sleeps == [20.0]  # the second wait would pass the 30 s bound
    assert err.value.status == 429 and "30 s" in str(err.value) and "tok" not in str(err.value)


def test_server_errors_back_off_then_succeed_and_other_errors_do_not_retry(gh: FakeGitHub) -> None:
    sleeps: list[float] = []
    gh.enqueue("pulls/get", Reply(502, "bad gateway"))
    gh.enqueue("pulls/get", Reply(503, {"message": "unavailable"}))
    assert client(gh, sleeps).get(f"/repos/{REPO}/pulls/1")["number"] == 1
    assert sleeps == [1.0, 2.0]
    with pytest.raises(GitHubAPIError) as err:
        client(gh, sleeps).get(f"/repos/{REPO}/pulls/99")
    assert err.value.status == 404 and sleeps == [1.0, 2.0]


def test_pagination_follows_link_headers(gh: FakeGitHub) -> None:
    files = GitHubClient(make_http(gh.url, None)).paginate(f"/repos/{REPO}/pulls/1/files", {"per_page": 2})
    assert sorted(f["filename"] for f in files) == [f"f{i}.txt" for i in range(5)]
    assert len(gh.requests_to("/pulls/1/files")) == 3
