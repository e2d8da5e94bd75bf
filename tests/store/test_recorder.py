"""The lifecycle a review records, on SQLite and PostgreSQL; and a record that cannot be written."""

from __future__ import annotations

import json
import logging
import socket
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from mochi.errors import BadRefError
from mochi.models import (
    Anchor,
    Finding,
    FindingType,
    Review,
    ReviewTarget,
    Severity,
    Stats,
    Summary,
    TargetKind,
)
from mochi.settings import Settings
from mochi.store import model_configs, reviews
from mochi.store.crypto import Cipher
from mochi.store.db import make_engine, open_engine
from mochi.store.recorder import Recorder

TARGET = ReviewTarget(
    kind=TargetKind.RANGE,
    repo=Path("/src/app"),
    base="main",
    head="feature",
    base_sha="a" * 40,
    head_sha="b" * 40,
    branch="feature",
)


def _review(*providers: str) -> Review:
    finding = Finding(
        path="src/App.java",
        line=9,
        end_line=10,
        type=FindingType.BUG,
        severity=Severity.HIGH,
        category="correctness",
        message="`b` may be zero",
        suggestion="guard b == 0",
        source="llm:ollama/qwen",
        fingerprint="f" * 16,
        anchored=Anchor.INLINE,
    )
    return Review(
        target=TARGET,
        findings=(finding,),
        summary=Summary(overall_assessment="One division can fail."),
        stats=Stats(files_reviewed=1, llm_calls=1, prompt_tokens=1500, completion_tokens=500, duration_s=2.5),
        providers_used=providers,
    )


def _history(engine, review_id: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(h["action"], h["status"]) for h in reviews.get_review(engine, review_id)["history"]]


def test_a_review_moves_pending_in_progress_completed_with_history_and_comments(db_url: str) -> None:
    engine = open_engine(db_url)
    model_configs.add_model(
        engine,
        Cipher(None),
        name="fallback",
        provider="openai",
        model_name="gpt-4o-mini",
        prompt_price_per_1k=Decimal("0.15"),
        completion_price_per_1k=Decimal("0.6"),
    )
    rec = Recorder(engine)
    rec.created(TARGET, Settings(provider="ollama", model="qwen"), repository="/src/app")
    assert rec.review_id is not None
    row = reviews.get_review(engine, rec.review_id)
    assert row["status"] == "PENDING" and row["target"]["head_sha"] == "b" * 40
    # a local review: LOCAL, with its checkout's path; no model has answered yet
    assert (row["review_type"], row["repo_path"], row["github_owner"], row["github_repo"]) == (
        "LOCAL",
        "/src/app",
        None,
        None,
    )
    assert row["ai_model"] is None and row["user_id"] is None
    rec.started()
    assert reviews.get_review(engine, rec.review_id)["status"] == "IN_PROGRESS"
    # the first provider failed and the fallback answered: the record names the fallback
    rec.finished(_review("openai/gpt-4o-mini"))
    rec.posted("f" * 16, comment_id=4242, url="https://github.com/acme/app/pull/7#discussion_r4242")
    data = reviews.get_review(engine, rec.review_id)
    assert data["status"] == "COMPLETED"
    assert (data["requested_provider"], data["requested_model"]) == ("ollama", "qwen")
    assert (data["provider"], data["model"]) == ("openai", "gpt-4o-mini")
    assert data["ai_model"] == "openai/gpt-4o-mini"
    assert (data["prompt_tokens"], data["completion_tokens"], data["duration_s"]) == (1500, 500, 2.5)
    assert Decimal(data["cost"]) == Decimal("0.525")  # 1.5 * 0.15 + 0.5 * 0.6
    assert data["base_commit"] == "a" * 40 and data["head_commit"] == "b" * 40 and data["branch"] == "feature"
    assert data["base_sha"] == "a" * 40  # version 1's name, kept as an alias for one more release
    assert _history(engine, rec.review_id) == [
        ("CREATED", "PENDING"),
        ("STARTED", "IN_PROGRESS"),
        ("COMPLETED", "COMPLETED"),
    ]
    [comment] = data["comments"]
    assert comment["message"] == "`b` may be zero" and comment["suggested_code"] == "guard b == 0"
    assert (comment["file_path"], comment["line_number"], comment["end_line"]) == ("src/App.java", 9, 10)
    assert (comment["severity"], comment["comment_type"]) == ("high", "bug")
    assert comment["metadata"] == {"source": "llm:ollama/qwen", "rule_id": None, "anchored": "inline"}
    assert (comment["path"], comment["line"], comment["type"], comment["suggestion"]) == (  # the aliases
        "src/App.java",
        9,
        "bug",
        "guard b == 0",
    )
    assert comment["fingerprint"] == "f" * 16
    assert comment["posted_comment_id"] == "4242" and comment["posted_url"].endswith("r4242")


