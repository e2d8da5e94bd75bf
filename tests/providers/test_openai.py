"""OpenAIProvider against FakeOpenAI over real HTTP (any OpenAI-compatible server)."""

from __future__ import annotations

import time
from typing import Any

import openai
import pytest

from mochi.errors import (
    ModelNotFoundError,
    ProviderAuthError,
    ProviderResponseError,
    ProviderUnreachableError,
    RateLimitedError,
)
from mochi.models import Prompt
from mochi.providers.openai import OpenAIProvider
from mochi.providers.retry import with_retries
from tests.fakes.llm_servers import FakeOpenAI
from tests.providers.conftest import API_KEY, SleepRecorder


def make(url: str, model: str = "gpt-4o-mini", *, key: str = API_KEY, timeout: float = 5.0) -> OpenAIProvider:
    client = openai.OpenAI(api_key=key, base_url=f"{url}/v1", timeout=timeout, max_retries=0)
    return OpenAIProvider(client, model, temperature=0.1, max_output_tokens=1024)


def test_asks_for_strict_json_schema_output(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_chat('{"comments": []}')
        completion = make(fake.url).complete(prompt, schema=schema)
        (request,) = fake.requests_to("/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.body["model"] == "gpt-4o-mini"
    assert request.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "submit_review", "schema": schema, "strict": True},
    }
    assert request.body["messages"] == [
        {"role": "system", "content": prompt.system},
        {"role": "user", "content": prompt.user},
    ]
    assert request.body["temperature"] == 0.1
    assert request.body["max_completion_tokens"] == 1024
    assert completion.text == '{"comments": []}'
    assert (completion.provider, completion.model) == ("openai", "gpt-4o-mini")
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0


def test_rejected_key_names_the_variable_and_hides_the_key(prompt: Prompt, schema: dict[str, Any]) -> None:
    wrong = "sk-proj-wrongkey9876543210zyxw"
    with FakeOpenAI.start() as fake:
        with pytest.raises(ProviderAuthError) as info:
            make(fake.url, key=wrong).complete(prompt, schema=schema)
        assert len(fake.requests) == 1
    message = str(info.value)
    assert "OPENAI_API_KEY" in message
    assert wrong not in message
    assert wrong[-4:] not in message  # not even the masked tail the server echoes


def test_unknown_model(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start(models={"gpt-4o-mini"}) as fake, pytest.raises(ModelNotFoundError) as info:
        make(fake.url, "gpt-9").complete(prompt, schema=schema)
    assert "gpt-9" in str(info.value)
    assert "does not exist" in str(info.value)


def test_rate_limit_is_retried_honouring_retry_after(
    prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder
) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_error(
            429,
            "Rate limit reached for gpt-4o-mini",
            code="rate_limit_exceeded",
            headers={"retry-after": "7"},
        )
        fake.enqueue_error(500, "The server had an error while processing your request.")
        fake.enqueue_chat('{"comments": []}')
        completion = with_retries(make(fake.url), max_retries=3, sleep=sleeps, base_delay=0.01).complete(
            prompt, schema=schema
        )
        assert len(fake.requests_to("/v1/chat/completions")) == 3
    assert completion.text == '{"comments": []}'
    assert sleeps.waits[0] >= 7  # the server asked for 7 s
    assert sleeps.waits[1] < 7


def test_exhausted_quota_is_not_retried(
    prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder
) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_error(
            429, "You exceeded your current quota.", type="insufficient_quota", code="insufficient_quota"
        )
        with pytest.raises(ProviderAuthError) as info:
            with_retries(make(fake.url), max_retries=3, sleep=sleeps).complete(prompt, schema=schema)
        assert len(fake.requests) == 1
    assert "quota" in str(info.value)
    assert sleeps.waits == []


def test_server_errors_run_out_of_retries(
    prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder
) -> None:
    with FakeOpenAI.start() as fake:
        for _ in range(4):
            fake.enqueue_error(503, "The engine is currently overloaded, please try again later")
        with pytest.raises(RateLimitedError):
            with_retries(make(fake.url), max_retries=3, sleep=sleeps).complete(prompt, schema=schema)
        assert len(fake.requests) == 4


def test_timeout_fails_quickly(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_chat("{}", delay=5.0)
        started = time.monotonic()
        with pytest.raises(ProviderUnreachableError) as info:
            make(fake.url, timeout=0.3).complete(prompt, schema=schema)
    assert time.monotonic() - started < 2.0
    assert "sent nothing for 0.3 s" in str(info.value)
    assert "raise timeout_s" in str(info.value)
    assert "not reachable" not in str(info.value)


def test_unreachable_base_url(prompt: Prompt, schema: dict[str, Any], dead_url: str) -> None:
    with pytest.raises(ProviderUnreachableError) as info:
        make(dead_url).complete(prompt, schema=schema)
    assert dead_url in str(info.value)
    assert "OPENAI_BASE_URL" in str(info.value)


def test_refusal_is_a_response_error(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_chat(None, refusal="I can't help with that.")
        with pytest.raises(ProviderResponseError) as info:
            make(fake.url).complete(prompt, schema=schema)
    assert "refused" in str(info.value)


def test_bad_request_carries_the_servers_message(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_error(
            400, "Invalid schema for response_format 'submit_review'", type="invalid_request_error"
        )
        with pytest.raises(ProviderResponseError) as info:
            make(fake.url).complete(prompt, schema=schema)
    assert "Invalid schema for response_format" in str(info.value)
