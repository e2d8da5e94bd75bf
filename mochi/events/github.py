"""GitHub Actions events -> what to review.

`parse_event(GITHUB_EVENT_NAME, payload)` decides, from the event alone, whether this run reviews
a pull request (and which), a push range, or nothing (with the reason, which the caller prints as
a notice before exiting 0). `issue_comment` and `workflow_dispatch` carry only a PR number: the
caller completes them with `pull_from_json` on the API's `pulls/N` answer (the same shape as the
payload's `pull_request`).

A payload that is not JSON, or lacks a field the review needs, raises EventError naming the field
(`pull_request.head.sha`), so a broken workflow says what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mochi.errors import EventError

# Who may ask for a review in a comment: people with write access to the repository.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
PR_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})
ZERO_SHA = "0" * 40
_COMMAND = re.compile(r"^\s*/mochi\s+(review|full-review)\b", re.MULTILINE)


@dataclass(frozen=True)
class PullRequest:
    """The pull request facts a review needs (from a payload or from GET pulls/N)."""

    number: int
    head_sha: str
    base_sha: str
    base_ref: str
    head_ref: str = ""
    title: str = ""
    body: str = ""
    draft: bool = False
    state: str = "open"
    author: str = ""
    labels: tuple[str, ...] = ()
    html_url: str = ""
    head_repo: str = ""  # owner/name of the head repository (a fork for outside contributions)


@dataclass(frozen=True)
class GitHubEvent:
    """What one workflow run should do.

    kind "pull_request": review PR `number` (`pull` is filled when the payload carried it).
    kind "push": review `before..after` with a check run only. kind "skip": do nothing, `reason`
    says why.
    """

    name: str
    kind: Literal["pull_request", "push", "skip"]
    repository: str = ""  # owner/name
    action: str = ""
    number: int | None = None
    pull: PullRequest | None = None
    full_review: bool = False  # `/mochi full-review`: ignore the last reviewed commit
    base_is_trusted: bool = False  # pull_request_target: settings and templates from the base only
    before: str | None = None  # synchronize: the previous head; push: the previous tip
    after: str | None = None  # push: the new tip
    ref: str = ""
    reason: str = ""


def load_payload(text: str, *, source: str = "GITHUB_EVENT_PATH") -> Mapping[str, Any]:
    """Parse the event JSON; raises EventError when it is not a JSON object."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise EventError(
            f"the event payload in {source} is not valid JSON ({exc}): run mochi ci inside a GitHub "
            "Actions job, or point GITHUB_EVENT_PATH at a webhook payload"
        ) from exc
    except RecursionError:
        # json's decoder recurses once per level: a payload nested thousands deep is no webhook
        raise EventError(
            f"the event payload in {source} is nested too deeply to be a GitHub webhook payload"
        ) from None
    if not isinstance(data, dict):
        raise EventError(f"the event payload in {source} is not a JSON object")
    return data


def parse_event(name: str, payload: Mapping[str, Any], *, review_drafts: bool = False) -> GitHubEvent:
    """Decide what to review for the event `name` (GITHUB_EVENT_NAME) and its payload."""
    if not name:
        raise EventError("GITHUB_EVENT_NAME is empty: run mochi ci inside a GitHub Actions job")
    if name in ("pull_request", "pull_request_target"):
        return _pull_request_event(name, payload, review_drafts=review_drafts)
    if name == "issue_comment":
        return _comment_event(payload)
    if name == "workflow_dispatch":
        return _dispatch_event(payload)
    if name == "push":
        return _push_event(payload)
    return GitHubEvent(name=name, kind="skip", reason=f"mochi does not review '{name}' events")


def pull_from_json(data: Mapping[str, Any], *, where: str = "pull_request") -> PullRequest:
    """A PullRequest from a webhook's `pull_request` object or the API's pulls/N answer."""
    labels = _get(data, "labels", list, where, default=[])
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    head_repo = _get(data, "head", dict, where).get("repo")
    return PullRequest(
        number=_get(data, "number", int, where),
        head_sha=_get(data, "head.sha", str, where),
        base_sha=_get(data, "base.sha", str, where),
        base_ref=_get(data, "base.ref", str, where),
        head_ref=str(_get(data, "head.ref", str, where, default="")),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        draft=bool(data.get("draft") or False),
        state=str(data.get("state") or "open"),
        author=str((user or {}).get("login") or ""),
        labels=tuple(str(lb.get("name")) for lb in labels if isinstance(lb, dict) and lb.get("name")),
        html_url=str(data.get("html_url") or ""),
        head_repo=str(head_repo.get("full_name") or "") if isinstance(head_repo, dict) else "",
    )


def skip_reason_for(pull: PullRequest, *, review_drafts: bool) -> str | None:
    """Why an (API-fetched) pull request is not reviewed, or None."""
    if pull.state != "open":
        return f"pull request #{pull.number} is {pull.state}"
    if pull.draft and not review_drafts:
        return f"pull request #{pull.number} is a draft (set review_drafts = true to review drafts)"
    return None


