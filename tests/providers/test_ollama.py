"""OllamaProvider against FakeOllama over real HTTP."""

from __future__ import annotations

import time
from typing import Any

import ollama
import pytest

from mochi.errors import (
    ModelNotFoundError,
    ProviderAuthError,
    ProviderResponseError,
    ProviderUnreachableError,
    RateLimitedError,
)
from mochi.models import Prompt
from mochi.providers.ollama import OllamaProvider
from mochi.providers.retry import with_retries
from tests.fakes.llm_servers import FakeOllama
from tests.providers.conftest import SleepRecorder

MODEL = "qwen2.5-coder:7b"


def make(url: str, model: str = MODEL, *, timeout: float = 5.0, **kwargs: Any) -> OllamaProvider:
    return OllamaProvider(ollama.Client(host=url, timeout=timeout), model, host=url, **kwargs)


def test_asks_for_structured_output_with_the_schema(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start() as fake:
        fake.enqueue_chat('{"comments": [], "summary": {}}', prompt_eval_count=321, eval_count=12)
        completion = make(fake.url, temperature=0.2, max_output_tokens=1500).complete(prompt, schema=schema)

        (chat,) = fake.requests_to("/api/chat")
    assert chat.body["model"] == MODEL
    assert chat.body["format"] == schema
    assert chat.body["stream"] is True  # streamed: timeout_s is the longest silence between tokens
    assert chat.body["messages"] == [
        {"role": "system", "content": prompt.system},
        {"role": "user", "content": prompt.user},
    ]
    assert chat.body["options"]["temperature"] == 0.2
    assert chat.body["options"]["num_predict"] == 1500
    assert completion.text == '{"comments": [], "summary": {}}'
    assert (completion.provider, completion.model) == ("ollama", MODEL)
    assert (completion.prompt_tokens, completion.completion_tokens) == (321, 12)
    assert 0 < completion.duration_s < 2  # measured here, from sending the request to the last token
    assert completion.first_token_s is not None and completion.first_token_s <= completion.duration_s
    assert completion.tokens_per_s == pytest.approx(12 / 0.175)  # eval_count / eval_duration


def test_num_ctx_is_sized_to_the_prompt_not_ollamas_2048_default(schema: dict[str, Any]) -> None:
    small = Prompt(system="s", user="x = 1\n")
    large = Prompt(system="s", user="y = 2  # padding\n" * 4000)  # ~68k characters, ~19.5k tokens
    with FakeOllama.start(models={MODEL: 131072}) as fake:
        provider = make(fake.url, max_output_tokens=2048)
        provider.complete(small, schema=schema)
        provider.complete(large, schema=schema)
        small_ctx, large_ctx = (r.body["options"]["num_ctx"] for r in fake.requests_to("/api/chat"))
        shows = fake.requests_to("/api/show")
    assert small_ctx == 8192  # the floor: far above 2048 even for a tiny prompt
    assert large_ctx % 1024 == 0
    assert large_ctx >= len(large.user) / 3.5 + 2048
    assert large_ctx < 2 * (len(large.user) / 3.5 + 2048)  # sized to it, not simply the maximum
    assert len(shows) == 1  # the context length is read once


def test_explicit_num_ctx_wins(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start(models={MODEL: 32768}) as fake:
        make(fake.url, num_ctx=16384).complete(prompt, schema=schema)
        (chat,) = fake.requests_to("/api/chat")
    assert chat.body["options"]["num_ctx"] == 16384


def test_num_ctx_never_exceeds_the_models_context_length(schema: dict[str, Any]) -> None:
    huge = Prompt(system="s", user="z = 3\n" * 30000)  # ~51k tokens: more than the model holds
    with FakeOllama.start(models={MODEL: 4096}) as fake:
        provider = make(fake.url)
        completion = provider.complete(huge, schema=schema)  # still sent, capped
        make(fake.url, num_ctx=65536).complete(huge, schema=schema)
        capped, explicit_capped = (r.body["options"]["num_ctx"] for r in fake.requests_to("/api/chat"))
    assert capped == 4096
    assert explicit_capped == 4096
    assert completion.text


def test_missing_model_says_how_to_install_it(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start(models={}) as fake:
        with pytest.raises(ModelNotFoundError) as info:
            make(fake.url, "llama3.2").complete(prompt, schema=schema)
        assert fake.requests_to("/api/pull") == []
    assert "ollama pull llama3.2" in str(info.value)
    assert "--pull" in str(info.value)


def test_pull_installs_a_missing_model_then_reviews(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start(models={}) as fake:
        fake.enqueue_chat('{"comments": []}')
        completion = make(fake.url, "llama3.2", pull=True).complete(prompt, schema=schema)
        (pull,) = fake.requests_to("/api/pull")
        chats = fake.requests_to("/api/chat")
    assert pull.body["model"] == "llama3.2"
    assert completion.text == '{"comments": []}'
    assert completion.model == "llama3.2"
    assert len(chats) == 1


def test_a_model_that_cannot_be_pulled_is_reported(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start(models={}, pullable=False) as fake:
        with pytest.raises(ModelNotFoundError) as info:
            make(fake.url, "no-such-model", pull=True).complete(prompt, schema=schema)
        assert len(fake.requests_to("/api/pull")) == 1  # pulled once, not in a loop
    assert "file does not exist" in str(info.value)
    assert "no-such-model" in str(info.value)


def test_unreachable_server_says_how_to_start_it(
    prompt: Prompt, schema: dict[str, Any], dead_url: str
) -> None:
    with pytest.raises(ProviderUnreachableError) as info:
        make(dead_url).complete(prompt, schema=schema)
    assert f"Ollama is not reachable at {dead_url}" in str(info.value)
    assert "ollama serve" in str(info.value)
    assert "OLLAMA_HOST" in str(info.value)


def test_timeout_fails_quickly(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start() as fake:
        fake.enqueue_chat("{}", delay=5.0)
        started = time.monotonic()
        with pytest.raises(ProviderUnreachableError) as info:
            make(fake.url, timeout=0.3).complete(prompt, schema=schema)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0
    assert "sent nothing for 0.3 s" in str(info.value)
    assert "raise timeout_s" in str(info.value)
    assert "not reachable" not in str(info.value)


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_server_is_retried_until_it_answers(
    status: int, prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder
) -> None:
    with FakeOllama.start() as fake:
        fake.enqueue_error(
            "chat", status, "server busy, please try again.  maximum pending requests exceeded"
        )
        fake.enqueue_error("chat", status, "server busy")
        fake.enqueue_chat('{"comments": []}')
        provider = with_retries(make(fake.url), max_retries=3, sleep=sleeps)
        completion = provider.complete(prompt, schema=schema)
        chats = fake.requests_to("/api/chat")
    assert completion.text == '{"comments": []}'
    assert len(chats) == 3
    assert len(sleeps.waits) == 2


def test_retries_run_out(prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder) -> None:
    with FakeOllama.start() as fake:
        for _ in range(5):
            fake.enqueue_error("chat", 503, "server busy")
        with pytest.raises(RateLimitedError) as info:
            with_retries(make(fake.url), max_retries=2, sleep=sleeps).complete(prompt, schema=schema)
        assert len(fake.requests_to("/api/chat")) == 3
    assert "503" in str(info.value)


def test_rejected_key_names_the_variable(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start() as fake:
        fake.enqueue_error("chat", 401, "unauthorized")
        with pytest.raises(ProviderAuthError) as info:
            make(fake.url).complete(prompt, schema=schema)
    assert "OLLAMA_API_KEY" in str(info.value)


def test_bad_request_carries_the_servers_message(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start() as fake:
        fake.enqueue_error("chat", 400, 'invalid format: expected "json" or a JSON schema')
        with pytest.raises(ProviderResponseError) as info:
            make(fake.url).complete(prompt, schema=schema)
    assert "invalid format" in str(info.value)


def test_a_server_that_is_not_ollama_is_named(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start() as fake:
        fake.enqueue_error("chat", 404, "404 page not found")
        with pytest.raises(ProviderUnreachableError) as info:
            make(fake.url).complete(prompt, schema=schema)
    assert "is OLLAMA_HOST an Ollama server?" in str(info.value)


def test_pull_progress_shows_sizes_and_percentages(prompt: Prompt, schema: dict[str, Any]) -> None:
    lines: list[str] = []
    with FakeOllama.start(models={}) as fake:
        make(fake.url, pull=True, progress=lines.append).complete(prompt, schema=schema)
    assert "pulling qwen2.5-coder:7b: 0 B of 4.7 GB (0%)" in lines
    assert "pulling qwen2.5-coder:7b: 4.7 GB of 4.7 GB (100%)" in lines
    assert lines[-1] == "ollama pull qwen2.5-coder:7b: success"
