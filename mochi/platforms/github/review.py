"""One pull request review per run: inline comments where GitHub accepts them, the rest in the body.

Every position is checked against the PR's diff before posting (GitHub answers 422 for a comment
on a line outside the diff, and rejects the whole review with it). A finding that cannot be
anchored goes into the review body. If GitHub still answers 422, the review is sent once more
with every inline comment moved into the body. Each finding carries a hidden fingerprint marker,
and findings whose marker is already on the PR are left out, so a re-run posts nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from mochi.errors import GitHubAPIError
from mochi.models import Anchor, FileDiff, Finding, Review, Severity
from mochi.platforms.github.client import GitHubClient
from mochi.platforms.markers import fingerprint_marker, fingerprints_in
from mochi.publish.markdown import _fenced, clip, code, escape, location

logger = logging.getLogger(__name__)

BODY_LIMIT = 65_000  # GitHub rejects bodies over 65,536 characters
_ICON = {Severity.CRITICAL: "🔴", Severity.HIGH: "🟠", Severity.MEDIUM: "🟡", Severity.LOW: "🔵"}
ReviewEvent = Literal["COMMENT", "REQUEST_CHANGES"]


class PositionIndex:
    """The lines of a PR's diff a review comment may sit on, per file, side and hunk."""

    def __init__(self, files: Iterable[FileDiff]) -> None:
        self._hunks: dict[tuple[str, str], list[set[int]]] = {}
        for f in files:
            for hunk in f.hunks:
                right = {ln.new_no for ln in hunk.lines if ln.new_no is not None}
                left = {ln.old_no for ln in hunk.lines if ln.old_no is not None}
                self._hunks.setdefault((f.path, "RIGHT"), []).append(right)
                self._hunks.setdefault((f.path, "LEFT"), []).append(left)

    def place(self, f: Finding) -> tuple[int, int | None] | None:
        """(line, start_line or None) for an inline comment on `f`, or None when GitHub would refuse it.

        A range must lie inside one hunk; a range whose end is outside is cut to its first line.
        """
        if f.anchored is not Anchor.INLINE or f.line is None:
            return None
        for lines in self._hunks.get((f.path, f.side), []):
            if f.line in lines:
                end = f.end_line
                if end is not None and end > f.line and all(n in lines for n in range(f.line, end + 1)):
                    return end, f.line
                return f.line, None
        return None


@dataclass
class ReviewPlan:
    """What one run would post: inline comments, body-only findings, and what was already there."""

    event: ReviewEvent
    inline: list[tuple[Finding, dict[str, Any]]] = field(default_factory=list)
    body_findings: list[Finding] = field(default_factory=list)
    already_posted: int = 0
    head_sha: str = ""

    @property
    def empty(self) -> bool:
        return not self.inline and not self.body_findings

    @property
    def findings(self) -> list[Finding]:
        return [f for f, _ in self.inline] + self.body_findings

    def payload(self, *, all_in_body: bool = False, event: ReviewEvent | None = None) -> dict[str, Any]:
        """The body of POST pulls/N/reviews."""
        in_body = self.body_findings + ([f for f, _ in self.inline] if all_in_body else [])
        data: dict[str, Any] = {
            "commit_id": self.head_sha,
            "event": event or self.event,
            "body": review_body(len(self.findings), in_body, moved=all_in_body),
        }
        if not all_in_body and self.inline:
            data["comments"] = [c for _, c in self.inline]
        return data


@dataclass(frozen=True)
class PostedReview:
    url: str | None
    inline: int
    in_body: int
    moved_after_422: bool = False
    id: int | None = None
    body: str = ""  # as GitHub stored it: the markers of the findings that went into the body


def plan_review(
    review: Review,
    positions: PositionIndex,
    posted: frozenset[str],
    *,
    head_sha: str,
    event: ReviewEvent = "COMMENT",
) -> ReviewPlan:
    """Split the review's new findings into inline comments and body entries."""
    plan = ReviewPlan(event=event, head_sha=head_sha)
    for f in review.findings:
        if f.fingerprint and f.fingerprint in posted:
            plan.already_posted += 1
            continue
        place = positions.place(f)
        if place is None:
            plan.body_findings.append(f)
            continue
        line, start = place
        comment: dict[str, Any] = {
            "path": f.path,
            "line": line,
            "side": f.side,
            "body": comment_body(f, start_line=start, line=line),
        }
        if start is not None:
            comment["start_line"] = start
            comment["start_side"] = f.side
        plan.inline.append((f, comment))
    return plan


