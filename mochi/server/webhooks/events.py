"""A webhook delivery's payload -> the change to review (ChangeEvent) or why there is none (Ignored).

`github_event(X-GitHub-Event, payload)` and `gitlab_event(payload)` decide from the payload alone:

- GitHub `pull_request` opened/synchronize/reopened/ready_for_review on an open PR (drafts only with
  `review_drafts`), and an `issue_comment` created on a pull request with a line `/mochi review`
  from an OWNER, MEMBER or COLLABORATOR; `ping` answers "pong".
- GitLab `merge_request` open/reopen, or update with new commits (`oldrev`), on an opened MR
  (drafts only with `review_drafts`), and a `note` on a merge request with a line `/mochi review`.

Everything else is Ignored with a reason the route returns (2xx, nothing queued). A payload that
lacks a field the review needs raises ValueError naming it (the route answers 400): GitHub and
GitLab always send these fields, so a missing one means the body is not their delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from mochi.events.github import TRUSTED_ASSOCIATIONS

REVIEW_COMMAND = "/mochi review"
GITHUB_PR_ACTIONS = ("opened", "synchronize", "reopened", "ready_for_review")
GITLAB_MR_ACTIONS = ("open", "update", "reopen")


@dataclass(frozen=True)
class ChangeEvent:
    """A change to review, from a webhook delivery."""

    host: Literal["github", "gitlab"]
    project: str  # GitHub "owner/repo"; GitLab path_with_namespace "group/sub/name"
    number: int  # pull request number / merge request iid
    head_sha: str | None  # None when the event does not say (a comment): the job reads the current head
    # what triggered it: "opened", "synchronize", "reopened", "ready_for_review", "comment" (GitHub);
    # "open", "update", "reopen", "note" (GitLab)
    action: str
    sender: str  # login/username of who caused it
    installation_id: int | None = None  # GitHub App installation (payload["installation"]["id"])
    project_id: int | None = None  # GitLab project id
    # GitLab: the instance's API URL derived from project.web_url ("https://gitlab.example.com/api/v4");
    # GitHub: None
    api_url: str | None = None


@dataclass(frozen=True)
class Ignored:
    """A delivery that asks for nothing (answered 202/200 with this reason, nothing queued)."""

    reason: str


def has_review_command(text: str) -> bool:
    """True when a line of `text` is exactly `/mochi review` (surrounding spaces and case aside)."""
    return any(line.strip().casefold() == REVIEW_COMMAND for line in text.splitlines())


# ---------------------------------------------------------------------------------------- GitHub


def github_event(
    event: str, payload: Mapping[str, Any], *, review_drafts: bool = False
) -> ChangeEvent | Ignored:
    """The change a GitHub App delivery asks to review; `event` is the X-GitHub-Event header.

    Raises ValueError naming the field when the payload lacks one the decision needs.
    """
    data = _mapping(payload, "the GitHub payload")
    if event == "pull_request":
        return _github_pull_request(data, review_drafts=review_drafts)
    if event == "issue_comment":
        return _github_comment(data)
    if event == "ping":
        zen = data.get("zen")
        return Ignored(f"pong: {zen}" if isinstance(zen, str) and zen else "pong: the webhook is set up")
    return Ignored(f"GitHub event {event!r} asks for no review (mochi reads pull_request and issue_comment)")


def _github_pull_request(data: Mapping[str, Any], *, review_drafts: bool) -> ChangeEvent | Ignored:
    where = "the GitHub pull_request payload"
    action = _get(data, "action", str, where)
    if action not in GITHUB_PR_ACTIONS:
        return Ignored(
            f"pull_request action {action!r} asks for no review ({', '.join(GITHUB_PR_ACTIONS)} do)"
        )
    number = _get(data, "pull_request.number", int, where)
    state = _get(data, "pull_request.state", str, where)
    if state != "open":
        merged = " (merged)" if _get(data, "pull_request.merged", bool, where, False) else ""
        return Ignored(f"pull request #{number} is {state}{merged}: nothing to review")
    if _get(data, "pull_request.draft", bool, where, False) and not review_drafts:
        return Ignored(f"pull request #{number} is a draft (enable review_drafts to review drafts)")
    return ChangeEvent(
        host="github",
        project=_get(data, "repository.full_name", str, where),
        number=number,
        head_sha=_get(data, "pull_request.head.sha", str, where),
        action=action,
        sender=_get(data, "sender.login", str, where),
        installation_id=_get(data, "installation.id", int, where, None),
    )


def _github_comment(data: Mapping[str, Any]) -> ChangeEvent | Ignored:
    where = "the GitHub issue_comment payload"
    action = _get(data, "action", str, where)
    if action != "created":
        return Ignored(f"issue_comment action {action!r}: only new comments can ask for a review")
    if not has_review_command(_get(data, "comment.body", str, where, "")):
        return Ignored(f"the comment has no line {REVIEW_COMMAND!r}")
    number = _get(data, "issue.number", int, where)
    if _get(data, "issue.pull_request", Mapping, where, None) is None:
        return Ignored(f"issue #{number} is not a pull request")
    if _get(data, "issue.state", str, where, "open") != "open":
        return Ignored(f"pull request #{number} is closed: nothing to review")
    sender = _get(data, "sender.login", str, where)
    association = _get(data, "comment.author_association", str, where)
    if association not in TRUSTED_ASSOCIATIONS:
        return Ignored(
            f"{REVIEW_COMMAND!r} from {sender} ignored: their author_association is {association}, "
            f"not one of {', '.join(sorted(TRUSTED_ASSOCIATIONS))}"
        )
    return ChangeEvent(
        host="github",
        project=_get(data, "repository.full_name", str, where),
        number=number,
        head_sha=None,
        action="comment",
        sender=sender,
        installation_id=_get(data, "installation.id", int, where, None),
    )


# ---------------------------------------------------------------------------------------- GitLab


def gitlab_event(payload: Mapping[str, Any], *, review_drafts: bool = False) -> ChangeEvent | Ignored:
    """The change a GitLab webhook delivery asks to review (the kind is the payload's object_kind).

    Raises ValueError naming the field when the payload lacks one the decision needs.
    """
    data = _mapping(payload, "the GitLab payload")
    kind = data.get("object_kind")
    if kind is None and isinstance(data.get("event_name"), str):
        # group and system hooks (member, project, subgroup events) carry event_name only
        return Ignored(f"GitLab event {data['event_name']!r} asks for no review")
    kind = _get(data, "object_kind", str, "the GitLab payload")
    if kind == "merge_request":
        return _gitlab_merge_request(data, review_drafts=review_drafts)
    if kind == "note":
        return _gitlab_note(data)
    return Ignored(f"GitLab event {kind!r} asks for no review (mochi reads merge_request and note)")


def _gitlab_merge_request(data: Mapping[str, Any], *, review_drafts: bool) -> ChangeEvent | Ignored:
    where = "the GitLab merge_request payload"
    action = _get(data, "object_attributes.action", str, where)
    iid = _get(data, "object_attributes.iid", int, where)
    if action not in GITLAB_MR_ACTIONS:
        return Ignored(
            f"merge request action {action!r} asks for no review ({', '.join(GITLAB_MR_ACTIONS)} do)"
        )
    if action == "update" and not _get(data, "object_attributes.oldrev", str, where, ""):
        return Ignored(f"merge request !{iid} was updated without new commits (no oldrev)")
    state = _get(data, "object_attributes.state", str, where, "opened")
    if state != "opened":
        return Ignored(f"merge request !{iid} is {state}: nothing to review")
    draft = _get(data, "object_attributes.draft", bool, where, False)
    if (draft or _get(data, "object_attributes.work_in_progress", bool, where, False)) and not review_drafts:
        return Ignored(f"merge request !{iid} is a draft (enable review_drafts to review drafts)")
    return _gitlab_change(
        data,
        where,
        number=iid,
        head_sha=_get(data, "object_attributes.last_commit.id", str, where),
        action=action,
    )


def _gitlab_note(data: Mapping[str, Any]) -> ChangeEvent | Ignored:
    where = "the GitLab note payload"
    noteable = _get(data, "object_attributes.noteable_type", str, where)
    if noteable != "MergeRequest":
        return Ignored(f"the comment is on {noteable!r}, not on a merge request")
    # GitLab 16.11+ says create or update; older versions send no action, and only for new notes
    action = _get(data, "object_attributes.action", str, where, "create")
    if action != "create":
        return Ignored(f"note action {action!r}: only new comments can ask for a review")
    if not has_review_command(_get(data, "object_attributes.note", str, where, "")):
        return Ignored(f"the comment has no line {REVIEW_COMMAND!r}")
    iid = _get(data, "merge_request.iid", int, where)
    state = _get(data, "merge_request.state", str, where, "opened")
    if state != "opened":
        return Ignored(f"merge request !{iid} is {state}: nothing to review")
    return _gitlab_change(data, where, number=iid, head_sha=None, action="note")


def _gitlab_change(
    data: Mapping[str, Any], where: str, *, number: int, head_sha: str | None, action: str
) -> ChangeEvent:
    path = _get(data, "project.path_with_namespace", str, where)
    return ChangeEvent(
        host="gitlab",
        project=path,
        number=number,
        head_sha=head_sha,
        action=action,
        sender=_get(data, "user.username", str, where),
        project_id=_get(data, "project.id", int, where),
        api_url=gitlab_api_url(_get(data, "project.web_url", str, where), path),
    )


def gitlab_api_url(web_url: str, path_with_namespace: str) -> str:
    """The REST API URL of the GitLab instance serving the project at `web_url`.

    GitLab may live under a relative URL (https://example.com/gitlab/group/name): what precedes
    the project's path is the instance, and its API is that + /api/v4.
    """
    parts = urlsplit(web_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"the GitLab payload's project.web_url {web_url!r} is not an http(s) URL: "
            "send the payload GitLab delivered, unchanged"
        )
    path = parts.path.rstrip("/")
    suffix = "/" + path_with_namespace.strip("/")
    prefix = path[: -len(suffix)] if path.endswith(suffix) else ""
    return f"{parts.scheme}://{parts.netloc}{prefix}/api/v4"


# ---------------------------------------------------------------------------------------- fields


_MISSING: Any = object()


def _mapping(payload: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise ValueError(
            f"{where} is a JSON {type(payload).__name__}, not an object: send the delivery's body"
        )
    return payload


def _get(data: Mapping[str, Any], dotted: str, kind: type, where: str, default: Any = _MISSING) -> Any:
    """data["a"]["b"] for "a.b", checked to be a `kind`; absent or null gives `default` if there is one."""
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
        if value is None:
            if default is not _MISSING:
                return default
            raise ValueError(
                f"{where} has no '{dotted}': it is not a complete webhook delivery "
                "(point the webhook at the right endpoint and send its body unchanged)"
            )
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise ValueError(f"{where} has a {type(value).__name__} in '{dotted}', not a {kind.__name__}")
    return value
