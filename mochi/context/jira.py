"""Tickets from Jira, with the `jira` package: Cloud (email + API token, REST v3, ADF) and
Server/Data Center (personal access token, REST v2, wiki markup).

`JiraTickets.fetch(keys)` returns the tickets it could read and one warning per problem that says
what to fix (401/403/404, a timeout, an unreachable or malformed JIRA_URL). It never raises for a
Jira problem: a review without its ticket is still a review. Results are cached for the run, and
after a problem that would repeat for every key (credentials, URL, timeout) no other key is tried.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from mochi.context.adf import adf_to_markdown, is_adf, wiki_to_markdown
from mochi.context.tickets import parse_criteria, split_acceptance
from mochi.models import Ticket, TicketLink

if TYPE_CHECKING:
    from mochi.settings import Settings

logger = logging.getLogger(__name__)

BASE_FIELDS = ("summary", "issuetype", "status", "priority", "description", "labels", "components",
               "issuelinks", "parent")  # fmt: skip


class JiraProblem(Exception):
    """A Jira failure, with the message for the user; `fatal` when it would repeat for every key."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass(frozen=True)
class JiraConfig:
    url: str
    acceptance_field: str | None = None
    max_chars: int = 6000
    timeout_s: float = 10.0
    auth_hint: str = "JIRA_EMAIL and JIRA_API_TOKEN (Cloud) or JIRA_PAT (Server/Data Center)"