def post_review(client: GitHubClient, repo: str, number: int, plan: ReviewPlan) -> PostedReview:
    """POST the review; on a 422, once more with every inline comment in the body.

    A POST that may have been applied (a timeout, a 5xx) is looked for among the PR's reviews before
    it is sent again, so a review is never posted twice.
    """
    path = f"/repos/{repo}/pulls/{number}/reviews"
    try:
        data = _post_once(client, path, plan.payload(), number=number)
        return PostedReview(_url(data), len(plan.inline), len(plan.body_findings), **_ident(data))
    except GitHubAPIError as exc:
        if exc.status != 422:
            raise
        logger.warning("GitHub refused the review (%s); posting it with every comment in the body", exc)
        own_pr = any("request changes" in e.lower() for e in (*exc.errors, exc.message))
        payload = plan.payload(all_in_body=True, event="COMMENT" if own_pr else None)
        data = _post_once(client, path, payload, number=number)
        return PostedReview(_url(data), 0, len(plan.findings), moved_after_422=True, **_ident(data))


def _post_once(client: GitHubClient, path: str, payload: dict[str, Any], *, number: int) -> Any:
    """POST a review; when GitHub may have written it anyway, find it instead of posting it again."""
    try:
        return client.post(path, payload)
    except GitHubAPIError as exc:
        if not exc.maybe_applied:
            raise
        for review in reversed(client.paginate(path)):
            if not isinstance(review, dict):
                continue
            if review.get("commit_id") == payload["commit_id"] and review.get("body") == payload["body"]:
                logger.warning("GitHub answered %s but had written the review #%s", exc.status, number)
                return review
        logger.warning("GitHub answered %s and has no such review: posting it once more", exc.status)
        return client.post(path, payload)


def posted_comments(
    client: GitHubClient, repo: str, number: int, posted: PostedReview
) -> dict[str, tuple[int, str]]:
    """Fingerprint -> (comment id, URL) for everything this review posted.

    Inline findings are matched through the markers in the review's comments; findings that went
    into the review body are the review itself.
    """
    if posted.id is None:
        return {}
    where: dict[str, tuple[int, str]] = {}
    for fp in fingerprints_in(posted.body):
        where[fp] = (posted.id, posted.url or "")
    for c in client.paginate(f"/repos/{repo}/pulls/{number}/reviews/{posted.id}/comments"):
        if isinstance(c, dict) and c.get("id") is not None:
            for fp in fingerprints_in(str(c.get("body") or "")):
                where[fp] = (int(c["id"]), str(c.get("html_url") or ""))
    return where


def _ident(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    review_id = data.get("id")
    return {"id": int(review_id) if review_id is not None else None, "body": str(data.get("body") or "")}


def _url(data: Any) -> str | None:
    return str(data.get("html_url")) if isinstance(data, dict) and data.get("html_url") else None


# --------------------------------------------------------------------------- bodies


def comment_body(f: Finding, *, start_line: int | None, line: int) -> str:
    """An inline comment: severity, message, and a ```suggestion block when it replaces these lines."""
    meta = " · ".join(x for x in (f.type.value, f.category or "") if x)
    out = [f"{_ICON[f.severity]} **{f.severity.value}** · {escape(meta)}", "", escape(clip(f.message))]
    if f.suggestion:
        # a range cut to its first line (its end was outside the hunk) would not be replaced whole
        exact = start_line is not None or f.end_line is None or f.end_line == f.line
        if exact and _is_code_suggestion(f):
            out += ["", *_suggestion_block(clip(f.suggestion))]
        else:
            out += ["", f"*Suggestion:* {escape(clip(f.suggestion))}"]
    out += ["", f"<sub>{escape(f.source)}</sub> {fingerprint_marker(f.fingerprint)}"]
    return "\n".join(out)


def _is_code_suggestion(f: Finding) -> bool:
    # The model is asked for replacement code for exactly line..end_line (see the system prompt);
    # the built-in rules' suggestions are advice in prose. Left-side lines cannot be replaced.
    return f.side == "RIGHT" and f.rule_id is None and f.source.startswith("llm:")


def _suggestion_block(text: str) -> list[str]:
    fenced = _fenced(text.rstrip("\n"), "")
    fenced[0] = fenced[0] + "suggestion"
    return fenced


def review_body(total: int, in_body: list[Finding], *, moved: bool = False) -> str:
    """The review's own text: a count, then each finding that is not an inline comment."""
    noun = "finding" if total == 1 else "findings"
    out = [f"**Sonar-Mochi** has {total} new {noun} on this pull request."]
    if in_body:
        why = (
            "GitHub did not accept them as inline comments"
            if moved
            else "they are not on a line of this pull request's diff"
        )
        out += ["", f"Not shown inline ({why}):", ""]
        for f in in_body:
            head = f"- {_ICON[f.severity]} **{f.severity.value}** {code(location(f))}"
            entry = [f"{head}: {escape(clip(f.message))}"]
            if f.suggestion:
                entry.append(f"  *Suggestion:* {escape(clip(f.suggestion))}")
            entry.append(f"  {fingerprint_marker(f.fingerprint)}")
            if sum(len(x) + 1 for x in out) + sum(len(x) + 1 for x in entry) > BODY_LIMIT:
                out.append("- … more findings are in the job summary")
                break
            out += entry
    return "\n".join(out)
