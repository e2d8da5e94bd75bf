"""GitLab webhooks through the PostgreSQL queue: a real `mochi serve`, real `mochi worker` processes,
the loopback fake GitLab serving merge requests built from a real git repository, a real PostgreSQL
record. Deliveries are GitLab's own example payloads (tests/fixtures/gitlab/events), pointed at the
fake's project and merge requests."""

from __future__ import annotations

import copy
import json
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.fakes.gitlab_server import FakeGitLab, entries_from_git
from tests.fixtures_path import FIXTURES
from tests.queue.world import TRANSACTIONAL, Repo, start_worker, wait_for
from tests.server.conftest import SECRET_KEY, start, stop
from tests.store.pg import empty_pg, pg_database  # noqa: F401 (a fixture)
from tests.test_cli import mochi

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PROJECT = "group/app"
PROJECT_ID = "42"
WEBHOOK_TOKEN = "glwh-webhook-token-never-logged-7c1e9b"
GITLAB_TOKEN = "glpat-worker-token-never-logged-2d8f4a"
EVENTS = FIXTURES / "gitlab" / "events"
FINISHED = ("succeeded", "failed", "cancelled", "aborted")


def _project(payload: dict[str, Any], web_url: str) -> None:
    """Point a fixture payload's project at the fake's project, served at `web_url`."""
    payload["project"].update(
        id=int(PROJECT_ID),
        name="app",
        namespace="group",
        path_with_namespace=PROJECT,
        web_url=web_url,
        homepage=web_url,
        git_http_url=web_url + ".git",
        http_url=web_url + ".git",
        url=web_url + ".git",
    )
    payload["project_id"] = int(PROJECT_ID)


def merge_request_payload(
    kind: str, web_url: str, iid: int, head: str, *, oldrev: str | None = None
) -> dict[str, Any]:
    """GitLab's merge_request example (`kind` open or update), for merge request `iid` at `head`;
    an update carries `oldrev` when commits were pushed, none when only the title or labels changed."""
    payload: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / f"merge_request.{kind}.json").read_text()))
    _project(payload, web_url)
    attrs = payload["object_attributes"]
    attrs.update(
        iid=iid,
        state="opened",
        draft=False,
        work_in_progress=False,
        source_branch=f"pr{iid}",
        target_branch="main",
        source_project_id=int(PROJECT_ID),
        target_project_id=int(PROJECT_ID),
        url=f"{web_url}/-/merge_requests/{iid}",
    )
    attrs["last_commit"]["id"] = head
    attrs.pop("oldrev", None)
    if oldrev is not None:
        attrs["oldrev"] = oldrev
    elif kind == "update":
        payload["changes"] = {
            "title": {"previous": attrs["title"], "current": "Draft-free: " + attrs["title"]}
        }
    return payload


def note_payload(web_url: str, iid: int, body: str = "/mochi review") -> dict[str, Any]:
    """GitLab's note-on-a-merge-request example: a comment `body` on merge request `iid`."""
    payload: dict[str, Any] = copy.deepcopy(json.loads((EVENTS / "note.merge_request.json").read_text()))
    _project(payload, web_url)
    payload["object_attributes"].update(
        note=body, noteable_type="MergeRequest", action="create", project_id=int(PROJECT_ID)
    )
    payload["merge_request"].update(
        iid=iid, state="opened", source_project_id=int(PROJECT_ID), target_project_id=int(PROJECT_ID)
    )
    return payload


def deliver(
    url: str, payload: dict[str, Any], *, delivery: str | None = None, token: str | None = WEBHOOK_TOKEN
) -> httpx.Response:
    """POST a delivery as GitLab does (raw JSON body, its headers); `token` None sends no X-Gitlab-Token."""
    hook = "Note Hook" if payload.get("object_kind") == "note" else "Merge Request Hook"
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "GitLab/17.5.0",
        "X-Gitlab-Event": hook,
        "X-Gitlab-Instance": "https://gitlab.example.com",
        "X-Gitlab-Webhook-UUID": "2b0e5b7f-3f3c-4d4f-9d51-8c1c1a0f3e11",
        "X-Gitlab-Event-UUID": delivery or str(uuid.uuid4()),
    }
    if token is not None:
        headers["X-Gitlab-Token"] = token
    return httpx.post(
        f"{url}/api/webhooks/gitlab", content=json.dumps(payload).encode(), headers=headers, timeout=10
    )


def followup_java(name: str) -> str:
    """A new class with a private @Transactional method: java.transactional-private-final (high)."""
    return (
        f"package app;\n\n{TRANSACTIONAL}\npublic class {name} {{\n"
        "    @Transactional\n    private void run(String s) {\n"
        "        Long.parseLong(s);\n"
        "    }\n}\n"
    )


