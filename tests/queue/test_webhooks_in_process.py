"""With the embedded SQLite record there is no queue: `mochi serve` runs webhook reviews itself,
and says so when it starts."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.fakes.github_server import FakeGitHub
from tests.queue.world import (
    APP_ID,
    INSTALLATION,
    NAME,
    OWNER,
    Repo,
    app_key_pair,
    deliver,
    pull_request_payload,
    wait_for,
    world_env,
)
from tests.server.conftest import SECRET_KEY, start, stop

pytestmark = pytest.mark.slow


def test_sqlite_runs_webhook_reviews_in_the_server_and_says_so(tmp_path: Path) -> None:
    repo = Repo.create(tmp_path / "github-side")
    private, public = app_key_pair()
    pem = tmp_path / "app.pem"
    pem.write_text(private)
    url_db = f"sqlite:///{tmp_path / 'record.db'}"
    with FakeGitHub.start(repo.git.path, f"{OWNER}/{NAME}") as gh:
        gh.set_app(APP_ID, public, installations=(INSTALLATION,))
        env = world_env(gh, url_db, pem, SECRET_KEY)
        log = tmp_path / "server.log"
        proc, url = start(env, log=log)
        try:
            first = repo.push(3)
            gh.add_pull(3, base_ref="main", base_sha=repo.base, head_sha=first, head_ref="pr3")
            answer = deliver(url, "pull_request", pull_request_payload("opened", 3, first, repo.base))
            assert answer.status_code == 202, answer.text
            assert answer.json()["data"]["runs"] == "in-process"
            engine = create_engine(url_db)

            def completed() -> list[str]:
                with engine.connect() as conn:
                    rows = conn.execute(text("SELECT head_commit FROM reviews WHERE status = 'COMPLETED'"))
                    return [r[0] for r in rows]

            wait_for(lambda: completed() == [first], 60, "the in-process review")
            second = repo.push(3)
            gh.pulls[3]["head_sha"] = second
            pushed = deliver(url, "pull_request", pull_request_payload("synchronize", 3, second, repo.base))
            assert pushed.status_code == 202
            wait_for(lambda: completed() == [first, second], 60, "the review of the new head")
            metrics = httpx.get(f"{url}/metrics").text
            assert 'mochi_queue_jobs{status="todo"} 0.0' in metrics
            engine.dispose()
        finally:
            stop(proc)
    said = log.read_text()
    assert "the record is SQLite: webhook reviews run in this process" in said
    assert [r["_pr"] for r in gh.reviews] == [3, 3]