# --------------------------------------------------------------------------- per event


def _repository(payload: Mapping[str, Any]) -> str:
    return str(_get(payload, "repository.full_name", str, "payload"))


def _pull_request_event(name: str, payload: Mapping[str, Any], *, review_drafts: bool) -> GitHubEvent:
    action = _get(payload, "action", str, "payload")
    repo = _repository(payload)
    trusted = name == "pull_request_target"
    if action not in PR_ACTIONS:
        return GitHubEvent(
            name=name,
            kind="skip",
            repository=repo,
            action=action,
            reason=f"'{name}' with action '{action}' needs no review",
        )
    pull = pull_from_json(_get(payload, "pull_request", dict, "payload"), where="pull_request")
    if pull.draft and not review_drafts:
        return GitHubEvent(
            name=name,
            kind="skip",
            repository=repo,
            action=action,
            number=pull.number,
            reason=f"pull request #{pull.number} is a draft (set review_drafts = true to review drafts)",
        )
    before = payload.get("before") if action == "synchronize" else None
    return GitHubEvent(
        name=name,
        kind="pull_request",
        repository=repo,
        action=action,
        number=pull.number,
        pull=pull,
        base_is_trusted=trusted,
        before=str(before) if isinstance(before, str) and before != ZERO_SHA else None,
    )


def _comment_event(payload: Mapping[str, Any]) -> GitHubEvent:
    action = _get(payload, "action", str, "payload")
    repo = _repository(payload)
    issue = _get(payload, "issue", dict, "payload")
    number = _get(issue, "number", int, "issue")
    body = str(_get(payload, "comment.body", str, "payload", default="") or "")
    match = _COMMAND.search(body)
    skip = GitHubEvent(name="issue_comment", kind="skip", repository=repo, action=action, number=number)
    if action != "created" or match is None:
        return _with_reason(skip, "the comment holds no /mochi review or /mochi full-review command")
    if not isinstance(issue.get("pull_request"), dict):
        return _with_reason(skip, f"#{number} is an issue, not a pull request")
    association = str(_get(payload, "comment.author_association", str, "payload"))
    if association not in TRUSTED_ASSOCIATIONS:
        who = _get(payload, "comment.user.login", str, "payload", default="the commenter")
        return _with_reason(
            skip,
            f"{who} ({association}) may not start a review: only an owner, member or collaborator can",
        )
    return GitHubEvent(
        name="issue_comment",
        kind="pull_request",
        repository=repo,
        action=action,
        number=number,
        full_review=match.group(1) == "full-review",
    )


def _dispatch_event(payload: Mapping[str, Any]) -> GitHubEvent:
    repo = _repository(payload)
    inputs = payload.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise EventError("the workflow_dispatch payload's 'inputs' is not an object")
    raw = inputs.get("pr_number")
    if raw is None or str(raw).strip() == "":
        raise EventError(
            "workflow_dispatch needs the input 'inputs.pr_number' (the pull request to review): "
            "declare it under on.workflow_dispatch.inputs and pass a number"
        )
    try:
        number = int(str(raw).strip().lstrip("#"))
    except ValueError:
        raise EventError(f"inputs.pr_number must be a pull request number, not {str(raw)!r}") from None
    full = str(inputs.get("full_review") or "").lower() in ("true", "1", "yes")
    return GitHubEvent(
        name="workflow_dispatch",
        kind="pull_request",
        repository=repo,
        number=number,
        full_review=full,
        ref=str(payload.get("ref") or ""),
    )


def _push_event(payload: Mapping[str, Any]) -> GitHubEvent:
    repo = _repository(payload)
    ref = _get(payload, "ref", str, "payload")
    after = _get(payload, "after", str, "payload")
    before = str(_get(payload, "before", str, "payload"))
    if payload.get("deleted") or after == ZERO_SHA:
        return GitHubEvent(
            name="push",
            kind="skip",
            repository=repo,
            ref=ref,
            reason=f"the push deleted {ref}: nothing to review",
        )
    return GitHubEvent(
        name="push",
        kind="push",
        repository=repo,
        ref=ref,
        after=after,
        before=None if before == ZERO_SHA else before,
    )


def _with_reason(event: GitHubEvent, reason: str) -> GitHubEvent:
    return GitHubEvent(**{**event.__dict__, "reason": reason})


def _get(data: Mapping[str, Any], dotted: str, kind: type, where: str, default: Any = ...) -> Any:
    """data["a"]["b"] for "a.b", checked to be `kind`; EventError names the missing field."""
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or value.get(part) is None:
            if default is not ...:
                return default
            field = dotted if where == "payload" else f"{where}.{dotted}"
            raise EventError(
                f"the event payload has no '{field}': this is not a complete GitHub webhook payload "
                "(check GITHUB_EVENT_NAME and GITHUB_EVENT_PATH)"
            )
        value = value[part]
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        field = dotted if where == "payload" else f"{where}.{dotted}"
        raise EventError(f"the event payload's '{field}' should be a {kind.__name__}, not {value!r}")
    return value
