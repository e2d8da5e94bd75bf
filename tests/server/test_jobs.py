"""The server's background runner: bounded workers, and what a shutdown does to unfinished reviews."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from mochi.models import ReviewTarget, TargetKind
from mochi.server.jobs import NOT_STARTED, STOPPED, Job, Runner
from mochi.store import reviews
from mochi.store.db import open_engine


def _review(engine: Any, tmp_path: Path) -> int:
    target = ReviewTarget(kind=TargetKind.RANGE, repo=tmp_path, base="main", head="HEAD")
    return reviews.create_review(
        engine,
        target,
        repository=str(tmp_path),
        options={},
        requested_provider="builtin",
        requested_model=None,
    )


def _job(runner: Runner, review_id: int) -> Job:
    recorder = runner.recorder(resume_id=review_id)
    return Job(review_id, None, None, None, Path("."), recorder)  # type: ignore[arg-type]


def test_shutdown_fails_what_waits_and_what_runs_past_the_grace_period(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'record.db'}")
    release, running = threading.Event(), threading.Event()
    ran: list[int] = []

    def run(job: Job) -> None:
        ran.append(job.review_id)
        running.set()
        release.wait(10)
        job.recorder.started()  # too late: the runner stopped, the recorder writes nothing

    runner = Runner(engine, workers=1, grace_s=0.2, run=run)
    stuck, waiting = _review(engine, tmp_path), _review(engine, tmp_path)
    runner.submit(_job(runner, stuck))
    assert running.wait(5)
    runner.submit(_job(runner, waiting))
    runner.shutdown()
    release.set()
    assert ran == [stuck]
    assert reviews.get_review(engine, stuck)["error"] == STOPPED
    assert reviews.get_review(engine, waiting)["error"] == NOT_STARTED
    assert {reviews.get_review(engine, i)["status"] for i in (stuck, waiting)} == {"FAILED"}
    engine.dispose()


def test_a_review_that_finishes_within_the_grace_period_keeps_its_result(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'record.db'}")
    running = threading.Event()

    def run(job: Job) -> None:
        running.set()
        reviews.start_review(engine, job.review_id)
        threading.Event().wait(0.3)
        reviews.fail_review(engine, job.review_id, "its own failure")

    runner = Runner(engine, workers=2, grace_s=5, run=run)
    review_id = _review(engine, tmp_path)
    runner.submit(_job(runner, review_id))
    assert running.wait(5)
    runner.shutdown()
    assert reviews.get_review(engine, review_id)["error"] == "its own failure"
    engine.dispose()
