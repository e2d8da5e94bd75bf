"""The sticky summary comment: one per pull request, found again by its hidden marker, edited in place.

It holds the assessment and key concerns, the findings by severity, the coverage (files reviewed
and skipped, with reasons), the model, tokens and duration (all from the Markdown report), and
its marker records the head commit reviewed, which the next run starts an incremental review from.
"""

from __future__ import annotations

from dataclasses import dataclass

from mochi.errors import GitHubAPIError
from mochi.models import Review
from mochi.platforms.github.client import GitHubClient
from mochi.platforms.markers import answers_marker, summary_marker
from mochi.publish.markdown import render_markdown

BODY_LIMIT = 65_000


@dataclass(frozen=True)
class PostedSummary:
    url: str | None
    comment_id: int
    created: bool


def summary_body(review: Review, *, head_sha: str | None, scope: str = "", answers: str | None = None) -> str:
    """The comment's Markdown, marker first; `scope` says what this run looked at. `answers`
    (mochi.llm_replay) keeps the model's answers for a re-run on the same head, when they fit."""
    report = render_markdown(review)
    parts = [summary_marker(head_sha), report.rstrip("\n")]
    if scope:
        parts.insert(1, f"<sub>{scope}</sub>\n")
    body = "\n".join(parts) + "\n"
    if answers and len(body) + len(answers) + 40 <= BODY_LIMIT:
        body += answers_marker(answers) + "\n"
    if len(body) > BODY_LIMIT:
        body = body[: BODY_LIMIT - 80] + "\n\n… (cut: the full report is in the job summary)\n"
    return body


def upsert_summary(
    client: GitHubClient, repo: str, number: int, body: str, *, comment_id: int | None
) -> PostedSummary:
    """Edit the existing summary comment, or create it when there is none yet."""
    if comment_id is not None:
        data = client.patch(f"/repos/{repo}/issues/comments/{comment_id}", {"body": body})
        return PostedSummary(data.get("html_url"), comment_id, created=False)
    path = f"/repos/{repo}/issues/{number}/comments"
    try:
        data = client.post(path, {"body": body})
    except GitHubAPIError as exc:
        if not exc.maybe_applied:
            raise
        # GitHub may have written it anyway: find it rather than post a second summary
        found = [c for c in client.paginate(path) if isinstance(c, dict) and c.get("body") == body]
        data = found[-1] if found else client.post(path, {"body": body})
    return PostedSummary(data.get("html_url"), int(data["id"]), created=True)
