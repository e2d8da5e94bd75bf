from __future__ import annotations

from mochi.models import ComplianceStatus, CriterionVerdict, Review, ReviewTarget, Summary, TargetKind
from mochi.platforms.gitlab.diff import MRVersion
from mochi.platforms.gitlab.summary import summary_body


def test_the_summary_note_shows_the_tickets_acceptance_criteria() -> None:
    review = Review(
        target=ReviewTarget(kind=TargetKind.PULL_REQUEST, number=3),
        summary=Summary(
            overall_assessment="Refunds are not capped.",
            ticket_compliance=(
                CriterionVerdict(
                    ticket="PAY-142",
                    criterion="A refund never exceeds the captured amount",
                    status=ComplianceStatus.NOT_MET,
                    reason="refund() returns the requested amount as is.",
                ),
            ),
        ),
    )
    body = summary_body(
        review,
        [],
        posted=0,
        already_there=0,
        version=MRVersion("a" * 40, "b" * 40, "c" * 40),
        incremental_from=None,
    )
    assert "### Acceptance criteria" in body
    row = next(line for line in body.splitlines() if "A refund never exceeds" in line)
    assert "PAY-142" in row and "not met" in row.lower() and "returns the requested amount" in row
