"""Reviews: create (run in the background), read, retry and delete.

POST   /api/reviews                   reviewer  202: a local review of a checkout under --repo-root,
                                                or of a GitHub pull request (owner, repo, pr_number)
POST   /api/reviews/{id}/retry        reviewer  202: a FAILED review runs again in its own row
GET    /api/reviews                   reader    filters repo, pr_number, status, since; limit, offset
GET    /api/reviews/{id}              reader    with its comments and history
GET    /api/reviews/{id}/comments     reader
DELETE /api/reviews/{id}              reviewer  its comments and history go with it
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from mochi.server.auth import reader, reviewer
from mochi.server.envelope import ok
from mochi.server.reads import read
from mochi.server.submit import RetryIn, ReviewIn, create, retry
from mochi.store import reviews

router = APIRouter(prefix="/api/reviews", tags=["reviews"])

Status = Literal["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED"]
MAX_LIMIT = 500


@router.get("", dependencies=[reader])
async def list_reviews(
    request: Request,
    repo: Annotated[str | None, Query(description="Part of the repository ('owner/name' or a path).")] = None,
    pr_number: Annotated[int | None, Query(ge=1)] = None,
    status: Status | None = None,
    since: Annotated[datetime | None, Query(description="Created at or after (ISO 8601).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> JSONResponse:
    """Recorded reviews, newest first."""
    rows = await read(
        request,
        reviews.list_reviews,
        repository=repo,
        pr_number=pr_number,
        status=status,
        since=since,
        limit=limit,
        offset=offset,
    )
    return ok({"reviews": rows, "limit": limit, "offset": offset, "count": len(rows)})


@router.get("/{review_id}", dependencies=[reader])
async def get_review(request: Request, review_id: int) -> JSONResponse:
    """One review with its comments and history."""
    return ok(await read(request, reviews.get_review, review_id))


@router.get("/{review_id}/comments", dependencies=[reader])
async def get_comments(request: Request, review_id: int) -> JSONResponse:
    """A review's comments (its findings)."""
    return ok({"comments": await read(request, reviews.review_comments, review_id)})


@router.delete("/{review_id}", dependencies=[reviewer])
def delete_review(request: Request, review_id: int) -> JSONResponse:
    """Delete a review, its comments and its history."""
    reviews.delete_review(request.app.state.engine, review_id)
    return ok({"deleted": True, "id": review_id})


@router.post("", status_code=202, dependencies=[reviewer])
def create_review(request: Request, body: ReviewIn) -> JSONResponse:
    """Review `base_commit...head_commit` of the checkout `repo_path` (under a `--repo-root`), in the
    background, as `mochi review --base BASE --head HEAD` would; or the GitHub pull request
    `owner`/`repo`#`pr_number` as `mochi review --pr` would (with the server's GITHUB_TOKEN and
    GITHUB_API_URL; posted only with `post_to_github: true`, else a dry run whose findings are
    recorded). 202 with the PENDING review; poll `GET /api/reviews/{id}` until its status is
    COMPLETED or FAILED (a GitHub failure, such as a pull request that is not there or a refused
    token, is a FAILED review whose error says why)."""
    review_id = create(request, body)
    return _accepted(request, review_id)


@router.post("/{review_id}/retry", status_code=202, dependencies=[reviewer])
def retry_review(request: Request, review_id: int, body: RetryIn | None = None) -> JSONResponse:
    """Run a FAILED review again, in its own row (409 when it is not FAILED)."""
    retry(request, review_id, body or RetryIn())
    return _accepted(request, review_id)


def _accepted(request: Request, review_id: int) -> JSONResponse:
    response = ok(reviews.get_review(request.app.state.engine, review_id), status=202)
    response.headers["Location"] = f"/api/reviews/{review_id}"
    return response