@dataclass
class World:
    gl: FakeGitLab
    repo: Repo
    env: dict[str, str]
    url: str
    database_url: str
    path: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def web_url(self) -> str:
        return f"{self.gl.url}/{PROJECT}"

    def jobs(self) -> list[dict[str, Any]]:
        listed = mochi("jobs", "list", "--limit", "10000", "--json", env=self.env)
        assert listed.returncode == 0, listed.stderr
        return list(json.loads(listed.stdout)["jobs"])

    def job(self, job_id: int) -> dict[str, Any]:
        (found,) = [j for j in self.jobs() if j["id"] == job_id]
        return found

    def finished(self, job_id: int, timeout: float = 90) -> dict[str, Any]:
        wait_for(lambda: self.job(job_id)["status"] in FINISHED, timeout, f"job {job_id} to finish")
        return self.job(job_id)

    def sql(self, query: str) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(query)))
        finally:
            engine.dispose()

    def worker(self, name: str = "worker") -> None:
        log = self.path / f"{name}.log"
        self.workers.append(start_worker(self.env, log, "--concurrency", "1", "--lease", "6"))

    def opened(self, iid: int) -> str:
        """Merge request `iid` opened on GitLab with its first commit; the head."""
        head = self.repo.push(iid)
        self.gl.push_version(
            iid,
            base=self.repo.base,
            start=self.repo.base,
            head=head,
            entries=entries_from_git(self.repo.git, self.repo.base, head),
        )
        self.gl.mrs[iid].source_branch = f"pr{iid}"
        self.gl.mrs[iid].title = f"Feature {iid}"
        self.gl.add_files(self.repo.git, head)
        return head

    def pushed(self, iid: int) -> str:
        """One more commit pushed to merge request `iid`: a new diff version; the new head."""
        pushes = self.repo.heads[iid]
        before = pushes[-1]
        # a new file with its own private @Transactional method: a finding with its own fingerprint
        # (the same method in the same file would be the finding already discussed, by design)
        self.repo.git.run("checkout", "-q", "-B", f"pr{iid}", before)
        name = f"Followup{iid}x{len(pushes)}"
        self.repo.git.write(f"src/main/java/app/{name}.java", followup_java(name))
        head = self.repo.git.commit(f"mr {iid} push {len(pushes) + 1}")
        pushes.append(head)
        self.gl.push_version(
            iid,
            base=self.repo.base,
            start=self.repo.base,
            head=head,
            entries=entries_from_git(self.repo.git, self.repo.base, head),
        )
        self.gl.add_compare(before, head, entries_from_git(self.repo.git, before, head))
        self.gl.add_files(self.repo.git, head)
        return head

    # ------------------------------------------------------------------ what GitLab received

    def summaries(self, iid: int) -> list[dict[str, Any]]:
        return [n for n in self.gl.notes(iid) if n["type"] is None and "mochi:summary" in n["body"]]

    def posts(self, iid: int, rest: str, method: str = "POST") -> int:
        path = f"/api/v4/projects/{PROJECT_ID}/merge_requests/{iid}{rest}"
        return len([r for r in self.gl.requests if r.method == method and r.path == path])


def _env(gl: FakeGitLab, database_url: str) -> dict[str, str]:
    return {
        "MOCHI_DATABASE_URL": database_url,
        "MOCHI_SECRET_KEY": SECRET_KEY,
        "MOCHI_GITLAB_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
        "MOCHI_GITLAB_TOKEN": GITLAB_TOKEN,
        "GITLAB_API_URL": gl.url + "/api/v4",
        "MOCHI_PROVIDER": "builtin",
    }


@pytest.fixture
def world(pg_database: str, tmp_path: Path) -> Iterator[World]:  # noqa: F811 (the fixture)
    repo = Repo.create(tmp_path / "gitlab-side")
    database_url = empty_pg(pg_database)
    with FakeGitLab.start(token=GITLAB_TOKEN, project_id=PROJECT_ID, project_path=PROJECT) as gl:
        env = _env(gl, database_url)
        proc, url = start(env, log=tmp_path / "server.log")
        w = World(gl, repo, env, url, database_url, tmp_path)
        try:
            yield w
        finally:
            for worker in w.workers:
                stop(worker)
            stop(proc)
    for log in tmp_path.glob("*.log"):
        text_ = log.read_text(errors="replace")
        assert WEBHOOK_TOKEN not in text_ and GITLAB_TOKEN not in text_, f"a token in {log.name}"
    # (a failed job's traceback is procrastinate's to log in the worker's; the server never has one)
    server = (tmp_path / "server.log").read_text(errors="replace")
    assert "Traceback" not in server, f"a crash in the server:\n{server}"


