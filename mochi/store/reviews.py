"""Repository functions for reviews, their comments and their history.

Each function is one short transaction on the engine it is given, so concurrent reviews on one
PostgreSQL never hold locks on each other's rows. Rows leave this module as plain dicts
(`review_dict`, `comment_dict`, `history_dict`) for the commands' text and `--json` output.

The dicts use the system design's names (the columns'); until the next version of the `--json`
output they also carry the names of version 1 before revision 0003 (`ALIASES`), so that scripts
written against them keep working.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, Select, bindparam, delete, select, update
from sqlalchemy.orm import Session

from mochi.models import Finding, Review, ReviewTarget, TargetKind
from mochi.store.errors import NotFoundError
from mochi.store.models import STATUSES, CommentRow, HistoryRow, ReviewRow, utcnow
from mochi.store.reads import columns, read_connection, statement
from mochi.store.review_json import comment_dict, history_dict, review_dict

_WINDOWS_PATH = re.compile(r"^[A-Za-z]:[\\/]")
_CHANGE_URL = re.compile(r"^https?://[^/]+/(?P<project>[^?#]+?)/(?:pull|-/merge_requests)/\d+")


def review_type(target: ReviewTarget) -> str:
    """PR for a pull/merge request, LOCAL for anything else (a checkout, a range, a diff file)."""
    return "PR" if target.number is not None or target.kind is TargetKind.PULL_REQUEST else "LOCAL"


def locate(repository: str, url: str | None = None) -> tuple[str | None, str | None, str | None]:
    """(repo_path, github_owner, github_repo) of what a review records as its `repository`.

    A checkout path (a local review) is the repo_path; a hosted "owner/name" gives the owner and
    the name (a GitLab "group/subgroup/project": "group/subgroup" and "project"). A GitLab numeric
    project id names neither: then the change's `url` (`.../owner/name/pull/7`,
    `.../group/project/-/merge_requests/7`) does, when there is one.
    """
    if not repository:
        return None, None, None
    if repository.startswith(("/", "\\", "~", ".")) or _WINDOWS_PATH.match(repository):
        return repository[:1024], None, None
    owner, _, name = repository.strip("/").rpartition("/")
    if not (owner and name):
        match = _CHANGE_URL.match(url or "")
        owner, _, name = match.group("project").rpartition("/") if match else ("", "", "")
    if not (owner and name):
        return None, None, None
    return None, owner[:255], name[:255]


def ai_model(provider: str | None, model: str | None) -> str | None:
    """The "provider/model" that answered; None when no model did (built-in checks only)."""
    if not provider:
        return None
    return f"{provider}/{model}" if model else provider


def create_review(
    engine: Engine,
    target: ReviewTarget,
    *,
    repository: str,
    options: Mapping[str, Any],
    requested_provider: str | None,
    requested_model: str | None,
    mochi_version: str | None = None,
    user_id: int | None = None,
) -> int:
    """A PENDING review row and its CREATED history row; returns the review id.

    `repository` is the checkout path of a local review or the hosted "owner/name" (see `locate`);
    `user_id` who asked, when a server knows (None for the CLI and CI).
    """
    repo_path, owner, repo = locate(repository, target.url)
    with Session(engine) as session, session.begin():
        row = ReviewRow(
            review_type=review_type(target),
            repo_path=repo_path,
            github_owner=owner,
            github_repo=repo,
            user_id=user_id,
            repository=repository,
            pr_number=target.number,
            target_kind=target.kind.value,
            target_label=target.label()[:512],
            target=target.model_dump(mode="json"),
            options=dict(options),
            base_commit=target.base_sha,
            head_commit=target.head_sha,
            branch=target.branch,
            status="PENDING",
            requested_provider=requested_provider,
            requested_model=requested_model,
            mochi_version=mochi_version,
            attempts=1,
        )
        session.add(row)
        session.flush()
        session.add(HistoryRow(review_id=row.id, action="CREATED", status="PENDING", details={}))
        return row.id


def start_review(engine: Engine, review_id: int, *, retry: bool = False) -> int:
    """PENDING (or, for a retry, any status) -> IN_PROGRESS with a STARTED row; returns the attempt."""
    with Session(engine) as session, session.begin():
        row = _get(session, review_id)
        if retry:
            row.attempts += 1
            row.error = None
            row.completed_at = None
        row.status = "IN_PROGRESS"
        row.started_at = utcnow()
        details: dict[str, Any] = {"attempt": row.attempts}
        if retry:
            details["retry"] = True
        session.add(HistoryRow(review_id=row.id, action="STARTED", status="IN_PROGRESS", details=details))
        return row.attempts


def complete_review(
    engine: Engine,
    review_id: int,
    review: Review,
    *,
    cost: Decimal | None = None,
    error: str | None = None,
    failed: bool = False,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Store the Review's results and every finding; COMPLETED, or FAILED when `failed`.

    A retry replaces the comments of the earlier attempt. `error` is kept for a degraded run
    (a provider that failed while the built-in checks still reviewed) as well as for a failure.
    """
    status = "FAILED" if failed else "COMPLETED"
    provider, model = _used(review.providers_used)
    with Session(engine) as session, session.begin():
        row = _get(session, review_id)
        target = review.target
        row.status = status
        row.base_commit = target.base_sha or row.base_commit
        row.head_commit = target.head_sha or row.head_commit
        row.branch = target.branch or row.branch
        row.target_label = target.label()[:512]
        row.provider, row.model = provider, model
        row.ai_model = (ai_model(provider, model) or "")[:320] or None
        row.providers_used = list(review.providers_used)
        row.llm_calls = review.stats.llm_calls
        row.prompt_tokens = review.stats.prompt_tokens
        row.completion_tokens = review.stats.completion_tokens
        row.duration_s = review.stats.duration_s
        row.cost = cost
        row.findings_count = len(review.findings)
        row.error = error
        row.summary = review.summary.model_dump(mode="json")
        row.stats = {
            **review.stats.model_dump(mode="json"),
            "reviewed": list(review.reviewed),
            "skipped": [s.model_dump(mode="json") for s in review.skipped],
            "notices": list(review.notices),
        }
        row.completed_at = utcnow()
        session.execute(delete(CommentRow).where(CommentRow.review_id == review_id))
        session.add_all(_comment(review_id, f) for f in review.findings)
        info: dict[str, Any] = {
            "findings": len(review.findings),
            "provider": provider,
            "model": model,
            "prompt_tokens": review.stats.prompt_tokens,
            "completion_tokens": review.stats.completion_tokens,
            "duration_s": review.stats.duration_s,
            **(details or {}),
        }
        if cost is not None:
            info["cost"] = str(cost)
        if error:
            info["error"] = error
        session.add(HistoryRow(review_id=review_id, action=status, status=status, details=info))


