"""Webhooks: GitHub App and GitLab deliveries become review jobs.

POST /api/webhooks/github   X-Hub-Signature-256 (HMAC-SHA256 of the body with the webhook secret)
POST /api/webhooks/gitlab   X-Gitlab-Token (the webhook's secret token)

No API key: the signature or token is the authentication (401 without a valid one, and nothing is
queued). Each delivery (X-GitHub-Delivery; for GitLab see _gitlab_delivery) is handled once: a replay is
answered 200 with `"duplicate": true` and queues nothing. A delivery asking for a review answers
202 with the job; one asking for nothing (a ping, a draft, a comment without `/mochi review`)
answers 200 with the reason. The answer comes as soon as the job is queued: the review runs in a
`mochi worker` (PostgreSQL record) or in this process (SQLite record), never in the request.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from mochi.server.envelope import ApiError, ok
from mochi.server.webhooks.events import ChangeEvent, Ignored, github_event, gitlab_event
from mochi.server.webhooks.verify import github_signature_ok, gitlab_token_ok

if TYPE_CHECKING:
    from mochi.server.dispatch import Dispatcher

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"])


@dataclass
class Webhooks:
    """The server's webhook settings (secrets never leave this object) and where jobs go."""

    dispatcher: Dispatcher | None
    github_secret: str = ""
    gitlab_token: str = ""
    review_drafts: bool = False

    def __repr__(self) -> str:
        return f"Webhooks(github={bool(self.github_secret)}, gitlab={bool(self.gitlab_token)})"


def _hooks(request: Request) -> Webhooks:
    hooks: Webhooks | None = getattr(request.app.state, "webhooks", None)
    return hooks or Webhooks(dispatcher=None)


def _payload(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise ApiError(400, "the delivery's body is not JSON: send it as application/json") from None


@router.post("/github", status_code=202)
async def github(request: Request) -> JSONResponse:
    """A GitHub App delivery: pull_request (opened, synchronize, reopened, ready_for_review),
    issue_comment with `/mochi review` from a member, ping."""
    hooks = _hooks(request)
    if not hooks.github_secret or hooks.dispatcher is None:
        raise ApiError(
            503,
            "GitHub webhooks are not set up on this server: "
            "start `mochi serve` with MOCHI_GITHUB_WEBHOOK_SECRET",
        )
    body = await request.body()
    if not github_signature_ok(hooks.github_secret, body, request.headers.get("x-hub-signature-256")):
        raise ApiError(401, "the X-Hub-Signature-256 of this delivery does not match the webhook secret")
    event = request.headers.get("x-github-event", "")
    delivery = request.headers.get("x-github-delivery", "")
    if not event or not delivery:
        raise ApiError(400, "a GitHub delivery has X-GitHub-Event and X-GitHub-Delivery headers")
    try:
        parsed = github_event(event, _payload(body), review_drafts=hooks.review_drafts)
    except ValueError as exc:
        raise ApiError(400, f"this {event} delivery cannot be read: {exc}") from None
    return await run_in_threadpool(_handle, request, "github", delivery, event, parsed)


@router.post("/gitlab", status_code=202)
async def gitlab(request: Request) -> JSONResponse:
    """A GitLab delivery: merge request events (open, reopen, update with new commits) and
    `/mochi review` notes on merge requests."""
    hooks = _hooks(request)
    if not hooks.gitlab_token or hooks.dispatcher is None:
        raise ApiError(
            503,
            "GitLab webhooks are not set up on this server: "
            "start `mochi serve` with MOCHI_GITLAB_WEBHOOK_TOKEN",
        )
    if not gitlab_token_ok(hooks.gitlab_token, request.headers.get("x-gitlab-token")):
        raise ApiError(401, "the X-Gitlab-Token of this delivery is not the webhook's secret token")
    body = await request.body()
    payload = _payload(body)
    event = str(payload.get("object_kind", "")) if isinstance(payload, dict) else ""
    delivery = _gitlab_delivery(request, body)
    try:
        parsed = gitlab_event(payload, review_drafts=hooks.review_drafts)
    except ValueError as exc:
        raise ApiError(400, f"this GitLab delivery cannot be read: {exc}") from None
    return await run_in_threadpool(_handle, request, "gitlab", delivery, event or "unknown", parsed)


def _gitlab_delivery(request: Request, body: bytes) -> str:
    """The id a GitLab delivery is de-duplicated by. `Idempotency-Key` (GitLab 17.4+) is the same on
    every retry of one delivery and differs between deliveries: the best. X-Gitlab-Event-UUID is
    GitLab's loop-detection id: events caused by one API request that carried it share it, so it is
    joined with a digest of the body (two events, two ids; a retry of one, the same). Without either,
    the body's digest: an identical body is a replay."""
    import hashlib

    key = request.headers.get("idempotency-key", "").strip()
    if key:
        return "key:" + key[:100]
    digest = hashlib.sha256(body).hexdigest()
    uuid = request.headers.get("x-gitlab-event-uuid", "").strip()
    return f"uuid:{uuid[:60]}:{digest[:32]}" if uuid else "sha256:" + digest


def _handle(
    request: Request, host: str, delivery: str, event: str, parsed: ChangeEvent | Ignored
) -> JSONResponse:
    from mochi.queue.review import Change
    from mochi.store import deliveries

    hooks = _hooks(request)
    assert hooks.dispatcher is not None
    engine = request.app.state.engine
    if not deliveries.first_seen(engine, host, delivery, event, now=request.app.state.clock()):
        return ok({"delivery": delivery, "duplicate": True, "queued": False}, status=200)
    if isinstance(parsed, Ignored):
        deliveries.settle(engine, host, delivery, "ignored: " + parsed.reason)
        return ok({"delivery": delivery, "queued": False, "reason": parsed.reason}, status=200)
    change = Change(
        host=parsed.host,
        project=parsed.project,
        number=parsed.number,
        head_sha=parsed.head_sha,
        action=parsed.action,
        sender=parsed.sender,
        installation_id=parsed.installation_id,
        project_id=parsed.project_id,
        api_url=parsed.api_url,
        delivery=delivery,
    )
    try:
        queued = hooks.dispatcher.submit(change)
    except Exception as exc:
        # forget the delivery, so that the host's redelivery is handled; the host sees a 503
        logger.warning("could not queue a review of %s: %s", change.lock, exc)
        deliveries.forget(engine, host, delivery)
        raise ApiError(
            503, f"the review could not be queued ({type(exc).__name__}); redeliver it later"
        ) from None
    deliveries.settle(engine, host, delivery, f"queued as job {queued.job_id}", job_id=queued.job_id)
    return ok(
        {
            "delivery": delivery,
            "queued": True,
            "job_id": queued.job_id,
            "runs": hooks.dispatcher.kind,
            "change": change.lock,
            "superseded": list(queued.superseded),
        },
        status=202,
    )
