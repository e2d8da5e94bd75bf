"""Building providers from Settings, as the CLI does: keys, URLs and timeouts from the environment."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from mochi.errors import ConfigError, ProviderUnreachableError
from mochi.models import Prompt
from mochi.providers.registry import PROVIDERS, build_provider_chain, parse_provider_spec
from mochi.settings import Settings, load
from tests.fakes.llm_servers import FakeAnthropic, FakeOllama, FakeOpenAI
from tests.providers.conftest import ANTHROPIC_KEY, API_KEY, SleepRecorder


def settings_from(env: dict[str, str]) -> Settings:
    return load(env)[0]


def test_the_default_is_ollama_with_its_default_model() -> None:
    provider = build_provider_chain(Settings())
    assert (provider.name, provider.model) == ("ollama", "qwen2.5-coder:7b")


def test_primary_failing_falls_back_to_the_next(
    prompt: Prompt, schema: dict[str, Any], sleeps: SleepRecorder
) -> None:
    notices: list[str] = []
    with FakeOpenAI.start() as openai_fake, FakeOllama.start() as ollama_fake:
        for _ in range(3):
            openai_fake.enqueue_error(503, "The engine is currently overloaded")
        ollama_fake.enqueue_chat('{"comments": []}')
        settings = settings_from(
            {
                "MOCHI_PROVIDER": "openai",
                "OPENAI_API_KEY": API_KEY,
                "OPENAI_BASE_URL": f"{openai_fake.url}/v1",
                "MOCHI_FALLBACK": "ollama:qwen2.5-coder:7b",
                "OLLAMA_HOST": ollama_fake.url,
                "MOCHI_MAX_RETRIES": "1",
            }
        )
        chain = build_provider_chain(settings, on_fallback=notices.append, sleep=sleeps)
        completion = chain.complete(prompt, schema=schema)
        assert len(openai_fake.requests) == 2  # first try + one retry
    assert (chain.name, chain.model) == ("openai", "gpt-4o-mini")
    assert (completion.provider, completion.model) == ("ollama", "qwen2.5-coder:7b")
    assert len(notices) == 1


def test_timeout_comes_from_the_settings(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOllama.start() as fake:
        fake.enqueue_chat("{}", delay=5.0)
        settings = settings_from(
            {"OLLAMA_HOST": fake.url, "MOCHI_TIMEOUT_S": "0.3", "MOCHI_MAX_RETRIES": "0"}
        )
        started = time.monotonic()
        with pytest.raises(ProviderUnreachableError):
            build_provider_chain(settings).complete(prompt, schema=schema)
    assert time.monotonic() - started < 2.0


def test_azure_from_the_environment(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeOpenAI.start() as fake:
        settings = settings_from(
            {
                "MOCHI_PROVIDER": "azure",
                "MOCHI_MODEL": "review-4o",
                "AZURE_OPENAI_ENDPOINT": fake.url,
                "AZURE_OPENAI_API_KEY": API_KEY,
            }
        )
        completion = build_provider_chain(settings).complete(prompt, schema=schema)
        (request,) = fake.requests
    assert request.path == "/openai/deployments/review-4o/chat/completions"
    assert request.query["api-version"] == settings.providers.azure_openai_api_version
    assert (completion.provider, completion.model) == ("azure", "review-4o")


def test_anthropic_from_the_environment(prompt: Prompt, schema: dict[str, Any]) -> None:
    with FakeAnthropic.start() as fake:
        settings = settings_from(
            {
                "MOCHI_PROVIDER": "anthropic",
                "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
                "ANTHROPIC_BASE_URL": fake.url,
            }
        )
        completion = build_provider_chain(settings).complete(prompt, schema=schema)
        assert len(fake.requests) == 1
    assert (completion.provider, completion.model) == ("anthropic", "claude-3-5-haiku-latest")


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"MOCHI_PROVIDER": "openai"}, ["OPENAI_API_KEY"]),
        ({"MOCHI_PROVIDER": "anthropic"}, ["ANTHROPIC_API_KEY"]),
        ({"MOCHI_PROVIDER": "azure"}, ["AZURE_OPENAI_API_KEY", "AZURE_OPENAI_ENDPOINT"]),
        ({"MOCHI_PROVIDER": "azure", "AZURE_OPENAI_API_KEY": "k"}, ["AZURE_OPENAI_ENDPOINT"]),
        ({"MOCHI_FALLBACK": "anthropic"}, ["ANTHROPIC_API_KEY"]),
    ],
)
def test_a_missing_key_names_the_variable(env: dict[str, str], names: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        build_provider_chain(settings_from(env))
    for name in names:
        assert name in str(info.value)


def test_an_openai_compatible_server_needs_no_key() -> None:
    settings = settings_from({"MOCHI_PROVIDER": "openai", "OPENAI_BASE_URL": "http://127.0.0.1:8000/v1"})
    assert build_provider_chain(settings).name == "openai"


@pytest.mark.parametrize("env", [{"MOCHI_PROVIDER": "gemini"}, {"MOCHI_FALLBACK": "openai,gemini:pro"}])
def test_an_unknown_provider_lists_the_known_ones(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as info:
        build_provider_chain(settings_from({"OPENAI_API_KEY": API_KEY, **env}))
    assert "gemini" in str(info.value)
    for name in PROVIDERS:
        assert name in str(info.value)


def test_fallback_specs() -> None:
    assert parse_provider_spec("ollama:qwen2.5-coder:7b") == ("ollama", "qwen2.5-coder:7b")
    assert parse_provider_spec("openai") == ("openai", "gpt-4o-mini")
    assert parse_provider_spec(" Anthropic:claude-sonnet-4-5 ") == ("anthropic", "claude-sonnet-4-5")


def test_importing_the_registry_loads_no_sdk() -> None:
    code = (
        "import sys, mochi.providers.registry; "
        "sdks = ('openai', 'anthropic', 'ollama', 'tenacity', 'httpx'); "
        "print(','.join(m for m in sdks if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""