def test_a_failure_is_recorded_with_its_error(db_url: str) -> None:
    engine = open_engine(db_url)
    rec = Recorder(engine)
    rec.created(TARGET, Settings(), repository="/src/app")
    rec.started()
    rec.failed(BadRefError("unknown revision 'nope'"))
    assert rec.review_id is not None
    data = reviews.get_review(engine, rec.review_id)
    assert data["status"] == "FAILED" and data["error"] == "unknown revision 'nope'"
    assert data["history"][-1]["action"] == "FAILED"
    assert data["history"][-1]["details"]["error"] == "unknown revision 'nope'"
    assert data["cost"] is None  # no prices configured


def test_a_retry_reuses_the_row_and_replaces_its_comments(db_url: str) -> None:
    engine = open_engine(db_url)
    first = Recorder(engine)
    first.created(TARGET, Settings(), repository="/src/app")
    first.started()
    first.finished(_review("ollama/qwen"), error="ollama failed", failed=True)
    assert first.review_id is not None
    again = Recorder(engine, resume_id=first.review_id)
    again.created(TARGET, Settings(), repository="/src/app")
    again.started()
    again.finished(_review("ollama/qwen"))
    data = reviews.get_review(engine, first.review_id)
    assert data["status"] == "COMPLETED" and data["attempts"] == 2 and data["error"] is None
    assert len(data["comments"]) == 1
    assert [h["action"] for h in data["history"]] == ["CREATED", "STARTED", "FAILED", "STARTED", "COMPLETED"]
    assert data["history"][3]["details"] == {"attempt": 2, "retry": True}


@pytest.mark.parametrize(
    ("repository", "url", "owner", "repo"),
    [
        ("acme/api", "https://github.com/acme/api/pull/7", "acme", "api"),  # `mochi ci`, `review --pr`
        ("grp/sub/svc", None, "grp/sub", "svc"),  # a GitLab project path
        ("4242", "https://gitlab.example.com/grp/svc/-/merge_requests/7", "grp", "svc"),  # a project id
    ],
)
def test_a_pull_request_review_is_recorded_as_pr_with_its_owner_and_repo(
    db_url: str, repository: str, url: str | None, owner: str, repo: str
) -> None:
    engine = open_engine(db_url)
    target = ReviewTarget(
        kind=TargetKind.PULL_REQUEST, repo=Path("/ci/ws"), number=7, url=url, base_sha="c" * 40
    )
    rec = Recorder(engine)
    rec.created(target, Settings(provider="builtin"), repository=repository)
    rec.started()
    rec.finished(Review(target=target))
    assert rec.review_id is not None
    data = reviews.get_review(engine, rec.review_id)
    assert (data["review_type"], data["repo_path"], data["github_owner"], data["github_repo"]) == (
        "PR",
        None,
        owner,
        repo,
    )
    assert (data["pr_number"], data["base_commit"], data["ai_model"]) == (7, "c" * 40, None)  # built-in only


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_database_that_goes_away_costs_a_warning_and_the_review_is_saved(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'mochi.db'}")
    rec = Recorder(engine, where="the test database")
    rec.created(TARGET, Settings(), repository="/src/app")
    rec.started()
    with engine.begin() as conn:  # the table disappears under the running review
        conn.execute(text("DROP TABLE review_comments"))
    with caplog.at_level(logging.WARNING):
        rec.finished(_review("ollama/qwen"))
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "could not record the review's results in the test database" in warning
    saved = Path(warning.split("the review is saved in ")[1])
    assert json.loads(saved.read_text())["findings"][0]["message"] == "`b` may be zero"
    saved.unlink()


def test_an_unreachable_postgresql_is_a_store_error_naming_it_without_password() -> None:
    from mochi.store.errors import StoreError

    url = f"postgresql+psycopg://postgres:s3cret@127.0.0.1:{_closed_port()}/mochi"
    with pytest.raises(StoreError) as info:
        open_engine(url)
    assert "127.0.0.1" in str(info.value) and "s3cret" not in str(info.value)
    assert make_engine(url).url.password == "s3cret"  # only the message hides it


def test_a_review_left_in_progress_by_a_dead_run_is_failed_by_the_next_one(db_url: str) -> None:
    """Its database dropped mid-review, so it could not say FAILED: the next review says it."""
    from mochi.settings import load
    from mochi.store.session import open_for_review

    engine = open_engine(db_url)
    dead, alive = Recorder(engine), Recorder(engine)
    for rec in (dead, alive):
        rec.created(TARGET, Settings(), repository="/src/app")
        rec.started()
    with engine.begin() as conn:  # the dead one started seven hours ago
        conn.execute(
            text("UPDATE reviews SET started_at = started_at - INTERVAL '7 hours' WHERE id = :id")
            if db_url.startswith("postgres")
            else text("UPDATE reviews SET started_at = datetime(started_at, '-7 hours') WHERE id = :id"),
            {"id": dead.review_id},
        )
    settings, origin = load({"MOCHI_DATABASE_URL": db_url}, {}, None)
    store = open_for_review(settings, origin, in_ci=False, record=True)
    assert store.recorder is not None
    assert dead.review_id is not None and alive.review_id is not None
    stale = reviews.get_review(engine, dead.review_id)
    assert stale["status"] == "FAILED" and stale["error"].startswith("interrupted")
    assert reviews.get_review(engine, alive.review_id)["status"] == "IN_PROGRESS"  # a review running now