def _no_duplicate_discussions(world: World, iid: int) -> None:
    posted = [
        (n["position"]["new_path"], n["position"].get("new_line"), n["body"])
        for n in world.gl.diff_notes(iid)
    ]
    assert len(posted) == len(set(posted)), "a discussion was posted twice"


def test_a_merge_request_is_queued_reviewed_by_a_worker_and_posted_once_then_reviewed_at_its_new_head(
    world: World,
) -> None:
    head = world.opened(1)
    payload = merge_request_payload("open", world.web_url, 1, head)
    answer = deliver(world.url, payload, delivery="gl-open-1")
    assert answer.status_code == 202, answer.text
    queued = answer.json()["data"]
    assert queued["queued"] is True and queued["runs"] == "queue" and queued["change"] == "gitlab:group/app#1"

    again = deliver(world.url, payload, delivery="gl-open-1")  # GitLab retries the same event
    assert again.status_code == 200, again.text
    assert again.json()["data"]["duplicate"] is True and again.json()["data"]["queued"] is False
    (job,) = world.jobs()  # the replay queued nothing
    assert (job["id"], job["status"], job["head_sha"], job["action"]) == (
        queued["job_id"],
        "todo",
        head,
        "open",
    )

    world.worker()
    assert world.finished(queued["job_id"])["status"] == "succeeded"
    # the worker read the merge request with its token, and posted the review once
    shown = world.gl.requests_to(f"/projects/{PROJECT_ID}/merge_requests/1")
    assert shown and all(r.headers.get("private-token") == GITLAB_TOKEN for r in world.gl.requests)
    discussions = world.gl.diff_notes(1)
    assert discussions, "the built-in checks found the private @Transactional: one discussion on its line"
    assert all(n["position"]["head_sha"] == head for n in discussions)
    assert world.posts(1, "/discussions") == len(discussions)
    (summary,) = world.summaries(1)
    assert f"head={head}" in summary["body"] and world.posts(1, "/notes") == 1
    assert world.gl.rejected_positions == []
    rows = world.sql("SELECT status, head_commit, repository, pr_number, options FROM reviews")
    assert [tuple(r[:4]) for r in rows] == [("COMPLETED", head, PROJECT, 1)]
    options = rows[0][4]
    assert options["job"] == queued["job_id"] and options["trigger"] == "open"
    # the event UUID with a digest of the body: see test_events_sharing_an_event_uuid_...
    assert options["delivery"].startswith("uuid:gl-open-1:") and options["host"] == "gitlab"
    stored = world.sql("SELECT host, delivery_id, outcome FROM webhook_deliveries")
    assert stored == [("gitlab", options["delivery"], f"queued as job {queued['job_id']}")]

    # new commits: GitLab's update carries oldrev; the new head is reviewed, the summary note edited
    first = len(discussions)
    head2 = world.pushed(1)
    update = deliver(
        world.url, merge_request_payload("update", world.web_url, 1, head2, oldrev=head), delivery="gl-upd-1"
    )
    assert update.status_code == 202, update.text
    job2 = update.json()["data"]["job_id"]
    assert world.finished(job2)["status"] == "succeeded"
    rows = world.sql("SELECT status, head_commit FROM reviews ORDER BY id")
    assert [tuple(r) for r in rows] == [("COMPLETED", head), ("COMPLETED", head2)]
    assert len(world.gl.diff_notes(1)) > first  # the pushed commit's own private @Transactional
    _no_duplicate_discussions(world, 1)
    (summary,) = world.summaries(1)
    assert f"head={head2}" in summary["body"]
    assert world.posts(1, "/notes") == 1 and world.posts(1, f"/notes/{summary['id']}", "PUT") == 1

    # a title edit: an update without oldrev asks for nothing
    edit = deliver(world.url, merge_request_payload("update", world.web_url, 1, head2), delivery="gl-title-1")
    assert edit.status_code == 200, edit.text
    data = edit.json()["data"]
    assert data["queued"] is False and "without new commits" in data["reason"]
    assert len(world.jobs()) == 2
    outcomes = {
        d.split(":")[1]: o for d, o in world.sql("SELECT delivery_id, outcome FROM webhook_deliveries")
    }
    assert outcomes["gl-title-1"].startswith("ignored: ") and outcomes["gl-upd-1"] == f"queued as job {job2}"


