"""Where the read endpoints' queries run (`mochi serve --reads`): the same answers on the event loop
and on the request threads; auto chooses the loop for SQLite and the threads for PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

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
from mochi.server.app import create_app
from mochi.server.reads import Reads, on_loop
from mochi.store import reviews
from mochi.store.apikeys import create_key
from mochi.store.db import make_engine, open_engine

READS = ["/api/reviews", "/api/reviews?limit=2&offset=1", "/api/reviews/{id}", "/api/reviews/{id}/comments",
         "/api/models", "/api/templates", "/api/integrations"]  # fmt: skip


def _recorded(engine: Any, tmp_path: Path, n: int) -> list[int]:
    ids = []
    for i in range(n):
        target = ReviewTarget(kind=TargetKind.RANGE, repo=tmp_path, base="main", head=f"topic-{i}")
        review_id = reviews.create_review(
            engine, target, repository=str(tmp_path), options={}, requested_provider="builtin",
            requested_model=None,
        )  # fmt: skip
        reviews.start_review(engine, review_id)
        finding = Finding(
            path="src/App.java", line=9 + i, type=FindingType.BUG, severity=Severity.HIGH,
            category="correctness", message=f"`b` may be zero ({i})", source="builtin",
            fingerprint=f"{i:016x}", anchored=Anchor.INLINE, rule_id=f"java.rule-{i}",
        )  # fmt: skip
        review = Review(target=target, findings=(finding,), summary=Summary(overall_assessment="ok"),
                        stats=Stats(files_reviewed=1), providers_used=("builtin",))  # fmt: skip
        reviews.complete_review(engine, review_id, review)
        ids.append(review_id)
    return ids


def _answers(engine: Any, key: str, ids: list[int], reads: str) -> dict[str, Any]:
    app = create_app(engine, reads=reads)  # type: ignore[arg-type]
    assert app.state.reads_on_loop is (reads == "loop")
    with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
        answers = {}
        for path in READS:
            response = client.get(path.format(id=ids[1]))
            assert response.status_code == 200, (path, response.text)
            answers[path] = response.json()
        missing = client.get("/api/reviews/999999")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
        answers["404"] = missing.json()["error"]["message"]
    return answers


def test_reads_answer_the_same_on_the_loop_and_on_threads(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'record.db'}")
    ids = _recorded(engine, tmp_path, 3)
    _, key = create_key(engine, "reader", "reader")
    on_the_loop = _answers(engine, key, ids, "loop")
    on_threads = _answers(engine, key, ids, "threads")
    assert on_the_loop == on_threads
    page = on_the_loop["/api/reviews?limit=2&offset=1"]["data"]
    assert [r["id"] for r in page["reviews"]] == sorted(ids, reverse=True)[1:3]
    comments = on_the_loop["/api/reviews/{id}/comments"]["data"]["comments"]
    assert [c["metadata"] for c in comments] == [
        {"source": "builtin", "rule_id": "java.rule-1", "anchored": "inline"}
    ]


def test_a_read_on_the_loop_runs_on_the_event_loops_thread(tmp_path: Path) -> None:
    """On the loop, the query runs on the thread of the event loop; with threads, on another."""
    engine = open_engine(f"sqlite:///{tmp_path / 'record.db'}")
    ids = _recorded(engine, tmp_path, 1)
    _, key = create_key(engine, "reader", "reader")
    seen: list[str] = []

    from sqlalchemy import event

    def before(*_args: Any) -> None:
        seen.append(threading.current_thread().name)

    event.listen(engine, "before_cursor_execute", before)
    reads: Reads
    for reads in ("loop", "threads"):
        app = create_app(engine, reads=reads)
        with TestClient(app, headers={"Authorization": f"Bearer {key}"}) as client:
            assert client.portal is not None
            assert client.get("/api/models").status_code == 200  # the key is looked up (on a thread) once
            seen.clear()
            loop_thread = client.portal.call(lambda: threading.current_thread().name)
            assert client.get(f"/api/reviews/{ids[0]}").status_code == 200
            assert seen, "the read ran no query"
            assert all((name == loop_thread) is (reads == "loop") for name in seen), (
                reads,
                seen,
                loop_thread,
            )


def test_auto_is_the_loop_for_sqlite_and_threads_for_postgresql(tmp_path: Path) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path / 'record.db'}")
    postgres = make_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test")  # not connected
    assert on_loop("auto", sqlite) and not on_loop("auto", postgres)
    assert on_loop("loop", postgres) and not on_loop("threads", sqlite)
    with pytest.raises(ValueError, match="auto, loop, threads"):
        on_loop("sometimes", sqlite)  # type: ignore[arg-type]
