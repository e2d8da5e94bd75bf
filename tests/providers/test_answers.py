"""Providers hand back the model's text exactly as it came: repairing it is the findings parser's job."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import anthropic
import ollama
import openai
import pytest

from mochi.models import Prompt
from mochi.providers.anthropic import AnthropicProvider
from mochi.providers.azure import AzureOpenAIProvider, azure_client
from mochi.providers.base import Provider
from mochi.providers.ollama import OllamaProvider
from mochi.providers.openai import OpenAIProvider
from tests.fakes.llm_servers import FakeAnthropic, FakeOllama, FakeOpenAI
from tests.providers.conftest import ANTHROPIC_KEY, API_KEY

ANSWERS = {
    "fenced": '```json\n{"comments": [], "summary": {"overall_assessment": "ok"}}\n```',
    "trailing comma": '{"comments": [{"file": "a.py", "line": 1, "message": "x",},], "summary": {}}',
    "cut off": '{"comments": [{"file": "a.py", "line": 3, "message": "Possible SQL inj',
    "prose around": 'Sure! Here is the review:\n{"comments": []}\nHope this helps.',
    "unicode": '{"comments": [], "summary": {"overall_assessment": "Très bien — 良い ✅"}}',
    "empty": "",
}


@contextmanager
def ollama_provider() -> Iterator[tuple[Provider, Callable[[str], None]]]:
    with FakeOllama.start() as fake:
        yield (
            OllamaProvider(ollama.Client(host=fake.url), "qwen2.5-coder:7b", host=fake.url),
            fake.enqueue_chat,
        )


@contextmanager
def openai_provider() -> Iterator[tuple[Provider, Callable[[str], None]]]:
    with FakeOpenAI.start() as fake:
        client = openai.OpenAI(api_key=API_KEY, base_url=f"{fake.url}/v1", max_retries=0)
        yield OpenAIProvider(client, "gpt-4o-mini"), fake.enqueue_chat


@contextmanager
def azure_provider() -> Iterator[tuple[Provider, Callable[[str], None]]]:
    with FakeOpenAI.start() as fake:
        client = azure_client(endpoint=fake.url, api_key=API_KEY, api_version="2024-10-21", timeout_s=5)
        yield AzureOpenAIProvider(client, "review-4o"), fake.enqueue_chat


@contextmanager
def anthropic_provider() -> Iterator[tuple[Provider, Callable[[str], None]]]:
    with FakeAnthropic.start() as fake:
        client = anthropic.Anthropic(api_key=ANTHROPIC_KEY, base_url=fake.url, max_retries=0)
        # A model that answers in prose instead of calling the tool: its text comes back as is.
        yield AnthropicProvider(client, "claude-3-5-haiku-latest"), fake.enqueue_text


FACTORIES = {
    "ollama": ollama_provider,
    "openai": openai_provider,
    "azure": azure_provider,
    "anthropic": anthropic_provider,
}


@pytest.mark.parametrize("service", FACTORIES)
def test_raw_text_comes_back_intact(service: str, prompt: Prompt, schema: dict[str, Any]) -> None:
    cases = [(name, text) for name, text in ANSWERS.items() if not (service == "anthropic" and text == "")]
    with FACTORIES[service]() as (provider, enqueue):
        for _, text in cases:
            enqueue(text)
        got = [provider.complete(prompt, schema=schema).text for _ in cases]
    assert got == [text for _, text in cases]