def test_a_wrong_or_missing_token_is_401_and_queues_and_records_nothing(world: World) -> None:
    head = world.opened(2)
    payload = merge_request_payload("open", world.web_url, 2, head)
    wrong = deliver(world.url, payload, token="glwh-not-the-token")
    missing = deliver(world.url, payload, token=None)
    empty = deliver(world.url, payload, token="")
    near = deliver(world.url, payload, token=WEBHOOK_TOKEN[:-1])
    for answer in (wrong, missing, empty, near):
        assert answer.status_code == 401, answer.text
        assert answer.json()["success"] is False and answer.json()["error"]["code"] == "UNAUTHORIZED"
    assert world.jobs() == []
    assert world.sql("SELECT count(*) FROM webhook_deliveries") == [(0,)]
    # the same delivery id with the right token afterwards is still new: the 401s recorded nothing
    wrong_then_right = deliver(world.url, payload, delivery="gl-401", token="nope")
    assert wrong_then_right.status_code == 401
    right = deliver(world.url, payload, delivery="gl-401")
    assert right.status_code == 202, right.text
    assert len(world.jobs()) == 1
    assert world.gl.requests == []  # no worker: nothing asked of GitLab


def test_a_mochi_review_note_reviews_the_current_head_or_skips_a_head_already_reviewed(world: World) -> None:
    head = world.opened(3)
    world.worker()

    first = deliver(world.url, note_payload(world.web_url, 3), delivery="gl-note-1")
    assert first.status_code == 202, first.text
    assert first.json()["data"]["change"] == "gitlab:group/app#3"
    job1 = first.json()["data"]["job_id"]
    job = world.finished(job1)
    assert job["status"] == "succeeded" and job["head_sha"] is None and job["action"] == "note"
    rows = world.sql("SELECT status, head_commit, options FROM reviews")
    assert [(r[0], r[1]) for r in rows] == [("COMPLETED", head)]  # the head GitLab said is current
    assert rows[0][2]["trigger"] == "note"
    discussions = len(world.gl.diff_notes(3))
    assert discussions >= 1 and len(world.summaries(3)) == 1

    # the same head again: the job succeeds, nothing is reviewed or posted
    seen = len(world.gl.requests)
    second = deliver(world.url, note_payload(world.web_url, 3, "Could you look again?\n/mochi review\n"))
    assert second.status_code == 202, second.text
    job2 = second.json()["data"]["job_id"]
    assert world.finished(job2)["status"] == "succeeded"
    asked = [(r.method, r.path) for r in world.gl.requests[seen:]]
    assert asked == [  # only the head, and whether the note's author may ask
        ("GET", f"/api/v4/projects/{PROJECT_ID}/merge_requests/3"),
        ("GET", f"/api/v4/projects/{PROJECT_ID}/members/all"),
    ]
    assert world.sql("SELECT count(*) FROM reviews") == [(1,)]
    assert len(world.gl.diff_notes(3)) == discussions and world.posts(3, "/notes") == 1
    assert world.posts(3, "/notes/", "PUT") == 0

    # a push whose webhook never came, then the command: the job reviews the head GitLab has now
    head2 = world.pushed(3)
    third = deliver(world.url, note_payload(world.web_url, 3))
    assert third.status_code == 202, third.text
    assert world.finished(third.json()["data"]["job_id"])["status"] == "succeeded"
    rows = world.sql("SELECT status, head_commit FROM reviews ORDER BY id")
    assert [tuple(r) for r in rows] == [("COMPLETED", head), ("COMPLETED", head2)]
    (summary,) = world.summaries(3)
    assert f"head={head2}" in summary["body"]
    _no_duplicate_discussions(world, 3)

    # a comment without the command, or on an issue, asks for nothing
    chat = deliver(world.url, note_payload(world.web_url, 3, "LGTM, thanks"))
    assert chat.status_code == 200 and chat.json()["data"]["queued"] is False
    assert len(world.jobs()) == 3


def test_a_delivery_naming_another_gitlab_fails_its_job_without_sending_the_token_there(world: World) -> None:
    head = world.opened(4)
    with FakeGitLab.start(token=GITLAB_TOKEN, project_id=PROJECT_ID, project_path=PROJECT) as elsewhere:
        elsewhere.push_version(4, base=world.repo.base, start=world.repo.base, head=head, entries=[])
        # a delivery with the right webhook token, whose project lives (it says) on another host
        payload = merge_request_payload("open", f"{elsewhere.url}/{PROJECT}", 4, head)
        answer = deliver(world.url, payload, delivery="gl-elsewhere")
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["data"]["job_id"]
        world.worker()
        job = world.finished(job_id)
        assert job["status"] == "failed"
        assert job["attempts"] == 1  # refused at once, never retried
        assert elsewhere.requests == []  # nothing asked of the other host: the token never went there
    assert world.gl.requests == [] and world.gl.notes(4) == []  # nor posted on the configured one
    # the failure is in the record: a FAILED review of the change, nothing reviewed
    (row,) = world.sql("SELECT status, error, findings_count FROM reviews")
    assert row[0] == "FAILED" and "not from GITLAB_API_URL" in row[1] and not row[2]
    log = (world.path / "worker.log").read_text()
    assert "not from GITLAB_API_URL" in log and elsewhere.url in log