def fail_review(
    engine: Engine, review_id: int, error: str, *, details: Mapping[str, Any] | None = None
) -> None:
    """FAILED with the error, before any result was produced (a crash, an empty change, ...)."""
    with Session(engine) as session, session.begin():
        row = _get(session, review_id)
        row.status = "FAILED"
        row.error = error
        row.completed_at = utcnow()
        info = {"error": error, **(details or {})}
        session.add(HistoryRow(review_id=review_id, action="FAILED", status="FAILED", details=info))


def requeue_review(engine: Engine, review_id: int) -> bool:
    """FAILED -> PENDING (a retry waiting to run); False when the review is not FAILED (any more).

    One conditional UPDATE, so two retries of the same review cannot both start it.
    """
    with Session(engine) as session, session.begin():
        _get(session, review_id)
        result = session.execute(
            update(ReviewRow)
            .where(ReviewRow.id == review_id, ReviewRow.status == "FAILED")
            .values(status="PENDING")
        )
        return bool(getattr(result, "rowcount", 0))


STALE_AFTER = timedelta(hours=6)  # no review runs this long: its process or its database went away


def fail_stale_reviews(engine: Engine, *, older_than: timedelta = STALE_AFTER) -> int:
    """IN_PROGRESS rows started more than `older_than` ago -> FAILED ("interrupted"); how many.

    A review whose database dropped mid-way could not say it failed; the next review says it for it
    (`mochi reviews retry` still runs it again).
    """
    cutoff = utcnow() - older_than
    with Session(engine) as session, session.begin():
        rows = session.scalars(
            select(ReviewRow).where(ReviewRow.status == "IN_PROGRESS", ReviewRow.started_at < cutoff)
        ).all()
        hours = older_than.total_seconds() / 3600
        error = (
            f"interrupted: no result was recorded within {hours:g} hours (the run or its database went away)"
        )
        for row in rows:
            row.status = "FAILED"
            row.error = error
            row.completed_at = utcnow()
            session.add(
                HistoryRow(review_id=row.id, action="FAILED", status="FAILED", details={"error": error})
            )
        return len(rows)


