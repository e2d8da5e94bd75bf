"""The retry policy, seen through real HTTP failures of a fake Ollama."""

from __future__ import annotations

from typing import Any

import ollama
import openai
import pytest

from mochi.errors import ModelNotFoundError, ProviderUnreachableError
from mochi.models import Prompt
from mochi.providers.base import MAX_RETRY_AFTER_S, ProviderTimeoutError
from mochi.providers.ollama import OllamaProvider
from mochi.providers.openai import OpenAIProvider
from mochi.providers.retry import with_retries
from tests.fakes.llm_servers import FakeOllama, FakeOpenAI
from tests.providers.conftest import API_KEY, SleepRecorder

MODEL = "qwen2.5-coder:7b"


def make(url: str, *, timeout: float = 5.0) -> OllamaProvider:
    return OllamaProvider(ollama.Client(host=url, timeout=timeout), MODEL, host=url)


def test_connection_refused_fails_fast_after_one_retry(
    prompt: Prompt, schema: dict[str, Any], dead_url: str, sleeps: SleepRecorder
) -> None:
    with pytest.raises(ProviderUnreachableError) as info:
        with_retries(make(dead_url), max_retries=5, sleep=sleeps).complete(prompt, schema=schema)
    assert len(sleeps.waits) == 1  # one retry, not five
    assert "ollama serve" in str(info.value)


def test_timeouts_are_not_retried(prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder) -> None:
    # A server silent for timeout_s has stopped working on the request: asking again repeats the
    # wait (or minutes of prefill), so the error, which names the setting, comes at once.
    with FakeOllama.start() as fake:
        fake.enqueue_chat("{}", delay=3.0)
        with pytest.raises(ProviderTimeoutError) as info:
            with_retries(make(fake.url, timeout=0.2), max_retries=2, sleep=sleeps).complete(
                prompt, schema=schema
            )
        assert len(fake.requests_to("/api/chat")) == 1
    assert sleeps.waits == []
    assert "timeout_s" in str(info.value)


def test_permanent_errors_are_not_retried(
    prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder
) -> None:
    with FakeOllama.start(models={}) as fake:
        with pytest.raises(ModelNotFoundError):
            with_retries(make(fake.url), max_retries=3, sleep=sleeps).complete(prompt, schema=schema)
        assert len(fake.requests_to("/api/show")) == 1
    assert sleeps.waits == []


def test_backoff_grows_exponentially(prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder) -> None:
    with FakeOllama.start() as fake:
        for _ in range(4):
            fake.enqueue_error("chat", 503, "busy")
        fake.enqueue_chat("{}")
        with_retries(make(fake.url), max_retries=4, sleep=sleeps, base_delay=1.0).complete(
            prompt, schema=schema
        )
    # full jitter: each wait is random in [0, base * 2**n], so only the bounds can be checked
    assert len(sleeps.waits) == 4
    assert all(0 <= w <= 2 ** (n + 1) for n, w in enumerate(sleeps.waits))


def test_a_huge_retry_after_is_capped(prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_error(429, "slow down", headers={"retry-after": "3600"})
        fake.enqueue_chat("{}")
        client = openai.OpenAI(api_key=API_KEY, base_url=f"{fake.url}/v1", max_retries=0)
        with_retries(OpenAIProvider(client, "gpt-4o-mini"), max_retries=1, sleep=sleeps).complete(
            prompt, schema=schema
        )
    assert sleeps.waits == [MAX_RETRY_AFTER_S]


def test_zero_retries_leaves_the_provider_alone(prompt: Prompt, schema: dict[str, Any]) -> None:
    provider = make("http://127.0.0.1:9")
    assert with_retries(provider, max_retries=0) is provider
