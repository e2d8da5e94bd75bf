"""Streamed answers: a slow model that works is never taken for a dead one, a dead one is named.

The fakes stream at a Pace scaled down from real life: a 30 s first token becomes 1 s against a
2 s timeout_s, a model that never answers is given 0.5 s.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ollama
import openai
import pytest

from mochi.errors import ProviderUnreachableError, RateLimitedError
from mochi.models import Prompt
from mochi.providers.base import Provider, ProviderTimeoutError
from mochi.providers.ollama import OllamaProvider
from mochi.providers.openai import OpenAIProvider
from mochi.providers.retry import with_retries
from mochi.providers.stream import labelled
from tests.fakes.llm_servers import EMPTY_REVIEW, FakeOllama, FakeOpenAI, Pace
from tests.providers.conftest import API_KEY, SleepRecorder

KINDS = ["ollama", "openai"]


class Lines(list[str]):
    """A progress callback that keeps its lines (called from the heartbeat thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self.lock:
            self.append(line)


@contextmanager
def served(kind: str, *, timeout: float, **kwargs: Any) -> Iterator[tuple[Provider, FakeOllama | FakeOpenAI]]:
    if kind == "ollama":
        with FakeOllama.start() as fake:
            client = ollama.Client(host=fake.url, timeout=timeout)
            yield OllamaProvider(client, "qwen2.5-coder:7b", host=fake.url, timeout_s=timeout, **kwargs), fake
    else:
        with FakeOpenAI.start() as fake:
            client = openai.OpenAI(api_key=API_KEY, base_url=f"{fake.url}/v1", max_retries=0, timeout=timeout)
            yield OpenAIProvider(client, "gpt-4o-mini", timeout_s=timeout, **kwargs), fake


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_a_slow_first_token_then_a_steady_stream_completes(
    kind: str, prompt: Prompt, schema: dict[str, Any]
) -> None:
    # first token after 1 s, then 6 pieces 0.4 s apart: 3.4 s in all against a 2 s timeout_s
    with served(kind, timeout=2.0) as (provider, fake):
        fake.enqueue_chat(EMPTY_REVIEW, pace=Pace(first_token_s=1.0, token_s=0.4, pieces=6))
        completion = provider.complete(prompt, schema=schema)
    assert completion.text == EMPTY_REVIEW
    assert completion.duration_s > 3.0  # longer than timeout_s: the timeout is inactivity, not total
    assert completion.first_token_s is not None and 0.9 < completion.first_token_s < 2.0
    assert completion.tokens_per_s is not None and completion.tokens_per_s > 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_never_answers_is_a_timeout_naming_the_setting(
    kind: str, prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder
) -> None:
    with served(kind, timeout=0.5) as (provider, fake):
        fake.enqueue_chat(EMPTY_REVIEW, pace=Pace(first_token_s=3600))
        started = time.monotonic()
        with pytest.raises(ProviderTimeoutError) as info:
            with_retries(provider, max_retries=3, sleep=sleeps).complete(prompt, schema=schema)
        elapsed = time.monotonic() - started
        assert (
            len(fake.requests_to("chat/completions" if kind == "openai" else "/api/chat")) == 1
        )  # not retried
    message = str(info.value)
    assert elapsed < 1.5
    assert "sent nothing for 0.5 s" in message and "raise timeout_s" in message
    assert "not reachable" not in message and "ollama serve" not in message


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_that_stalls_mid_answer_is_a_timeout(
    kind: str, prompt: Prompt, schema: dict[str, Any]
) -> None:
    with served(kind, timeout=0.5) as (provider, fake):
        fake.enqueue_chat(EMPTY_REVIEW, pace=Pace(token_s=3600, pieces=4))
        with pytest.raises(ProviderTimeoutError, match="timeout_s"):
            provider.complete(prompt, schema=schema)


@pytest.mark.parametrize("kind", KINDS)
def test_an_error_in_the_middle_of_the_stream_says_the_server_failed(
    kind: str, prompt: Prompt, schema: dict[str, Any]
) -> None:
    with served(kind, timeout=5) as (provider, fake):
        fake.enqueue_chat(EMPTY_REVIEW, pace=Pace(pieces=4, fail_after=2, error="CUDA error: out of memory"))
        with pytest.raises(RateLimitedError) as info:
            provider.complete(prompt, schema=schema)
    assert "failed while answering: CUDA error: out of memory" in str(info.value)
    assert not isinstance(info.value, ProviderUnreachableError)


def test_a_5xx_carries_the_servers_message(prompt: Prompt, schema: dict[str, Any]) -> None:
    with served("ollama", timeout=5) as (provider, fake):
        assert isinstance(fake, FakeOllama)
        fake.enqueue_error("chat", 500, "llama runner process has terminated: exit status 2")
        with pytest.raises(RateLimitedError) as info:
            provider.complete(prompt, schema=schema)
    assert "failed (500): llama runner process has terminated" in str(info.value)
    assert "not reachable" not in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_a_heartbeat_shows_a_slow_generation_working(
    kind: str, prompt: Prompt, schema: dict[str, Any]
) -> None:
    lines = Lines()
    with served(kind, timeout=5, progress=lines, heartbeat_s=0.25) as (provider, fake):
        fake.enqueue_chat(EMPTY_REVIEW, pace=Pace(first_token_s=0.6, token_s=0.2, pieces=5))
        with labelled("chunk 1/3"):
            provider.complete(prompt, schema=schema)
    assert lines, "no heartbeat"
    assert all(line.startswith("chunk 1/3: ") for line in lines)
    assert any("waiting for the first token" in line for line in lines)
    assert any(line.endswith("tokens so far") for line in lines)


def test_no_heartbeat_for_a_quick_answer(prompt: Prompt, schema: dict[str, Any]) -> None:
    lines = Lines()
    with served("openai", timeout=5, progress=lines, heartbeat_s=5) as (provider, _fake):
        provider.complete(prompt, schema=schema)
    assert lines == []


def test_a_server_that_cannot_stream_is_asked_whole(prompt: Prompt, schema: dict[str, Any]) -> None:
    with served("openai", timeout=5) as (provider, fake):
        assert isinstance(fake, FakeOpenAI)
        fake.enqueue_error(400, "stream not supported", type="invalid_request_error")
        first = provider.complete(prompt, schema=schema)
        second = provider.complete(prompt, schema=schema)
        streams = [r.body.get("stream", False) for r in fake.requests_to("/chat/completions")]
    assert first.text == second.text == EMPTY_REVIEW
    assert streams == [True, False, False]  # asked whole from then on


@pytest.mark.slow
def test_a_server_that_cannot_stream_still_shows_a_heartbeat(prompt: Prompt, schema: dict[str, Any]) -> None:
    lines = Lines()
    with served("openai", timeout=5, progress=lines, heartbeat_s=0.2) as (provider, fake):
        assert isinstance(fake, FakeOpenAI)
        fake.enqueue_error(400, "stream not supported", type="invalid_request_error")
        fake.enqueue_chat(EMPTY_REVIEW, delay=0.7)
        provider.complete(prompt, schema=schema)
    assert lines and all("waiting for the answer (not streamed)" in line for line in lines)