def record_posted_comment(
    engine: Engine, review_id: int, fingerprint: str, *, comment_id: str | int, url: str | None = None
) -> int:
    """Remember where a finding was posted (GitHub/GitLab comment id and URL); returns rows updated.

    Publishers call this (through `Recorder.posted`) after each comment is created; the finding
    is found by its fingerprint, which every posted comment also carries in a hidden marker.
    """
    with Session(engine) as session, session.begin():
        result = session.execute(
            update(CommentRow)
            .where(CommentRow.review_id == review_id, CommentRow.fingerprint == fingerprint)
            .values(posted_comment_id=str(comment_id), posted_url=url, posted_at=utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)


def list_reviews(
    engine: Engine,
    *,
    repository: str | None = None,
    repositories: Sequence[str] | None = None,
    pr_number: int | None = None,
    status: str | None = None,
    since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Newest first, `limit` of them after the first `offset`. `repository` matches any part of the
    name (`acme/api`, a path fragment); `repositories` exactly one of these names (a checkout's path
    and its `owner/name`)."""
    shape = (repositories is not None, pr_number is not None, bool(status), since is not None)
    if repository:
        # `contains` escapes the fragment at build time: this one is built for each call
        query = _list_query(*shape).where(ReviewRow.repository.contains(repository, autoescape=True))
    else:
        query = statement(("list", *shape), lambda: _list_query(*shape))
    values: dict[str, Any] = {"limit": limit, "offset": offset}
    if repositories is not None:
        values["repositories"] = list(repositories)
    if pr_number is not None:
        values["pr_number"] = pr_number
    if status:
        values["status"] = status.upper()
    if since is not None:
        values["since"] = since
    with read_connection(engine) as connection:
        return [review_dict(row) for row in connection.execute(query, values)]


def _list_query(repositories: bool, pr_number: bool, status: bool, since: bool) -> Select[Any]:
    newest_first = (ReviewRow.created_at.desc(), ReviewRow.id.desc())
    query = select(*columns(ReviewRow)).order_by(*newest_first)
    query = query.limit(bindparam("limit")).offset(bindparam("offset"))
    if repositories:
        query = query.where(ReviewRow.repository.in_(bindparam("repositories", expanding=True)))
    if pr_number:
        query = query.where(ReviewRow.pr_number == bindparam("pr_number"))
    if status:
        query = query.where(ReviewRow.status == bindparam("status"))
    if since:
        query = query.where(ReviewRow.created_at >= bindparam("since"))
    return query


def get_review(engine: Engine, review_id: int) -> dict[str, Any]:
    """The review with its comments and history; NotFoundError when there is none."""
    values = {"review_id": review_id}
    with read_connection(engine) as connection:
        row = connection.execute(statement(("review",), _review_query), values).first()
        if row is None:
            raise _missing(review_id)
        data = review_dict(row)
        data["comments"] = _comments(connection, review_id)
        history = statement(("history",), _history_query)
        data["history"] = [history_dict(h) for h in connection.execute(history, values)]
        return data


def review_comments(engine: Engine, review_id: int) -> list[dict[str, Any]]:
    with read_connection(engine) as connection:
        exists = statement(("exists",), _exists_query)
        if connection.execute(exists, {"review_id": review_id}).first() is None:
            raise _missing(review_id)
        return _comments(connection, review_id)


def add_options(engine: Engine, review_id: int, values: Mapping[str, Any]) -> None:
    """Merge `values` into the review's options (what it was asked with)."""
    with Session(engine) as session, session.begin():
        row = _get(session, review_id)
        row.options = {**(row.options or {}), **values}


def delete_review(engine: Engine, review_id: int) -> None:
    """Delete the review; its comments and history go with it (ON DELETE CASCADE)."""
    with Session(engine) as session, session.begin():
        result = session.execute(delete(ReviewRow).where(ReviewRow.id == review_id))
        if not getattr(result, "rowcount", 0):
            raise _missing(review_id)


def check_status(status: str) -> str:
    upper = status.upper()
    if upper not in STATUSES:
        raise NotFoundError(f"unknown status '{status}': use one of {', '.join(STATUSES)}")
    return upper


# ------------------------------------------------------------------ internals


def _comments(connection: Connection, review_id: int) -> list[dict[str, Any]]:
    query = statement(("comments",), _comments_query)
    return [comment_dict(c) for c in connection.execute(query, {"review_id": review_id})]


def _review_query() -> Select[Any]:
    return select(*columns(ReviewRow)).where(ReviewRow.id == bindparam("review_id"))


def _exists_query() -> Select[Any]:
    return select(ReviewRow.id).where(ReviewRow.id == bindparam("review_id"))


def _comments_query() -> Select[Any]:
    query = select(*columns(CommentRow)).where(CommentRow.review_id == bindparam("review_id"))
    return query.order_by(CommentRow.id)


def _history_query() -> Select[Any]:
    query = select(*columns(HistoryRow)).where(HistoryRow.review_id == bindparam("review_id"))
    return query.order_by(HistoryRow.id)


def _get(session: Session, review_id: int) -> ReviewRow:
    row = session.get(ReviewRow, review_id)
    if row is None:
        raise _missing(review_id)
    return row


def _missing(review_id: int) -> NotFoundError:
    return NotFoundError(f"there is no review {review_id}: `mochi reviews list` shows the recorded reviews")


def _used(providers_used: Sequence[str]) -> tuple[str | None, str | None]:
    """The provider and model that produced the answer: the last one used (a fallback when one failed)."""
    if not providers_used:
        return None, None
    provider, _, model = providers_used[-1].partition("/")
    return provider, model or None


def _comment(review_id: int, f: Finding) -> CommentRow:
    return CommentRow(
        review_id=review_id,
        file_path=f.path[:1024],
        line_number=f.line,
        end_line=f.end_line,
        side=f.side,
        comment_type=f.type.value,
        severity=f.severity.value,
        category=(f.category or None) and f.category[:64],
        message=f.message,
        suggested_code=f.suggestion,
        metadata_={"source": f.source, "rule_id": f.rule_id, "anchored": f.anchored.value},
        source=f.source[:255],
        rule_id=f.rule_id,
        anchored=f.anchored.value,
        fingerprint=f.fingerprint,
    )
