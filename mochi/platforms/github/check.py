"""The "Sonar-Mochi" check run on the head commit: in_progress at the start, completed at the end.

GitHub accepts at most 50 annotations per request and 65,535 characters of summary and text, so
annotations go out in batches (each update appends) and long text is cut. Without the
`checks: write` permission the API answers 403: the findings then become workflow-command
annotations (`::warning file=...,line=...::`) and a notice says which permission to add.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any, Literal

from mochi.errors import GitHubAPIError
from mochi.models import Finding, Review, Severity
from mochi.platforms.github.actions import Actions
from mochi.platforms.github.client import GitHubClient
from mochi.publish.markdown import counts_line, escape

logger = logging.getLogger(__name__)

NAME = "Sonar-Mochi"
ANNOTATIONS_PER_REQUEST = 50
TEXT_LIMIT = 65_535
PERMISSION_NOTICE = (
    "Sonar-Mochi could not create its check run: the token lacks the `checks: write` permission. "
    "Add `permissions: {checks: write, pull-requests: write, contents: read}` to the workflow job; "
    "the findings are shown as annotations instead."
)
Conclusion = Literal["success", "failure", "neutral"]
_LEVEL = {
    Severity.CRITICAL: "failure",
    Severity.HIGH: "failure",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def clip(text: str, limit: int = TEXT_LIMIT) -> str:
    """`text` cut to `limit` characters, saying that it was cut."""
    if len(text) <= limit:
        return text
    tail = "\n\n… (cut: the full report is in the job summary)"
    return text[: limit - len(tail)] + tail


def annotation(f: Finding) -> dict[str, Any]:
    """A check-run annotation for one finding (file-level findings sit on line 1)."""
    start = f.line or 1
    end = f.end_line if f.end_line and f.line and f.end_line >= f.line else start
    message = f.message + (f"\n\nSuggestion:\n{f.suggestion}" if f.suggestion else "")
    title = " · ".join(x for x in (f.severity.value, f.type.value, f.category or "") if x)
    return {
        "path": f.path,
        "start_line": start,
        "end_line": end,
        "annotation_level": _LEVEL[f.severity],
        "message": clip(message, 60_000),
        "title": title[:255],
    }


class CheckRun:
    """One check run; `fallback` is True once GitHub refused it with 403."""

    def __init__(self, client: GitHubClient, repo: str, head_sha: str, actions: Actions | None) -> None:
        """`actions`: where the 403 fallback writes its annotations (None outside GitHub Actions)."""
        self.client = client
        self.repo = repo
        self.head_sha = head_sha
        self.actions = actions
        self.id: int | None = None
        self.url: str | None = None
        self.fallback = False

    def start(self) -> None:
        """Create the run as in_progress (or switch to the annotation fallback on 403)."""
        body = {"name": NAME, "head_sha": self.head_sha, "status": "in_progress", "started_at": _now()}
        try:
            data = self.client.post(f"/repos/{self.repo}/check-runs", body)
        except GitHubAPIError as exc:
            if not exc.maybe_applied:
                self._refused(exc)
                return
            data = self._find_started() or self.client.post(f"/repos/{self.repo}/check-runs", body)
        self.id = int(data["id"])
        self.url = data.get("html_url")

    def _find_started(self) -> dict[str, Any] | None:
        """The in-progress run of this commit that a create answered with a 5xx had written anyway."""
        data = self.client.get(
            f"/repos/{self.repo}/commits/{self.head_sha}/check-runs",
            {"check_name": NAME, "status": "in_progress"},
        )
        runs = data.get("check_runs") if isinstance(data, dict) else None
        found = [r for r in runs or [] if isinstance(r, dict) and r.get("name") == NAME]
        return max(found, key=lambda r: int(r.get("id") or 0)) if found else None

    def complete(self, review: Review, conclusion: Conclusion, report: str) -> None:
        """Finish the run: conclusion, Markdown summary and text, annotations in batches of 50."""
        if self.fallback or self.id is None:
            self._annotate_in_log(review.findings)
            return
        title = f"{NAME}: {counts_line(review.findings)}"
        summary = clip(_summary(review))
        output_base = {"title": title[:255], "summary": summary, "text": clip(report)}
        batches = _batches([annotation(f) for f in review.findings]) or [[]]
        path = f"/repos/{self.repo}/check-runs/{self.id}"
        done = {"status": "completed", "conclusion": conclusion}
        try:
            for i, batch in enumerate(batches):
                body: dict[str, Any] = {"output": {**output_base, "annotations": batch}}
                if i == len(batches) - 1:
                    body.update(done, completed_at=_now())
                try:
                    data = self.client.patch(path, body)
                except GitHubAPIError as exc:
                    if not exc.maybe_applied:
                        raise
                    # annotations append, so a blind retry could double them; what must happen is
                    # that the run completes: look, and complete it without the annotations if not
                    logger.warning("GitHub answered %s to a check run update; checking it", exc.status)
                    data = self.client.get(path)
                    if i == len(batches) - 1 and data.get("status") != "completed":
                        data = self.client.patch(
                            path, {"output": output_base, **done, "completed_at": _now()}
                        )
            self.url = data.get("html_url") or self.url
        except GitHubAPIError as exc:
            self._refused(exc)
            self._annotate_in_log(review.findings)

    def abort(self, message: str) -> None:
        """Close the run as failed when the review itself could not finish."""
        if self.fallback or self.id is None:
            return
        body = {
            "status": "completed",
            "conclusion": "failure",
            "completed_at": _now(),
            "output": {"title": f"{NAME} could not finish", "summary": clip(message)},
        }
        try:
            self.client.patch(f"/repos/{self.repo}/check-runs/{self.id}", body)
        except GitHubAPIError as exc:
            logger.warning("could not close the check run: %s", exc)

    def _refused(self, exc: GitHubAPIError) -> None:
        if exc.status != 403:
            raise exc
        self.fallback = True
        if self.actions is not None:
            self.actions.notice(PERMISSION_NOTICE)
        else:
            logger.warning("%s", PERMISSION_NOTICE)

    def _annotate_in_log(self, findings: Sequence[Finding]) -> None:
        if self.actions is None:
            return
        for f in findings:
            level = "error" if _LEVEL[f.severity] == "failure" else "warning"
            self.actions.command(
                level,
                f.message,
                file=f.path,
                line=f.line,
                endLine=f.end_line if f.end_line and f.line and f.end_line > f.line else None,
                title=f"Sonar-Mochi {f.severity.value} {f.type.value}",
            )


def _batches(items: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    n = ANNOTATIONS_PER_REQUEST
    return [items[i : i + n] for i in range(0, len(items), n)]


def _summary(review: Review) -> str:
    out = [counts_line(review.findings), ""]
    if review.summary.overall_assessment:
        out += [escape(review.summary.overall_assessment), ""]
    out.append(f"Files reviewed: {len(review.reviewed)}; skipped: {len(review.skipped)}.")
    return "\n".join(out)
