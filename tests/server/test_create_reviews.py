"""Creating reviews over the API: a real `mochi serve --repo-root` runs them in the background (issue 14)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.gitrepo import GitRepo
from tests.server.conftest import SECRET_KEY, Served, backend_url, create_key, start, stop
from tests.server.test_api import data, error
from tests.store.pg import BACKENDS

pytestmark = pytest.mark.slow

APP = "src/main/java/app/App.java"
BASE = "package app;\n\npublic class App {\n}\n"
# @Transactional on a private method (java.transactional-private-final, high) and a printStackTrace()
# (java.print-stack-trace, medium): two findings of two severities from rules that are on by default
CHANGED = (
    "package app;\n\n"
    "import org.springframework.transaction.annotation.Transactional;\n\n"
    "public class App {\n"
    "    @Transactional\n"
    "    private void save() {\n"
    "    }\n\n"
    "    void run() {\n"
    "        try {\n"
    '            Integer.parseInt("1");\n'
    "        } catch (Exception e) {\n"
    "            e.printStackTrace();\n"
    "        }\n"
    "    }\n"
    "}\n"
)


@pytest.fixture(scope="module", params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A server allowed to review the checkouts under `<tmp>/repos`, with a key per role."""
    path = tmp_path_factory.mktemp("served")
    (path / "repos").mkdir()
    env = {"MOCHI_DATABASE_URL": backend_url(request, path), "MOCHI_SECRET_KEY": SECRET_KEY}
    keys = {role: create_key(env, f"{role}-key", role) for role in ("admin", "reviewer", "reader")}
    proc, url = start(env, "--repo-root", str(path / "repos"), "--workers", "2", log=path / "server.log")
    try:
        yield Served(url=url, env=env, keys=keys, log=path / "server.log")
    finally:
        stop(proc)


def root(served: Served) -> Path:
    return served.log.parent / "repos"


def make_repo(served: Served, name: str) -> tuple[GitRepo, str, str]:
    """A repository under the server's root with one change; (repo, base sha, head sha)."""
    repo = GitRepo(root(served) / name)
    repo.write(APP, BASE)
    repo.commit("base")
    base = repo.run("rev-parse", "HEAD").strip()
    repo.write(APP, CHANGED)
    repo.commit("change")
    return repo, base, repo.run("rev-parse", "HEAD").strip()


