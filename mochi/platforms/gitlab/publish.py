"""Publish a review on a GitLab merge request: inline discussions and one sticky summary note.

Like the GitHub publisher, it reads back what mochi posted before through hidden markers
(mochi.platforms.markers, shared so both platforms speak one format):

- every discussion carries `<!-- mochi:fp=... -->`; a finding whose fingerprint is already on the
  merge request (in a discussion, or in a pending draft note) is not posted again;
- the summary note carries `<!-- mochi:summary head=<sha> -->` and is edited in place; the head it
  records lets the next pipeline review only what was pushed since. It is written last, so a run
  that died half-way is simply redone (the fingerprints keep it from posting twice).

Findings without a valid position (outside the diff's lines, or refused by GitLab with "line_code
can't be blank") are listed in the summary note instead of being dropped. With `drafts=True` the
discussions are created as draft notes and published with one bulk_publish call, so reviewers get
one notification rather than one per comment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mochi.models import Anchor, Diff, Finding, Review
from mochi.platforms.gitlab.client import GitLabAPIError, GitLabClient
from mochi.platforms.gitlab.diff import MRVersion, mr_path
from mochi.platforms.gitlab.position import position_for
from mochi.platforms.gitlab.summary import inline_body, summary_body
from mochi.platforms.markers import (
    answers_in,
    answers_marker,
    fingerprint_marker,
    fingerprints_in,
    is_summary,
    summary_head,
    summary_marker,
)

logger = logging.getLogger(__name__)


@dataclass
class MRState:
    """What mochi already left on the merge request."""

    fingerprints: set[str] = field(default_factory=set)  # posted discussions and pending drafts
    summary_note_id: int | None = None
    reviewed_head: str | None = None  # the head the summary note describes
    answers: str | None = None  # the model's answers of the review at reviewed_head (mochi.llm_replay)
    draft_fingerprints: set[str] = field(default_factory=set)


@dataclass
class PublishReport:
    posted: int = 0
    already_there: int = 0
    unanchored: list[Finding] = field(default_factory=list)
    summary_note_id: int | None = None
    summary_created: bool = False
    note_ids: dict[str, str] = field(default_factory=dict)  # fingerprint -> the note that carries it


def _is_position_error(exc: GitLabAPIError) -> bool:
    # GitLab's words for a position that names no line of the diff
    return exc.status == 400 and ("line_code" in exc.detail or "position" in exc.detail.lower())


class GitLabMergeRequest:
    """One merge request, through the API."""

    def __init__(self, client: GitLabClient, project_id: str, iid: int) -> None:
        self.client = client
        self.project_id = project_id
        self.iid = iid
        self.path = mr_path(project_id, iid)

    def state(self, *, drafts: bool = False) -> MRState:
        """Read mochi's markers from the discussions (and, with drafts, the pending draft notes)."""
        state = MRState()
        for discussion in self.client.paginate(f"{self.path}/discussions"):
            for note in discussion.get("notes") or []:
                body = str(note.get("body") or "")
                if note.get("system"):
                    continue
                state.fingerprints |= fingerprints_in(body)
                if state.summary_note_id is None and is_summary(body):
                    state.summary_note_id = int(note["id"])
                    state.reviewed_head = summary_head(body)
                    state.answers = answers_in(body)
        if drafts:
            for draft in self.client.paginate(f"{self.path}/draft_notes"):
                state.draft_fingerprints |= fingerprints_in(str(draft.get("note") or ""))
            state.fingerprints |= state.draft_fingerprints
        return state

    def publish(
        self,
        review: Review,
        position_diff: Diff,
        version: MRVersion,
        state: MRState,
        *,
        drafts: bool = False,
        incremental_from: str | None = None,
        answers: str | None = None,
    ) -> PublishReport:
        """Post the new inline findings, then create or edit the summary note; `answers` (the model's
        answers of a complete pass, mochi.llm_replay) go in it for a re-run on the same head."""
        report = PublishReport()
        inline: list[tuple[Finding, dict[str, Any]]] = []
        for finding in review.findings:
            file = position_diff.file(finding.path) if finding.anchored is Anchor.INLINE else None
            position = (
                position_for(finding, file, version, left_ok=incremental_from is None) if file else None
            )
            if position is None:
                report.unanchored.append(finding)
            elif finding.fingerprint and finding.fingerprint in state.fingerprints:
                report.already_there += 1
            else:
                inline.append((finding, position))
        for finding, position in inline:
            note_id = self._post_inline(finding, position, drafts=drafts)
            if note_id is not None:
                report.posted += 1
                state.fingerprints.add(finding.fingerprint)
                report.note_ids[finding.fingerprint] = note_id
            else:
                report.unanchored.append(finding)
        if drafts and (report.posted or state.draft_fingerprints):
            self.client.post(f"{self.path}/draft_notes/bulk_publish")
        # the next pipeline reviews from here only when the model ran (or none was asked for)
        body = (
            summary_marker(version.head_sha if review.llm_error is None else state.reviewed_head)
            + "\n"
            + summary_body(
                review,
                report.unanchored,
                posted=report.posted,
                already_there=report.already_there,
                version=version,
                incremental_from=incremental_from,
            )
        )
        if answers and review.llm_error is None:
            body += "\n" + answers_marker(answers) + "\n"
        if state.summary_note_id is not None:
            self.client.put(f"{self.path}/notes/{state.summary_note_id}", {"body": body})
            report.summary_note_id = state.summary_note_id
        else:
            note = self._post_once(f"{self.path}/notes", {"body": body}, lambda n: n.get("body") == body)
            report.summary_note_id = int(note["id"])
            report.summary_created = True
        for finding in report.unanchored:
            if finding.fingerprint:
                report.note_ids.setdefault(finding.fingerprint, str(report.summary_note_id))
        return report

    def _post_once(
        self, path: str, payload: dict[str, Any], is_it: Callable[[dict[str, Any]], bool]
    ) -> dict[str, Any]:
        """POST a note or discussion; when GitLab may have written it anyway (a timeout, a 5xx), find
        it among the merge request's notes instead of posting it twice."""
        try:
            answer = self.client.post(path, payload)
            return answer if isinstance(answer, dict) else {}
        except GitLabAPIError as exc:
            if not exc.maybe_applied:
                raise
            for discussion in self.client.paginate(f"{self.path}/discussions"):
                for note in discussion.get("notes") or []:
                    if isinstance(note, dict) and is_it(note):
                        logger.warning("GitLab answered %s but had written the note", exc.status)
                        return note
            answer = self.client.post(path, payload)
            return answer if isinstance(answer, dict) else {}

    def _post_inline(self, finding: Finding, position: dict[str, Any], *, drafts: bool) -> str | None:
        """Create the discussion (or draft note) and return its note's id; None when GitLab refuses
        its position."""
        body = inline_body(finding) + "\n\n" + fingerprint_marker(finding.fingerprint)
        try:
            if drafts:
                draft = self.client.post(f"{self.path}/draft_notes", {"note": body, "position": position})
                return str((draft or {}).get("id", ""))
            payload = {"body": body, "position": position}
            note = self._post_once(f"{self.path}/discussions", payload, lambda n: n.get("body") == body)
            notes = note.get("notes") or [note]
            return str(notes[0].get("id") or note.get("id", ""))
        except GitLabAPIError as exc:
            if not _is_position_error(exc):
                raise
            logger.warning(
                "GitLab refused the position of a finding on %s:%s (%s); it goes into the summary",
                finding.path,
                finding.line,
                exc.detail,
            )
            return None