def test_the_tokens_are_in_no_log_and_nowhere_in_the_record(world: World) -> None:
    head = world.opened(5)
    world.worker()
    opened = deliver(world.url, merge_request_payload("open", world.web_url, 5, head))
    assert opened.status_code == 202, opened.text
    assert world.finished(opened.json()["data"]["job_id"])["status"] == "succeeded"
    note = deliver(world.url, note_payload(world.web_url, 5))
    assert world.finished(note.json()["data"]["job_id"])["status"] == "succeeded"
    refused = deliver(
        world.url, merge_request_payload("open", "https://gitlab.example.com/group/app", 5, head)
    )
    assert world.finished(refused.json()["data"]["job_id"])["status"] == "failed"
    assert deliver(world.url, note_payload(world.web_url, 5), token="wrong").status_code == 401
    assert world.sql("SELECT count(*) FROM reviews WHERE status = 'COMPLETED'") == [(1,)]

    tables = [
        r[0]
        for r in world.sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
    ]
    assert {"reviews", "webhook_deliveries", "procrastinate_jobs"} <= set(tables)
    dump = "\n".join(str(row[0]) for t in tables for row in world.sql(f'SELECT t::text FROM "{t}" t'))
    assert head in dump  # the dump does hold the record's text
    for secret in (WEBHOOK_TOKEN, GITLAB_TOKEN):
        assert secret not in dump
    logs = {log.name: log.read_text(errors="replace") for log in world.path.glob("*.log")}
    assert {"server.log", "worker.log"} <= set(logs)
    for name, content in logs.items():
        assert WEBHOOK_TOKEN not in content and GITLAB_TOKEN not in content, f"a token in {name}"


def test_events_sharing_an_event_uuid_are_each_handled_and_an_idempotency_key_replay_is_not(
    world: World,
) -> None:
    """X-Gitlab-Event-UUID is GitLab's loop-detection id: every event caused by one API request that
    carried it shares it. Two such events are two deliveries; a retry (same Idempotency-Key) is one."""
    first, second = world.opened(7), world.opened(8)
    shared = "6a1f2c1e-0000-4000-8000-000000000001"
    one = deliver(world.url, merge_request_payload("open", world.web_url, 7, first), delivery=shared)
    two = deliver(world.url, merge_request_payload("open", world.web_url, 8, second), delivery=shared)
    assert (one.status_code, two.status_code) == (202, 202), (one.text, two.text)
    body = json.dumps(merge_request_payload("open", world.web_url, 7, first)).encode()
    headers = {"Content-Type": "application/json", "X-Gitlab-Token": WEBHOOK_TOKEN, "Idempotency-Key": "k-1"}
    retried = [
        httpx.post(
            f"{world.url}/api/webhooks/gitlab", content=body, headers={**headers, "X-Gitlab-Event-UUID": u}
        )
        for u in ("retry-a", "retry-b")
    ]
    assert retried[0].status_code == 202 and retried[1].status_code == 200
    assert retried[1].json()["data"]["duplicate"] is True
    assert len(world.jobs()) == 3


def test_a_mochi_review_note_from_someone_who_is_not_a_developer_reviews_nothing(world: World) -> None:
    """A note's payload does not say who may push: on a public project anyone can comment."""
    world.opened(4)
    world.gl.members.update({"visitor": 10, "dev": 30})
    world.worker()
    payload = note_payload(world.web_url, 4)
    payload["user"]["username"] = "visitor"
    queued = deliver(world.url, payload)
    assert queued.status_code == 202, queued.text
    assert world.finished(queued.json()["data"]["job_id"])["status"] == "succeeded"
    assert world.sql("SELECT count(*) FROM reviews") == [(0,)] and world.summaries(4) == []
    payload["user"]["username"] = "dev"
    allowed = deliver(world.url, payload)
    assert world.finished(allowed.json()["data"]["job_id"])["status"] == "succeeded"
    assert world.sql("SELECT status FROM reviews") == [("COMPLETED",)] and len(world.summaries(4)) == 1
    assert "visitor may not ask for a review" in (world.path / "worker.log").read_text()
