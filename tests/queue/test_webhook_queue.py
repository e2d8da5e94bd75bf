"""GitHub App webhooks through the PostgreSQL queue: a real `mochi serve`, real `mochi worker`
processes, the loopback fake GitHub (as the App), a real PostgreSQL record."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.fakes.github_server import FakeGitHub
from tests.fakes.hosted_servers import FakeOpenAI
from tests.queue.world import (
    APP_ID,
    INSTALLATION,
    NAME,
    OWNER,
    WEBHOOK_SECRET,
    Repo,
    app_key_pair,
    deliver,
    pull_request_payload,
    start_worker,
    wait_for,
    world_env,
)
from tests.server.conftest import SECRET_KEY, start, stop
from tests.store.pg import empty_pg, pg_database  # noqa: F401 (a fixture)
from tests.test_cli import mochi

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@dataclass
class World:
    gh: FakeGitHub
    repo: Repo
    env: dict[str, str]
    url: str
    database_url: str
    path: Path
    private_pem: str

    def jobs(self) -> list[dict[str, Any]]:
        listed = mochi("jobs", "list", "--limit", "10000", "--json", env=self.env)
        assert listed.returncode == 0, listed.stderr
        return list(json.loads(listed.stdout)["jobs"])

    def sql(self, query: str) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(query)))
        finally:
            engine.dispose()

    def settled(self) -> bool:
        return all(j["status"] in ("succeeded", "failed", "cancelled") for j in self.jobs())

    def opened(self, n: int) -> str:
        head = self.repo.push(n)
        self.gh.add_pull(n, base_ref="main", base_sha=self.repo.base, head_sha=head, head_ref=f"pr{n}")
        return head

    def pushed(self, n: int) -> str:
        head = self.repo.push(n)
        self.gh.pulls[n]["head_sha"] = head
        return head


@pytest.fixture
def world(pg_database: str, tmp_path: Path) -> Iterator[World]:  # noqa: F811 (the fixture)
    repo = Repo.create(tmp_path / "github-side")
    private, public = app_key_pair()
    pem = tmp_path / "app.pem"
    pem.write_text(private)
    database_url = empty_pg(pg_database)
    with FakeGitHub.start(repo.git.path, f"{OWNER}/{NAME}") as gh:
        gh.set_app(APP_ID, public, installations=(INSTALLATION,))
        env = world_env(gh, database_url, pem, SECRET_KEY)
        proc, url = start(env, log=tmp_path / "server.log")
        try:
            yield World(gh, repo, env, url, database_url, tmp_path, private)
        finally:
            stop(proc)
    secrets = [WEBHOOK_SECRET, "PRIVATE KEY", private.splitlines()[1], *gh.installation_tokens]
    for log in tmp_path.glob("*.log"):
        text_ = log.read_text(errors="replace")
        assert not [s for s in secrets if s in text_], f"a secret in {log.name}"
    assert not [s for s in secrets if s in _dump(database_url)], "a secret in the database"


def _dump(database_url: str) -> str:
    """Every row of every table of the record (and the queue's), as text."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            ]
            return "\n".join(
                str(row) for table in tables for row in conn.execute(text(f'SELECT * FROM "{table}"'))
            )
    finally:
        engine.dispose()


def test_a_pull_request_delivery_is_queued_reviewed_by_a_worker_and_posted_once(world: World) -> None:
    head = world.opened(1)
    answer = deliver(
        world.url, "pull_request", pull_request_payload("opened", 1, head, world.repo.base), delivery="d-1"
    )
    assert answer.status_code == 202, answer.text
    queued = answer.json()["data"]
    assert queued["queued"] is True and queued["runs"] == "queue" and queued["change"] == "github:octo/app#1"

    again = deliver(
        world.url, "pull_request", pull_request_payload("opened", 1, head, world.repo.base), delivery="d-1"
    )
    assert again.status_code == 200 and again.json()["data"]["duplicate"] is True
    assert len(world.jobs()) == 1  # the replay queued nothing

    worker = start_worker(world.env, world.path / "worker.log", "--concurrency", "2", "--lease", "6")
    try:
        wait_for(lambda: world.jobs()[0]["status"] == "succeeded", 60, "the job to succeed")
    finally:
        stop(worker)
    assert [r["_pr"] for r in world.gh.reviews] == [1]
    assert world.gh.token_requests == [INSTALLATION]  # authenticated as the App's installation
    assert [run["head_sha"] for run in world.gh.check_runs.values()] == [head]
    rows = world.sql("SELECT status, head_commit, options FROM reviews")
    assert [(r[0], r[1]) for r in rows] == [("COMPLETED", head)]
    assert rows[0][2]["job"] == queued["job_id"] and rows[0][2]["trigger"] == "opened"
    stored = world.sql("SELECT delivery_id, outcome FROM webhook_deliveries")
    assert stored == [("d-1", f"queued as job {queued['job_id']}")]
    metrics = httpx.get(f"{world.url}/metrics").text
    assert 'mochi_queue_jobs{status="succeeded"} 1.0' in metrics
    assert 'mochi_queue_jobs{status="todo"} 0.0' in metrics
    assert "mochi_queue_job_duration_seconds_count 1.0" in metrics
    assert "mochi_queue_oldest_waiting_seconds 0.0" in metrics


def test_bad_or_missing_signatures_are_401_and_queue_nothing(world: World) -> None:
    head = world.opened(2)
    payload = pull_request_payload("opened", 2, head, world.repo.base)
    wrong = deliver(world.url, "pull_request", payload, signature="sha256=" + "0" * 64)
    missing = deliver(world.url, "pull_request", payload, signature="")
    assert wrong.status_code == 401 and missing.status_code == 401
    assert wrong.json()["success"] is False and wrong.json()["error"]["code"] == "UNAUTHORIZED"
    assert world.jobs() == [] and world.sql("SELECT count(*) FROM webhook_deliveries") == [(0,)]
    ping = deliver(world.url, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert ping.status_code == 200 and ping.json()["data"]["queued"] is False
    assert world.jobs() == []


def _model_env(world: World, llm: FakeOpenAI) -> dict[str, str]:
    return {
        **world.env,
        "MOCHI_PROVIDER": "openai",
        "MOCHI_MODEL": "gpt-4o-mini",
        "OPENAI_BASE_URL": llm.url + "/v1",
        "OPENAI_API_KEY": llm.api_key,
    }


def _latest_reviewed_once(world: World, heads: dict[int, list[str]]) -> None:
    rows = world.sql("SELECT pr_number, head_commit, status FROM reviews ORDER BY id")
    for n, pushes in heads.items():
        latest = [r for r in rows if r[0] == n and r[1] == pushes[-1]]
        assert [r[2] for r in latest] == ["COMPLETED"], f"PR {n}: {latest} of {rows}"
    assert all(r[2] == "COMPLETED" for r in rows), rows
    # zero duplicate comments: every inline comment on a PR is at a distinct place with a distinct text
    posted = [(c["_pr"], c["path"], c.get("line"), c["body"]) for c in world.gh.review_comments]
    assert len(posted) == len(set(posted)), "a comment was posted twice"
    summaries = [c for c in world.gh.issue_comments if "mochi" in c["body"].lower()]
    per_pr = [c["_issue"] for c in summaries]
    assert len(per_pr) == len(set(per_pr)), "two summary comments on one pull request"


def test_fifty_deliveries_over_ten_pull_requests_three_workers_each_latest_head_reviewed_once(
    world: World,
) -> None:
    """10 PRs opened, 3 rapid synchronize pushes each, 10 deliveries sent twice: 50 deliveries;
    three workers take them as they come. Each PR's last head ends reviewed exactly once."""
    import random

    rng = random.Random(15)
    with FakeOpenAI.start() as llm:
        env = _model_env(world, llm)
        workers = [
            start_worker(env, world.path / f"worker{k}.log", "--concurrency", "2", "--lease", "6")
            for k in range(3)
        ]
        try:
            sent: list[tuple[str, dict[str, Any], str]] = []
            answers = []
            for n in range(1, 11):
                head = world.opened(n)
                payload = pull_request_payload("opened", n, head, world.repo.base)
                sent.append(("pull_request", payload, f"open-{n}"))
                answers.append(deliver(world.url, "pull_request", payload, delivery=f"open-{n}"))
            for push in range(3):
                for n in rng.sample(range(1, 11), 10):
                    head = world.pushed(n)
                    payload = pull_request_payload("synchronize", n, head, world.repo.base)
                    sent.append(("pull_request", payload, f"sync-{n}-{push}"))
                    answers.append(deliver(world.url, "pull_request", payload, delivery=f"sync-{n}-{push}"))
            for event, payload, delivery in rng.sample(sent, 10):  # GitHub redelivers some
                again = deliver(world.url, event, payload, delivery=delivery)
                assert again.status_code == 200 and again.json()["data"]["duplicate"] is True
                answers.append(again)
            assert len(answers) == 50
            # GitHub gives up after 10 s: every delivery is answered as soon as it is queued
            slowest = max(a.elapsed.total_seconds() for a in answers)
            assert slowest < 1.0, f"a delivery took {slowest:.2f} s to answer"
            assert sum(a.status_code == 202 for a in answers) == 40, [
                a.text for a in answers if a.status_code >= 300
            ]
            wait_for(world.settled, 240, "every job to finish")
        finally:
            for worker in workers:
                stop(worker)
        jobs = world.jobs()
        assert {j["status"] for j in jobs} <= {"succeeded", "cancelled"}, jobs
        _latest_reviewed_once(world, world.repo.heads)
        model_calls = len(llm.requests_to("/v1/chat/completions"))
    completed = world.sql("SELECT count(*) FROM reviews WHERE status = 'COMPLETED'")[0][0]
    assert completed <= 40 and model_calls <= completed  # superseded pushes were not all reviewed
    logs = "".join(p.read_text() for p in world.path.glob("worker*.log"))
    assert "Traceback" not in logs


def test_a_worker_killed_mid_review_is_taken_over_and_nothing_is_posted_twice(world: World) -> None:
    import os
    import signal

    with FakeOpenAI.start() as llm:
        llm.enqueue_chat(
            '{"comments": [], "summary": {"overall_assessment": "ok", "key_concerns": [], '
            '"recommendations": []}}',
            delay=30,
        )  # the first review hangs in the model call: the worker is killed there
        env = _model_env(world, llm)
        head = world.opened(5)
        assert (
            deliver(
                world.url, "pull_request", pull_request_payload("opened", 5, head, world.repo.base)
            ).status_code
            == 202
        )
        first = start_worker(env, world.path / "worker-killed.log", "--concurrency", "1", "--lease", "4")
        try:
            wait_for(lambda: len(llm.requests_to("/v1/chat/completions")) >= 1, 60, "the model call")
            assert world.jobs()[0]["status"] == "doing"
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
        finally:
            if first.poll() is None:
                first.kill()
        second = start_worker(env, world.path / "worker-second.log", "--concurrency", "1", "--lease", "4")
        try:
            wait_for(lambda: world.jobs()[0]["status"] == "succeeded", 90, "the job to be taken over")
        finally:
            stop(second)
    job = world.jobs()[0]
    assert job["attempts"] >= 1
    rows = world.sql("SELECT status, head_commit, attempts FROM reviews")
    assert [(r[0], r[1]) for r in rows] == [("COMPLETED", head)] and rows[0][2] == 2  # resumed, one row
    assert [r["_pr"] for r in world.gh.reviews] == [5]  # posted once
    _latest_reviewed_once(world, {5: [head]})
    assert "goes back on the queue" in (world.path / "worker-second.log").read_text()


def test_sigterm_lets_the_running_review_finish_then_the_worker_exits(world: World) -> None:
    import signal

    with FakeOpenAI.start() as llm:
        llm.enqueue_chat(
            '{"comments": [], "summary": {"overall_assessment": "ok", "key_concerns": [], '
            '"recommendations": []}}',
            delay=4,
        )
        env = _model_env(world, llm)
        head = world.opened(6)
        assert (
            deliver(
                world.url, "pull_request", pull_request_payload("opened", 6, head, world.repo.base)
            ).status_code
            == 202
        )
        worker = start_worker(
            env, world.path / "worker-term.log", "--concurrency", "1", "--shutdown-grace", "60"
        )
        try:
            wait_for(lambda: len(llm.requests_to("/v1/chat/completions")) >= 1, 60, "the model call")
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(timeout=60) == 0
        finally:
            if worker.poll() is None:
                worker.kill()
    assert world.jobs()[0]["status"] == "succeeded"
    assert [r["_pr"] for r in world.gh.reviews] == [6]
    assert world.sql("SELECT status FROM reviews") == [("COMPLETED",)]
    assert "worker stopped" in (world.path / "worker-term.log").read_text()


def test_a_host_that_keeps_failing_is_retried_with_backoff_then_failed_in_the_record_and_jobs_retry_runs_it(
    world: World,
) -> None:
    from tests.fakes.http_fake import Reply

    head = world.opened(7)
    for _ in range(4):  # each attempt reads the pull request once (no waiting inside an attempt)
        world.gh.enqueue("pulls/get", Reply(502, {"message": "Server Error"}))
    env = {**world.env, "MOCHI_GITHUB_MAX_WAIT_S": "0"}
    answer = deliver(world.url, "pull_request", pull_request_payload("opened", 7, head, world.repo.base))
    job_id = answer.json()["data"]["job_id"]
    worker = start_worker(env, world.path / "worker-retry.log", "--concurrency", "1")
    try:
        started = time.monotonic()
        wait_for(lambda: world.jobs()[0]["status"] == "failed", 90, "the job to fail")
        assert time.monotonic() - started >= 2 + 4 + 8 - 1  # backoff between the 4 attempts
        (row,) = world.sql("SELECT id, status, error, head_commit FROM reviews")
        assert row[1] == "FAILED" and "502" in row[2] and row[3] == head
        history = world.sql(
            f"SELECT action, details FROM review_history WHERE review_id = {row[0]} ORDER BY id"
        )
        assert (
            history[-1][0] == "FAILED" and history[-1][1]["attempts"] == 4 and history[-1][1]["job"] == job_id
        )
        assert world.gh.reviews == []

        retried = mochi("jobs", "retry", str(job_id), env=world.env)  # GitHub answers again
        assert retried.returncode == 0, retried.stderr
        wait_for(lambda: world.jobs()[0]["status"] == "succeeded", 60, "the retried job")
    finally:
        stop(worker)
    assert [r["_pr"] for r in world.gh.reviews] == [7]
    assert world.sql("SELECT status FROM reviews ORDER BY id")[-1] == ("COMPLETED",)
    again = mochi("jobs", "retry", str(job_id), env=world.env)
    assert again.returncode == 2 and "only a failed job can be retried" in again.stderr


def test_jobs_cancel_takes_a_waiting_job_off_the_queue(world: World) -> None:
    head = world.opened(8)
    job_id = deliver(
        world.url, "pull_request", pull_request_payload("opened", 8, head, world.repo.base)
    ).json()["data"]["job_id"]
    cancelled = mochi("jobs", "cancel", str(job_id), env=world.env)
    assert cancelled.returncode == 0, cancelled.stderr
    assert world.jobs()[0]["status"] == "cancelled"
    assert mochi("jobs", "cancel", str(job_id), env=world.env).returncode == 2
    assert mochi("jobs", "cancel", "999999", env=world.env).returncode == 2
    listed = mochi("jobs", "list", "--status", "cancelled", env=world.env)
    assert listed.returncode == 0 and "github:octo/app#8" in listed.stdout
