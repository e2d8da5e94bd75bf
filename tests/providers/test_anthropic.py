"""AnthropicProvider against FakeAnthropic over real HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

import anthropic
import pytest

from mochi.errors import ModelNotFoundError, ProviderAuthError, ProviderUnreachableError, RateLimitedError
from mochi.models import Prompt
from mochi.providers.anthropic import AnthropicProvider
from mochi.providers.retry import with_retries
from tests.fakes.llm_servers import FakeAnthropic
from tests.providers.conftest import ANTHROPIC_KEY, SleepRecorder

MODEL = "claude-3-5-haiku-latest"
REVIEW = {
    "comments": [
        {
            "file": "app.py",
            "line": 1,
            "end_line": None,
            "type": "bug",
            "severity": "high",
            "category": "security",
            "message": "eval() on user input",
            "suggestion": None,
        }
    ],
    "summary": {"overall_assessment": "Unsafe.", "key_concerns": ["eval"], "recommendations": []},
}


def make(
    url: str, model: str = MODEL, *, key: str = ANTHROPIC_KEY, timeout: float = 5.0
) -> AnthropicProvider:
    client = anthropic.Anthropic(api_key=key, base_url=url, timeout=timeout, max_retries=0)
    return AnthropicProvider(client, model, temperature=0.1, max_output_tokens=1200)


def test_forces_the_review_tool_and_returns_its_input_as_json(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeAnthropic.start() as fake:
        fake.enqueue_tool_input(REVIEW)
        completion = make(fake.url).complete(prompt, schema=schema)
        (request,) = fake.requests_to("/v1/messages")
    sent_key = request.headers.get("x-api-key") or request.headers["authorization"].removeprefix("Bearer ")
    assert sent_key == ANTHROPIC_KEY
    assert "anthropic-version" in request.headers
    assert request.body["model"] == MODEL
    assert request.body["max_tokens"] == 1200
    assert request.body["system"] == prompt.system
    assert request.body["messages"] == [{"role": "user", "content": prompt.user}]
    (tool,) = request.body["tools"]
    assert tool["name"] == "submit_review"
    assert tool["input_schema"] == schema
    assert request.body["tool_choice"] == {"type": "tool", "name": "submit_review"}
    assert json.loads(completion.text) == REVIEW
    assert (completion.provider, completion.model) == ("anthropic", MODEL)
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0


def test_a_text_answer_is_used_when_the_tool_was_not_called(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeAnthropic.start() as fake:
        fake.enqueue_text('Here is my review: {"comments": []}')
        completion = make(fake.url).complete(prompt, schema=schema)
    assert completion.text == 'Here is my review: {"comments": []}'


def test_rejected_key_names_the_variable_and_hides_the_key(prompt: Prompt, schema: dict[str, Any]) -> None:
    wrong = "sk-ant-api03-wrongwrongwrong"
    with FakeAnthropic.start() as fake, pytest.raises(ProviderAuthError) as info:
        make(fake.url, key=wrong).complete(prompt, schema=schema)
    assert "ANTHROPIC_API_KEY" in str(info.value)
    assert wrong not in str(info.value)


def test_unknown_model(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeAnthropic.start(models={MODEL}) as fake, pytest.raises(ModelNotFoundError) as info:
        make(fake.url, "claude-0").complete(prompt, schema=schema)
    assert "claude-0" in str(info.value)


def test_overloaded_and_rate_limited_are_retried(
    prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder
) -> None:
    with FakeAnthropic.start() as fake:
        fake.enqueue_error(529, "Overloaded", type="overloaded_error")
        fake.enqueue_error(
            429,
            "Number of request tokens has exceeded your per-minute rate limit",
            type="rate_limit_error",
            headers={"retry-after": "3"},
        )
        fake.enqueue_tool_input(REVIEW)
        completion = with_retries(make(fake.url), max_retries=3, sleep=sleeps).complete(prompt, schema=schema)
        assert len(fake.requests) == 3
    assert json.loads(completion.text) == REVIEW
    assert sleeps.waits[1] >= 3


def test_retries_run_out(prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder) -> None:
    with FakeAnthropic.start() as fake:
        for _ in range(3):
            fake.enqueue_error(500, "Internal server error")
        with pytest.raises(RateLimitedError):
            with_retries(make(fake.url), max_retries=1, sleep=sleeps).complete(prompt, schema=schema)
        assert len(fake.requests) == 2


def test_timeout_fails_quickly(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeAnthropic.start() as fake:
        fake.enqueue_tool_input(REVIEW, delay=5.0)
        started = time.monotonic()
        with pytest.raises(ProviderUnreachableError) as info:
            make(fake.url, timeout=0.3).complete(prompt, schema=schema)
    assert time.monotonic() - started < 2.0
    assert "did not answer in time" in str(info.value)