def wait(client: httpx.Client, review_id: int, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        review: dict[str, Any] = data(client.get(f"/api/reviews/{review_id}"))
        if review["status"] in statuses:
            return review
        time.sleep(0.2)
    raise AssertionError(f"review {review_id} is still {review['status']}")


def post(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/api/reviews", json=body)


def test_a_review_is_created_runs_in_the_background_and_records_its_comments(served: Served) -> None:
    repo, base, head = make_repo(served, "created")
    body = {"repo_path": str(repo.path), "base_commit": base, "head_commit": head}
    with served.client("reviewer") as client, served.client("reader") as reader:
        response = post(client, {**body, "options": {"ai_model": "builtin"}})
        created = data(response, 202)
        assert created["status"] == "PENDING" and created["review_type"] == "LOCAL"
        assert response.headers["location"] == f"/api/reviews/{created['id']}"
        review = wait(reader, created["id"], "COMPLETED", "FAILED")
        key = data(reader.get("/api/reviews", params={"limit": 1}))  # the reader can follow it
        assert key["count"] == 1
    assert review["status"] == "COMPLETED", review
    assert review["repo_path"] == str(repo.path) and review["head_commit"] == head
    assert review["findings_count"] == len(review["comments"]) >= 2
    paths = {(c["file_path"], c["line_number"]) for c in review["comments"]}
    assert all(p == APP and isinstance(n, int) and n > 0 for p, n in paths)
    assert {c["severity"] for c in review["comments"]} >= {"high", "medium"}
    assert [h["action"] for h in review["history"]] == ["CREATED", "STARTED", "COMPLETED"]
    assert review["user_id"] is not None  # the key that asked
    with served.client("admin") as admin:
        keys = {k["name"]: k for k in data(admin.get("/api/keys"))["keys"]}
    assert review["user_id"] == (keys["reviewer-key"]["user_id"] or keys["reviewer-key"]["id"])


def test_severity_level_reports_only_findings_at_or_above_it(served: Served) -> None:
    repo, base, head = make_repo(served, "severity")
    body = {"repo_path": str(repo.path), "base_commit": base, "head_commit": head}
    options = {"ai_model": "builtin", "severity_level": "high", "include_design_patterns": False}
    with served.client("reviewer") as client:
        created = data(post(client, {**body, "options": options}), 202)
        review = wait(client, created["id"], "COMPLETED", "FAILED")
    assert review["status"] == "COMPLETED", review
    assert review["comments"] and {c["severity"] for c in review["comments"]} <= {"high", "critical"}
    assert review["options"]["min_severity"] == "high"


def test_who_may_create_a_review(served: Served) -> None:
    repo, base, head = make_repo(served, "auth")
    body = {"repo_path": str(repo.path), "base_commit": base, "head_commit": head}
    with served.client("reader") as reader, served.client() as anonymous:
        error(post(reader, body), 403, "FORBIDDEN")
        error(post(anonymous, body), 401, "UNAUTHORIZED")


def test_paths_outside_the_roots_and_bad_refs_are_refused(served: Served, tmp_path: Path) -> None:
    repo, base, head = make_repo(served, "safety")
    outside = GitRepo(tmp_path / "outside")  # a real repository, but not under the root
    outside.write("a.txt", "a\n")
    outside.commit("a")
    link = root(served) / "escape"
    link.symlink_to(outside.path)
    plain = root(served) / "plain"
    plain.mkdir()
    good = {"base_commit": base, "head_commit": head, "options": {"ai_model": "builtin"}}
    with served.client("reviewer") as client:
        for path in ("/etc", f"{repo.path}/../../{tmp_path.name}", str(link), str(outside.path)):
            err = error(post(client, {**good, "repo_path": path}), 403, "FORBIDDEN_PATH")
            assert "--repo-root" in err["message"]
        error(post(client, {**good, "repo_path": str(plain)}), 400, "VALIDATION_ERROR")
        error(post(client, {**good, "repo_path": "relative/path"}), 400, "VALIDATION_ERROR")
        error(post(client, {**good, "repo_path": str(root(served) / "missing")}), 400, "VALIDATION_ERROR")
        for ref in ("--upload-pack=x", "nope", "-", "a..b", "HEAD:App.java", ""):
            body = {**good, "repo_path": str(repo.path), "head_commit": ref}
            error(post(client, body), 400, "VALIDATION_ERROR")
        error(post(client, {**good, "repo_path": str(repo.path), "extra": 1}), 400, "VALIDATION_ERROR")
        opts = {"ai_model": "builtin", "colour": "red"}
        error(post(client, {**good, "repo_path": str(repo.path), "options": opts}), 400, "VALIDATION_ERROR")
        bad_model = {"ai_model": "nosuch/model"}
        error(
            post(client, {**good, "repo_path": str(repo.path), "options": bad_model}), 400, "VALIDATION_ERROR"
        )
        error(post(client, {"repo_path": str(repo.path)}), 400, "VALIDATION_ERROR")
        pr = {"owner": "acme", "repo": "api", "pr_number": 7}  # a pull request too: one or the other
        error(post(client, {**good, "repo_path": str(repo.path), **pr}), 400, "VALIDATION_ERROR")


def test_a_failed_review_is_retried_in_its_own_row_and_a_completed_one_is_not(served: Served) -> None:
    repo, base, head = make_repo(served, "retry")
    with served.client("reviewer") as client:
        # nothing between a commit and itself: the review fails, and stays (a client polls for it)
        empty = {"repo_path": str(repo.path), "base_commit": head, "head_commit": head}
        failed = data(post(client, {**empty, "options": {"ai_model": "builtin"}}), 202)
        review = wait(client, failed["id"], "FAILED", "COMPLETED")
        assert review["status"] == "FAILED" and "nothing to review" in review["error"]
        retried = client.post(f"/api/reviews/{failed['id']}/retry")
        assert data(retried, 202)["id"] == failed["id"]
        assert retried.headers["location"] == f"/api/reviews/{failed['id']}"
        again = wait(client, failed["id"], "FAILED", "COMPLETED")
        deadline = time.monotonic() + 30
        while again["attempts"] < 2 and time.monotonic() < deadline:
            again = wait(client, failed["id"], "FAILED", "COMPLETED")
        assert again["status"] == "FAILED" and again["attempts"] == 2
        assert [h["action"] for h in again["history"]].count("STARTED") == 2

        ok = {"repo_path": str(repo.path), "base_commit": base, "head_commit": head}
        done = data(post(client, {**ok, "options": {"ai_model": "builtin"}}), 202)
        assert wait(client, done["id"], "COMPLETED", "FAILED")["status"] == "COMPLETED"
        error(client.post(f"/api/reviews/{done['id']}/retry"), 409, "CONFLICT")
        error(client.post("/api/reviews/999999/retry"), 404, "NOT_FOUND")

        # a repository that is gone: its failed review cannot run again (400), nothing changes
        shutil.rmtree(repo.path)
        error(client.post(f"/api/reviews/{failed['id']}/retry"), 400, "VALIDATION_ERROR")
    with served.client("reader") as reader:
        error(reader.post(f"/api/reviews/{failed['id']}/retry"), 403, "FORBIDDEN")


def test_without_roots_a_review_is_refused_with_how_to_allow_one(tmp_path: Path) -> None:
    env = {"MOCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'record.db'}", "MOCHI_SECRET_KEY": SECRET_KEY}
    key = create_key(env, "rev", "reviewer")
    proc, url = start(env, log=tmp_path / "server.log")
    try:
        body = {"repo_path": str(tmp_path), "base_commit": "HEAD~1", "head_commit": "HEAD"}
        response = httpx.post(f"{url}/api/reviews", json=body, headers={"Authorization": f"Bearer {key}"})
        assert "--repo-root" in error(response, 403, "FORBIDDEN_PATH")["message"]
    finally:
        stop(proc)
