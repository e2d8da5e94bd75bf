"""The fallback chain over real providers and fakes: who answered, and what failed."""

from __future__ import annotations

from typing import Any

import ollama
import openai
import pytest

from mochi.errors import ProviderAuthError, ProviderUnreachableError
from mochi.models import Prompt
from mochi.providers.chain import FallbackChain
from mochi.providers.ollama import OllamaProvider
from mochi.providers.openai import OpenAIProvider
from tests.fakes.llm_servers import FakeOpenAI
from tests.providers.conftest import API_KEY


def ollama_at(url: str) -> OllamaProvider:
    return OllamaProvider(ollama.Client(host=url, timeout=5), "qwen2.5-coder:7b", host=url)


def openai_at(url: str, key: str = API_KEY) -> OpenAIProvider:
    client = openai.OpenAI(api_key=key, base_url=f"{url}/v1", timeout=5, max_retries=0)
    return OpenAIProvider(client, "gpt-4o-mini")


def test_primary_down_secondary_answers(prompt: Prompt, schema: dict[str, Any], dead_url: str) -> None:
    notices: list[str] = []
    with FakeOpenAI.start() as fake:
        fake.enqueue_chat('{"comments": []}')
        chain = FallbackChain([ollama_at(dead_url), openai_at(fake.url)], on_fallback=notices.append)
        completion = chain.complete(prompt, schema=schema)
    assert (chain.name, chain.model) == ("ollama", "qwen2.5-coder:7b")
    assert (completion.provider, completion.model) == ("openai", "gpt-4o-mini")
    assert completion.text == '{"comments": []}'
    (notice,) = notices
    assert "ollama/qwen2.5-coder:7b" in notice and "openai/gpt-4o-mini" in notice
    assert "not reachable" in notice


def test_primary_answering_means_no_fallback(prompt: Prompt, schema: dict[str, Any]) -> None:
    notices: list[str] = []
    with FakeOpenAI.start() as first, FakeOpenAI.start() as second:
        completion = FallbackChain([openai_at(first.url), openai_at(second.url)], notices.append).complete(
            prompt, schema=schema
        )
        assert len(first.requests) == 1
        assert second.requests == []
    assert completion.provider == "openai"
    assert notices == []


def test_every_provider_failing_lists_each_failure(
    prompt: Prompt, schema: dict[str, Any], dead_url: str
) -> None:
    with FakeOpenAI.start() as fake:
        chain = FallbackChain([ollama_at(dead_url), openai_at(fake.url, key="sk-wrong-key-000000")])
        with pytest.raises(ProviderAuthError) as info:  # the last failure's class
            chain.complete(prompt, schema=schema)
    message = str(info.value)
    assert "ollama/qwen2.5-coder:7b" in message and "not reachable" in message
    assert "openai/gpt-4o-mini" in message and "OPENAI_API_KEY" in message
    assert "sk-wrong-key-000000" not in message


def test_a_single_provider_raises_its_own_error(
    prompt: Prompt, schema: dict[str, Any], dead_url: str
) -> None:
    with pytest.raises(ProviderUnreachableError) as info:
        FallbackChain([ollama_at(dead_url)]).complete(prompt, schema=schema)
    assert str(info.value).startswith("Ollama is not reachable")
