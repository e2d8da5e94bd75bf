"""Ticket keys in branches, titles, bodies and commits; acceptance criteria; compliance parsing."""

from __future__ import annotations

import pytest

from mochi.compliance import parse_compliance
from mochi.context.adf import wiki_to_markdown
from mochi.context.tickets import TicketSources, find_keys, split_acceptance
from mochi.errors import ConfigError
from mochi.models import ComplianceStatus


def test_default_pattern_finds_keys_in_order_and_ignores_look_alikes() -> None:
    sources = TicketSources(
        branch="feature/PAY-142-refunds",
        title="PAY-142: refunds (UTF-8 names, SHA-256 ids, ISO-8601 dates, X-1 flag, CVE-2024-1234)",
        body="Also fixes CORE-9. See RFC-7231 and GPT-4o; version v1.2-3; PAY-142 again",
        commits=("ISO-8859-1 decoding", "OPS-77 deploy"),
    )
    assert find_keys(sources) == ["PAY-142", "CORE-9", "OPS-77"]


def test_configured_projects_match_in_any_case_and_a_custom_regex_wins() -> None:
    assert find_keys(["feature/pay-142-refunds fix-2-bugs"], projects=["PAY"]) == ["PAY-142"]
    assert find_keys(["see #123 and #45"], pattern=r"#(\d+)") == ["123", "45"]
    with pytest.raises(ConfigError, match="jira_key_pattern"):
        find_keys(["x"], pattern="(")


@pytest.mark.parametrize(
    "text",
    [
        "Intro\n\n## Acceptance Criteria\n- a refund is stored\n- the customer\n  is emailed\n\n## Notes\nz",
        "Intro\n**Acceptance criteria:**\n1. a refund is stored\n2. the customer is emailed\n**Notes**\nz",
        wiki_to_markdown(
            "Intro\nh3. Acceptance Criteria\n# a refund is stored\n# the customer is emailed\nh3. Notes\nz"
        ),
    ],
)
def test_acceptance_criteria_sections_in_markdown_bold_and_wiki(text: str) -> None:
    rest, criteria = split_acceptance(text)
    assert criteria == ("a refund is stored", "the customer is emailed")
    assert rest.startswith("Intro") and "Notes" in rest and "refund is stored" not in rest


def test_compliance_is_read_wherever_a_model_puts_it() -> None:
    top = {"comments": [], "ticket_compliance": [{"ticket": "PAY-1", "criterion": "a", "status": "met"}]}
    nested = {"summary": {"compliance": [{"key": "PAY-1", "criterion": "b", "met": False, "reason": "no"}]}}
    odd = {"ticket_compliance": [{"criterion": "c", "status": "Partially"}, {"status": "met"}]}
    assert [(c.criterion, c.status) for c in parse_compliance(top)] == [("a", ComplianceStatus.MET)]
    assert [(c.ticket, c.status) for c in parse_compliance(nested)] == [("PAY-1", ComplianceStatus.NOT_MET)]
    assert [(c.criterion, c.status) for c in parse_compliance(odd)] == [("c", ComplianceStatus.UNCLEAR)]
