"""Model answers written to break the reviewer: they cost the LLM pass at most, never the review."""

from __future__ import annotations

from mochi.errors import ProviderResponseError
from tests.fakes.provider import FakeProvider
from tests.test_fake_provider import ANSWER, review_with


def test_an_answer_nested_a_thousand_levels_deep_is_an_unreadable_answer_not_a_crash() -> None:
    deep = '{"comments": ' + "[" * 1000 + "]" * 1000 + "}"
    provider = FakeProvider([deep, deep])  # the answer, and the answer to the repair request

    outcome = review_with(provider)

    assert isinstance(outcome.provider_error, ProviderResponseError)
    assert "nested too deeply" in str(outcome.provider_error)
    assert outcome.review.findings == ()  # a review still, with whatever else found
    assert len(provider.prompts) == 2


def test_a_deep_answer_then_a_good_one_is_repaired() -> None:
    deep = "[" * 5000 + "]" * 5000
    outcome = review_with(FakeProvider([deep, ANSWER]))
    assert outcome.provider_error is None and len(outcome.review.findings) == 1
