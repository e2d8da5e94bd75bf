"""Ticket keys in a change (branch name, PR title and body, commit messages) and acceptance criteria.

The default pattern takes `PAY-142`-shaped keys: an upper-case project key of 2-10 characters
starting with a letter, a hyphen, a number. Things of the same shape that are not tickets are
left out: encodings and standards (UTF-8, SHA-256, ISO-8601, RFC-7231, CVE-2024-1234), single
letters (X-1), and keys glued to other words or numbers (`abcUTF-8`, `PAY-142-3`). With
`jira_projects` only those project keys count, in any case (`feature/pay-142-refunds`); with
`jira_key_pattern` the caller's regex decides (group 1, or the whole match, is the key).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mochi.errors import ConfigError

# Upper-case "keys" that are names of encodings, hashes, standards and versions, never projects.
NOT_PROJECTS = frozenset(
    {"UTF", "UCS", "SHA", "MD", "ISO", "IEC", "IEEE", "RFC", "CVE", "CWE", "GHSA", "AES", "DES", "RSA",
     "ECDSA", "HMAC", "TLS", "SSL", "HTTP", "HTTPS", "IPV", "EAN", "ECMA", "ES", "PEP", "JSR", "JEP",
     "GPL", "LGPL", "AGPL", "MPL", "BSD", "CC", "WIN", "CP", "LATIN", "GPT", "COVID", "SARS", "HTML",
     "CSS", "ARM", "AMD", "X", "PR", "MR", "V", "WCAG", "OWASP", "ASVS", "PCI", "SOC"}
)  # fmt: skip
DEFAULT_PATTERN = r"(?<![A-Za-z0-9_.-])([A-Z][A-Z0-9_]{1,9}-[1-9][0-9]{0,6})(?![A-Za-z0-9_]|-[0-9]|\.[0-9])"


@dataclass(frozen=True)
class TicketSources:
    """Where a change names its tickets, in the order they are searched."""

    branch: str | None = None
    title: str | None = None
    body: str | None = None
    commits: tuple[str, ...] = ()

    def texts(self) -> list[str]:
        return [t for t in (self.branch, self.title, self.body, *self.commits) if t]


def key_regex(projects: Sequence[str] = (), pattern: str | None = None) -> re.Pattern[str]:
    """The compiled pattern for the settings; a broken custom pattern is a ConfigError."""
    if pattern:
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise ConfigError(
                f"jira_key_pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from exc
    if projects:
        keys = "|".join(re.escape(p.strip()) for p in projects if p.strip())
        return re.compile(rf"(?<![A-Za-z0-9])((?:{keys})-[1-9][0-9]{{0,6}})(?![0-9])", re.IGNORECASE)
    return re.compile(DEFAULT_PATTERN)


def find_keys(
    sources: TicketSources | Iterable[str],
    *,
    projects: Sequence[str] = (),
    pattern: str | None = None,
    limit: int = 5,
) -> list[str]:
    """The distinct ticket keys named in `sources`, upper-cased, first mention first, at most `limit`."""
    regex = key_regex(projects, pattern)
    texts = sources.texts() if isinstance(sources, TicketSources) else list(sources)
    found: dict[str, None] = {}
    for text in texts:
        for match in regex.finditer(text):
            key = (match.group(1) if regex.groups else match.group(0)).upper()
            project = key.rsplit("-", 1)[0]
            if not pattern and not projects and project in NOT_PROJECTS:
                continue
            found.setdefault(key, None)
            if len(found) >= limit:
                return list(found)
    return list(found)


# --------------------------------------------------------------------------- acceptance criteria

_AC_TITLE = r"(?:acceptance\s+criteria|acceptance\s+criterion|a\.?c\.?|definition\s+of\s+done)"
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BOLD_LINE = re.compile(r"^(?:\*\*|__)(.+?)(?:\*\*|__)\s*:?\s*$")
_TITLE_LINE = re.compile(rf"^\s*{_AC_TITLE}\s*:?\s*$", re.IGNORECASE)
_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#)\s+(?:\[[ xX]\]\s+)?(.*)$")


def _heading_level(line: str) -> tuple[int, str] | None:
    """(level, title) when `line` is a Markdown heading or a bold line used as one (level 7)."""
    m = _MD_HEADING.match(line.strip())
    if m:
        return len(m.group(1)), m.group(2)
    b = _BOLD_LINE.match(line.strip())
    if b:
        return 7, b.group(1)
    if _TITLE_LINE.match(line):
        return 7, line.strip().rstrip(":")
    return None


def split_acceptance(markdown: str) -> tuple[str, tuple[str, ...]]:
    """(description without the section, the criteria) from an "Acceptance Criteria" section.

    The section starts at a Markdown heading, a bold line or a plain `Acceptance criteria:` line
    (wiki `h3.` and ADF headings arrive here already as Markdown) and ends at the next heading of
    the same or a higher level. List items become criteria; without a list, non-empty lines do.
    """
    lines = markdown.splitlines()
    for i, line in enumerate(lines):
        head = _heading_level(line)
        if head is None or not re.fullmatch(rf"\s*{_AC_TITLE}\s*:?\s*", head[1], re.IGNORECASE):
            continue
        level = head[0]
        end = len(lines)
        for j in range(i + 1, len(lines)):
            nxt = _heading_level(lines[j])
            if nxt is not None and (nxt[0] <= level or (level == 7 and nxt[0] == 7)):
                end = j
                break
        criteria = parse_criteria("\n".join(lines[i + 1 : end]))
        rest = "\n".join(lines[:i] + lines[end:]).strip()
        return re.sub(r"\n{3,}", "\n\n", rest), criteria
    return markdown.strip(), ()


def parse_criteria(text: str) -> tuple[str, ...]:
    """Criteria from a section or a custom field: its list items (continuations joined), else its lines."""
    items: list[str] = []
    plain: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        m = _ITEM.match(line)
        if m and m.group(1).strip():
            items.append(m.group(1).strip())
        elif items and line.startswith((" ", "\t")):
            items[-1] += " " + line.strip()
        else:
            plain.append(line.strip())
    chosen = items or plain
    return tuple(dict.fromkeys(c for c in chosen if c))
