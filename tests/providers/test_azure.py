"""Azure OpenAI against FakeOpenAI's deployment route, over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import pytest

from mochi.errors import ModelNotFoundError, ProviderAuthError, ProviderUnreachableError
from mochi.models import Prompt
from mochi.providers.azure import AzureOpenAIProvider, azure_client
from mochi.providers.retry import with_retries
from tests.fakes.llm_servers import FakeOpenAI
from tests.providers.conftest import API_KEY, SleepRecorder

VERSION = "2024-10-21"


def make(
    url: str, deployment: str = "review-4o", *, key: str = API_KEY, timeout: float = 5.0
) -> AzureOpenAIProvider:
    client = azure_client(endpoint=url, api_key=key, api_version=VERSION, timeout_s=timeout)
    return AzureOpenAIProvider(client, deployment, temperature=0.0, max_output_tokens=800)


def test_calls_the_deployment_with_the_api_version(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start(deployments={"review-4o"}) as fake:
        fake.enqueue_chat('{"comments": []}')
        completion = make(fake.url).complete(prompt, schema=schema)
        (request,) = fake.requests
    assert request.path == "/openai/deployments/review-4o/chat/completions"
    assert request.query["api-version"] == VERSION
    assert request.headers["api-key"] == API_KEY
    assert request.body["response_format"]["type"] == "json_schema"
    assert request.body["response_format"]["json_schema"]["schema"] == schema
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert completion.text == '{"comments": []}'
    assert (completion.provider, completion.model) == ("azure", "review-4o")


def test_rejected_key_names_the_variable_and_hides_the_key(prompt: Prompt, schema: dict[str, Any]) -> None:
    wrong = "0123456789abcdef0123456789abcdef"
    with FakeOpenAI.start() as fake, pytest.raises(ProviderAuthError) as info:
        make(fake.url, key=wrong).complete(prompt, schema=schema)
    assert "AZURE_OPENAI_API_KEY" in str(info.value)
    assert wrong not in str(info.value)


def test_unknown_deployment(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start(deployments={"review-4o"}) as fake, pytest.raises(ModelNotFoundError) as info:
        make(fake.url, "gpt-4o").complete(prompt, schema=schema)
    assert "'gpt-4o'" in str(info.value)
    assert "deployment" in str(info.value)


def test_throttling_is_retried(prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_error(
            429,
            "Requests to the ChatCompletions_Create Operation have exceeded the rate limit",
            code="429",
            headers={"retry-after": "2"},
        )
        fake.enqueue_chat('{"comments": []}')
        completion = with_retries(make(fake.url), max_retries=2, sleep=sleeps).complete(prompt, schema=schema)
        assert len(fake.requests) == 2
    assert completion.provider == "azure"
    assert sleeps.waits[0] >= 2


def test_timeout_fails_quickly(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_chat("{}", delay=5.0)
        started = time.monotonic()
        with pytest.raises(ProviderUnreachableError):
            make(fake.url, timeout=0.3).complete(prompt, schema=schema)
    assert time.monotonic() - started < 2.0
