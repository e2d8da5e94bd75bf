"""The provider registry: a literal dict of builders, and the chain the CLI reviews with.

Only cli.py (the composition root) calls these: each builder constructs the official client from
the Settings (host, base URL, key, timeout) and hands it to the provider. The SDKs are imported
inside the builders so importing this module stays cheap (`mochi --version`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mochi.errors import ConfigError
from mochi.extras import require
from mochi.providers.base import Provider
from mochi.providers.breaker import PROCESS_BREAKERS, BreakerRegistry, with_breaker
from mochi.providers.chain import FallbackChain
from mochi.providers.retry import with_retries
from mochi.providers.stream import Progress
from mochi.settings import DEFAULT_MODELS, Settings

# A connection that cannot be made in this long will not be made by waiting longer.
CONNECT_TIMEOUT_S = 10.0


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def build_ollama(settings: Settings, model: str, progress: Progress | None = None) -> Provider:
    """Ollama at settings.providers.ollama_host (OLLAMA_HOST); no key needed."""
    import httpx
    import ollama

    from mochi.providers.ollama import OllamaProvider

    timeout = httpx.Timeout(
        settings.providers.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.providers.timeout_s)
    )
    client = ollama.Client(host=settings.providers.ollama_host, timeout=timeout)
    return OllamaProvider(
        client,
        model,
        host=settings.providers.ollama_host,
        num_ctx=settings.providers.num_ctx,
        temperature=settings.providers.temperature,
        max_output_tokens=settings.providers.max_output_tokens,
        pull=settings.providers.pull,
        timeout_s=settings.providers.timeout_s,
        progress=progress,
        heartbeat_s=settings.providers.heartbeat_s,
    )


def build_openai(settings: Settings, model: str, progress: Progress | None = None) -> Provider:
    """OpenAI, or any OpenAI-compatible server when OPENAI_BASE_URL is set (then a key is optional)."""
    key = _secret(settings.providers.openai_api_key)
    if key is None and settings.providers.openai_base_url is None:
        raise ConfigError(
            "the openai provider needs an API key: set OPENAI_API_KEY (or OPENAI_BASE_URL for an "
            "OpenAI-compatible server such as vLLM or LM Studio)"
        )
    require("openai", "openai", "the openai provider")
    import openai

    from mochi.providers.openai import OpenAIProvider

    client = openai.OpenAI(
        # Local OpenAI-compatible servers ignore the key, but the SDK insists on one.
        api_key=key or "unused",
        base_url=settings.providers.openai_base_url or "https://api.openai.com/v1",
        timeout=openai.Timeout(
            settings.providers.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.providers.timeout_s)
        ),
        max_retries=0,
    )
    return OpenAIProvider(
        client,
        model,
        name="openai",
        temperature=settings.providers.temperature,
        max_output_tokens=settings.providers.max_output_tokens,
        timeout_s=settings.providers.timeout_s,
        progress=progress,
        heartbeat_s=settings.providers.heartbeat_s,
    )


def build_azure(settings: Settings, model: str, progress: Progress | None = None) -> Provider:
    """Azure OpenAI: AZURE_OPENAI_ENDPOINT + AZURE_OPENAI_API_KEY; the model is the deployment name."""
    key = _secret(settings.providers.azure_openai_api_key)
    endpoint = settings.providers.azure_openai_endpoint
    missing = [
        name
        for name, value in (("AZURE_OPENAI_API_KEY", key), ("AZURE_OPENAI_ENDPOINT", endpoint))
        if not value
    ]
    if missing:
        raise ConfigError(f"the azure provider needs {' and '.join(missing)}: set them in the environment")
    assert key is not None and endpoint is not None
    require("openai", "openai", "the azure provider")
    from mochi.providers.azure import AzureOpenAIProvider, azure_client

    client = azure_client(
        endpoint=endpoint,
        api_key=key,
        api_version=settings.providers.azure_openai_api_version,
        timeout_s=settings.providers.timeout_s,
    )
    return AzureOpenAIProvider(
        client,
        model,
        temperature=settings.providers.temperature,
        max_output_tokens=settings.providers.max_output_tokens,
        timeout_s=settings.providers.timeout_s,
        progress=progress,
        heartbeat_s=settings.providers.heartbeat_s,
    )


def build_anthropic(settings: Settings, model: str, progress: Progress | None = None) -> Provider:
    """Anthropic: ANTHROPIC_API_KEY, and ANTHROPIC_BASE_URL for a gateway."""
    key = _secret(settings.providers.anthropic_api_key)
    if key is None:
        raise ConfigError("the anthropic provider needs an API key: set ANTHROPIC_API_KEY")
    require("anthropic", "anthropic", "the anthropic provider")
    import anthropic

    from mochi.providers.anthropic import AnthropicProvider

    client = anthropic.Anthropic(
        api_key=key,
        base_url=settings.providers.anthropic_base_url or "https://api.anthropic.com",
        timeout=anthropic.Timeout(
            settings.providers.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.providers.timeout_s)
        ),
        max_retries=0,
    )
    return AnthropicProvider(
        client,
        model,
        temperature=settings.providers.temperature,
        max_output_tokens=settings.providers.max_output_tokens,
    )


PROVIDERS: dict[str, Callable[[Settings, str, Progress | None], Provider]] = {
    "ollama": build_ollama,
    "openai": build_openai,
    "azure": build_azure,
    "anthropic": build_anthropic,
}


def parse_provider_spec(spec: str) -> tuple[str, str]:
    """`openai:gpt-4o-mini` -> ("openai", "gpt-4o-mini"); `openai` -> its default model.

    Only the first colon splits: `ollama:qwen2.5-coder:7b` keeps its tag.
    """
    name, _, model = spec.strip().partition(":")
    name = name.strip().lower()
    _check_known(name, spec)
    return name, model.strip() or DEFAULT_MODELS.get(name, "")


def _check_known(name: str, spec: str) -> None:
    if name not in PROVIDERS:
        known = ", ".join(sorted(PROVIDERS))
        raise ConfigError(f"unknown provider '{spec}': the known providers are {known}")


def build_provider(settings: Settings, name: str, model: str, progress: Progress | None = None) -> Provider:
    """One provider, by registry name; `progress` gets its heartbeat and pull progress lines."""
    _check_known(name, name)
    return PROVIDERS[name](settings, model, progress)


def base_url(settings: Settings, name: str) -> str:
    """Where provider `name` is asked: its circuit breaker's key, with the provider and model."""
    p = settings.providers
    urls = {
        "ollama": p.ollama_host,
        "openai": p.openai_base_url or "https://api.openai.com/v1",
        "azure": p.azure_openai_endpoint or "",
        "anthropic": p.anthropic_base_url or "https://api.anthropic.com",
    }
    return str(urls.get(name) or "")


def build_provider_chain(
    settings: Settings,
    *,
    on_fallback: Callable[[str], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    progress: Progress | None = None,
    breakers: BreakerRegistry | None = None,
) -> Provider:
    """The primary provider, then each `settings.providers.fallback` entry.

    Each is wrapped with its retries, and around them its circuit breaker (a call retried and
    failed counts once) from `breakers`: by default the process's registry (PROCESS_BREAKERS), so
    every review in one `mochi serve` shares one breaker per (provider, base URL, model). A single
    provider is returned without a chain around it. `sleep` is for tests.
    """
    specs = [(settings.effective_provider, settings.effective_model)]
    specs += [parse_provider_spec(spec) for spec in settings.providers.fallback]
    retry_kwargs: dict[str, Any] = {"max_retries": settings.providers.max_retries}
    if sleep is not None:
        retry_kwargs["sleep"] = sleep
    registry = breakers if breakers is not None else PROCESS_BREAKERS
    providers = [
        with_breaker(
            with_retries(build_provider(settings, name, model, progress), **retry_kwargs),
            registry.get(name, base_url(settings, name), model),
        )
        for name, model in specs
    ]
    if len(providers) == 1:
        return providers[0]
    return FallbackChain(providers, on_fallback=on_fallback)
