"""Ticket compliance in the model's answer: tolerant parsing, and the table every output shows.

The answer contract gains an optional top-level `ticket_compliance` list (mochi.answer) when the
prompt has tickets with acceptance criteria:

    {"ticket_compliance": [{"ticket": "PAY-142", "criterion": "...", "status": "met",
                            "reason": "..."}]}

`status` is met, not_met or unclear. Local models put the list in the summary, rename keys, or
say "yes"/"partially"; `parse_compliance` accepts those and drops entries without a criterion.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mochi.answer import AnswerCompliance
from mochi.models import ComplianceStatus, CriterionVerdict, Ticket

_LIST_KEYS = ("ticket_compliance", "ticketCompliance", "compliance", "acceptance_criteria",
              "acceptanceCriteria", "criteria")  # fmt: skip
_STATUS = {
    "met": ComplianceStatus.MET, "yes": ComplianceStatus.MET, "true": ComplianceStatus.MET,
    "done": ComplianceStatus.MET, "satisfied": ComplianceStatus.MET, "pass": ComplianceStatus.MET,
    "passed": ComplianceStatus.MET, "fulfilled": ComplianceStatus.MET, "implemented": ComplianceStatus.MET,
    "notmet": ComplianceStatus.NOT_MET, "no": ComplianceStatus.NOT_MET, "false": ComplianceStatus.NOT_MET,
    "unmet": ComplianceStatus.NOT_MET, "fail": ComplianceStatus.NOT_MET, "failed": ComplianceStatus.NOT_MET,
    "missing": ComplianceStatus.NOT_MET, "notimplemented": ComplianceStatus.NOT_MET,
    "violated": ComplianceStatus.NOT_MET,
}  # fmt: skip
LABELS = {
    ComplianceStatus.MET: "met",
    ComplianceStatus.NOT_MET: "not met",
    ComplianceStatus.UNCLEAR: "unclear",
}


def parse_compliance(data: Any) -> list[AnswerCompliance]:
    """The compliance verdicts wherever the model put them (top level, summary, one wrapper deep)."""
    raw = _find_list(data)
    out: list[AnswerCompliance] = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        criterion = _text(item.get("criterion") or item.get("acceptance_criterion") or item.get("name"))
        if not criterion:
            continue
        status_raw = item.get("status", item.get("met", item.get("result")))
        out.append(
            AnswerCompliance(
                ticket=_text(item.get("ticket") or item.get("key") or item.get("ticket_key")),
                criterion=criterion,
                status=_status(status_raw),
                reason=_text(item.get("reason") or item.get("explanation") or item.get("comment")),
            )
        )
    return out


def verdicts(items: Iterable[AnswerCompliance]) -> tuple[CriterionVerdict, ...]:
    """The answer's verdicts as the core type."""
    return tuple(
        CriterionVerdict(ticket=i.ticket, criterion=i.criterion, status=i.status, reason=i.reason)
        for i in items
    )


def complete_table(
    merged: Sequence[CriterionVerdict], tickets: Sequence[Ticket]
) -> tuple[CriterionVerdict, ...]:
    """One row per acceptance criterion of `tickets`, in the tickets' order.

    A criterion the model did not judge is `unclear`; a verdict that matches no criterion (the
    model reworded it) is kept after the ticket's own rows rather than lost.
    """
    if not tickets:
        return tuple(merged)
    remaining = list(merged)
    rows: list[CriterionVerdict] = []
    for t in tickets:
        for criterion in t.acceptance_criteria:
            hit = next((v for v in remaining if _same(v, t.key, criterion)), None)
            if hit is None:
                rows.append(CriterionVerdict(ticket=t.key, criterion=criterion,
                                             reason="the model did not judge this criterion"))  # fmt: skip
            else:
                remaining.remove(hit)
                rows.append(hit.model_copy(update={"ticket": t.key, "criterion": criterion}))
    return tuple(rows + remaining)


def _same(v: CriterionVerdict, key: str, criterion: str) -> bool:
    if v.ticket and v.ticket.strip().upper() != key.upper():
        return False
    a, b = _norm(v.criterion), _norm(criterion)
    return bool(a) and (a == b or a in b or b in a)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _find_list(data: Any, depth: int = 0) -> list[Any]:
    if isinstance(data, list):
        for item in data:
            found = _find_list(item, depth + 1) if isinstance(item, dict) and depth < 2 else []
            if found:
                return found
        return []
    if not isinstance(data, Mapping):
        return []
    for key in _LIST_KEYS:
        value = data.get(key)
        if isinstance(value, list) and any(isinstance(v, dict) for v in value):
            return value
    if depth < 2:
        for key in ("summary", "review", "result"):
            if isinstance(data.get(key), Mapping):
                found = _find_list(data[key], depth + 1)
                if found:
                    return found
    return []


def _status(value: Any) -> ComplianceStatus:
    if isinstance(value, bool):
        return ComplianceStatus.MET if value else ComplianceStatus.NOT_MET
    word = re.sub(r"[^a-z]", "", _text(value).lower())
    return _STATUS.get(word, ComplianceStatus.UNCLEAR)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