class JiraTickets:
    """Reads tickets through a `jira.JIRA` client built on first use by `connect()`."""

    def __init__(self, connect: Callable[[], Any], config: JiraConfig) -> None:
        self._connect = connect
        self._client: Any = None
        self.config = config
        self._cache: dict[str, Ticket | None] = {}
        self._broken: str | None = None

    def fetch(self, keys: Iterable[str]) -> tuple[list[Ticket], list[str]]:
        """The tickets for `keys` that could be read, and a warning for each problem."""
        tickets: list[Ticket] = []
        warnings: list[str] = []
        for key in keys:
            if self._broken is not None:
                break
            if key in self._cache:
                cached = self._cache[key]
                if cached is not None:
                    tickets.append(cached)
                continue
            try:
                ticket = self._ticket(key)
            except JiraProblem as problem:
                self._cache[key] = None
                warnings.append(str(problem))
                if problem.fatal:
                    self._broken = str(problem)
                continue
            self._cache[key] = ticket
            tickets.append(ticket)
        return tickets, warnings

    # ------------------------------------------------------------------ reading

    def _client_or_raise(self) -> Any:
        if self._client is None:
            parts = urlsplit(self.config.url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise JiraProblem(
                    f"JIRA_URL {self.config.url!r} is not a valid URL: set it to your Jira's base address, "
                    "e.g. https://your-domain.atlassian.net. The review goes on without tickets.",
                    fatal=True,
                )
            self._client = self._connect()
        return self._client

    def _raw(self, key: str, fields: Sequence[str]) -> dict[str, Any]:
        client = self._client_or_raise()
        try:
            issue = client.issue(key, fields=",".join(fields))
        except Exception as exc:  # the jira package raises JIRAError and requests' errors
            raise self._explain(exc, key) from None
        raw = getattr(issue, "raw", None)
        if not isinstance(raw, dict):
            raise JiraProblem(
                f"Jira's answer for {key} is not an issue; the review goes on without it.", fatal=False
            )
        return raw

    def _ticket(self, key: str) -> Ticket:
        fields = list(BASE_FIELDS)
        if self.config.acceptance_field:
            fields.append(self.config.acceptance_field)
        raw = self._raw(key, fields)
        ticket = ticket_from_raw(
            raw, base_url=self.config.url, acceptance_field=self.config.acceptance_field,
            max_chars=self.config.max_chars,
        )  # fmt: skip
        if ticket.parent is not None and not ticket.parent.summary:
            ticket = ticket.model_copy(update={"parent": self._link(ticket.parent)})
        return ticket

    def _link(self, link: TicketLink) -> TicketLink:
        """Fill in a parent's summary (one level up, never further); keep the bare key on failure."""
        try:
            raw = self._raw(link.key, ("summary", "status", "issuetype"))
        except JiraProblem as problem:
            logger.info("could not read %s's parent %s: %s", link.key, link.key, problem)
            return link
        f = raw.get("fields") or {}
        return link.model_copy(
            update={"summary": str(f.get("summary") or ""), "status": _name(f.get("status")),
                    "type": _name(f.get("issuetype"))}
        )  # fmt: skip

    def _explain(self, exc: Exception, key: str) -> JiraProblem:
        url = self.config.url
        status = getattr(exc, "status_code", None)
        name = type(exc).__name__
        tail = "The review goes on without it."
        if status == 401:
            return JiraProblem(
                f"Jira at {url} rejected the credentials (401): check {self.config.auth_hint}. "
                "The review goes on without tickets.",
                fatal=True,
            )
        if status == 403:
            return JiraProblem(
                f"Jira at {url} refused access to {key} (403): give the account behind the token the "
                f"'Browse projects' permission on {key.rsplit('-', 1)[0]}, or check that the token is "
                f"not restricted. {tail}",
                fatal=False,
            )
        if status == 404:
            return JiraProblem(
                f"Jira at {url} has no ticket {key} (404), or the account cannot see it: check the key, "
                f"or set jira_projects or jira_key_pattern so other text is not taken for a key. {tail}",
                fatal=False,
            )
        if "Timeout" in name:
            return JiraProblem(
                f"Jira at {url} did not answer within {self.config.timeout_s:g} s: check JIRA_URL and the "
                "network, or raise jira_timeout_s. The review goes on without tickets.",
                fatal=True,
            )
        if name in ("MissingSchema", "InvalidURL", "InvalidSchema", "LocationParseError"):
            return JiraProblem(
                f"JIRA_URL {url!r} is not a valid URL: set it to your Jira's base address. "
                "The review goes on without tickets.",
                fatal=True,
            )
        if "Connection" in name or isinstance(exc, OSError):
            return JiraProblem(
                f"Jira is not reachable at {url}: check JIRA_URL and that this machine can reach it. "
                "The review goes on without tickets.",
                fatal=True,
            )
        detail = f" ({status})" if status else ""
        return JiraProblem(
            f"Jira at {url} could not return {key}{detail}: {name}. {tail}", fatal=status is None
        )


# --------------------------------------------------------------------------- issue JSON -> Ticket


def ticket_from_raw(
    raw: Mapping[str, Any],
    *,
    base_url: str | None = None,
    acceptance_field: str | None = None,
    max_chars: int = 6000,
) -> Ticket:
    """A Ticket from the issue JSON of REST v2 (wiki markup) or v3 (ADF), capped at `max_chars`."""
    key = str(raw.get("key") or "")
    f = raw.get("fields") or {}
    description = rich_text(f.get("description"))
    description, criteria = split_acceptance(description)
    if acceptance_field and f.get(acceptance_field):
        value = f.get(acceptance_field)
        if isinstance(value, list):
            custom = tuple(str(v.get("value") if isinstance(v, dict) else v).strip() for v in value)
        else:
            custom = parse_criteria(rich_text(value))
        criteria = tuple(c for c in custom if c) or criteria
    criteria = tuple(c if len(c) <= 500 else c[:500] + " …" for c in criteria[:30])
    room = max(300, max_chars - sum(len(c) for c in criteria))
    truncated = len(description) > room
    if truncated:
        cut = description.rfind("\n", 0, room)
        description = (
            description[: cut if cut > room // 2 else room].rstrip() + "\n[... description truncated]"
        )
    return Ticket(
        key=key,
        summary=str(f.get("summary") or ""),
        type=_name(f.get("issuetype")),
        status=_name(f.get("status")),
        priority=_name(f.get("priority")),
        description=description,
        acceptance_criteria=criteria,
        labels=tuple(str(label) for label in f.get("labels") or ()),
        components=tuple(n for c in f.get("components") or () if (n := _name(c))),
        links=_links(f.get("issuelinks")),
        parent=_parent(f.get("parent")),
        url=f"{base_url.rstrip('/')}/browse/{key}" if base_url and key else None,
        truncated=truncated,
    )


def rich_text(value: Any) -> str:
    """Markdown for a rich-text field: ADF (v3), wiki markup (v2), or plain text."""
    if value is None:
        return ""
    if is_adf(value):
        return adf_to_markdown(value)
    if isinstance(value, str):
        return wiki_to_markdown(value)
    return str(value)


def _name(value: Any) -> str | None:
    if isinstance(value, Mapping):
        name = value.get("name") or value.get("value")
        return str(name) if name else None
    return None


def _links(value: Any) -> tuple[TicketLink, ...]:
    out: list[TicketLink] = []
    for link in value or ():
        if not isinstance(link, Mapping):
            continue
        kind = link.get("type") or {}
        for side, relation in (("outwardIssue", kind.get("outward")), ("inwardIssue", kind.get("inward"))):
            other = link.get(side)
            if not isinstance(other, Mapping) or not other.get("key"):
                continue
            f = other.get("fields") or {}
            out.append(
                TicketLink(
                    key=str(other["key"]), relation=str(relation or kind.get("name") or "relates to"),
                    summary=str(f.get("summary") or ""), status=_name(f.get("status")),
                    type=_name(f.get("issuetype")),
                )
            )  # fmt: skip
    return tuple(out[:10])


def _parent(value: Any) -> TicketLink | None:
    if not isinstance(value, Mapping) or not value.get("key"):
        return None
    f = value.get("fields") or {}
    kind = _name(f.get("issuetype"))
    return TicketLink(
        key=str(value["key"]), relation="epic" if (kind or "").lower() == "epic" else "parent",
        summary=str(f.get("summary") or ""), status=_name(f.get("status")), type=kind,
    )  # fmt: skip


# --------------------------------------------------------------------------- from Settings


def from_settings(settings: Settings) -> JiraTickets | None:
    """A JiraTickets for JIRA_URL with the configured credentials, or None when Jira is not configured.

    The `jira.JIRA` client is built on first use (no request is made before a key is found).
    Cloud: JIRA_EMAIL + JIRA_API_TOKEN (basic auth, REST v3); Server/Data Center: JIRA_PAT
    (bearer token, REST v2); `jira_api_version` overrides the version.
    """
    if not settings.jira.url:
        return None
    url = settings.jira.url.rstrip("/")
    token = settings.jira.api_token.get_secret_value() if settings.jira.api_token else None
    pat = settings.jira.pat.get_secret_value() if settings.jira.pat else None
    cloud = bool(settings.jira.email and token)
    version = settings.jira.api_version if settings.jira.api_version != "auto" else ("3" if cloud else "2")
    timeout = settings.jira.timeout_s

    def connect() -> Any:
        import jira

        kwargs: dict[str, Any] = {}
        if cloud:
            kwargs["basic_auth"] = (settings.jira.email, token)
        elif pat:
            kwargs["token_auth"] = pat
        return jira.JIRA(
            server=url,
            options={"rest_api_version": version, "check_update": False},
            get_server_info=False,
            max_retries=0,
            timeout=timeout,
            **kwargs,
        )

    hint = "JIRA_EMAIL and JIRA_API_TOKEN" if cloud else "JIRA_PAT" if pat else (
        "the credentials: set JIRA_EMAIL and JIRA_API_TOKEN (Cloud) or JIRA_PAT (Server/Data Center)"
    )  # fmt: skip
    return JiraTickets(
        connect,
        JiraConfig(
            url=url,
            acceptance_field=settings.jira.acceptance_field,
            max_chars=settings.jira.max_chars,
            timeout_s=timeout,
            auth_hint=hint,
        ),
    )
