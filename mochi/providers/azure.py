"""Azure OpenAI: the OpenAI provider over an `openai.AzureOpenAI` client; the model is a deployment."""

from __future__ import annotations

import openai

from mochi.providers.openai import OpenAIProvider
from mochi.providers.stream import Progress


def azure_client(
    *, endpoint: str, api_key: str, api_version: str, timeout_s: float, max_retries: int = 0
) -> openai.AzureOpenAI:
    """An Azure OpenAI client; retries are off because mochi's retry wrapper does them."""
    return openai.AzureOpenAI(
        azure_endpoint=endpoint,
        api_key=api_key,
        api_version=api_version,
        timeout=openai.Timeout(timeout_s, connect=min(10.0, timeout_s)),
        max_retries=max_retries,
    )


class AzureOpenAIProvider(OpenAIProvider):
    """Reviews with an Azure OpenAI deployment (`/openai/deployments/{deployment}/chat/completions`)."""

    def __init__(
        self,
        client: openai.AzureOpenAI,
        deployment: str,
        *,
        temperature: float = 0.1,
        max_output_tokens: int = 2048,
        timeout_s: float | None = None,
        progress: Progress | None = None,
        heartbeat_s: float = 15.0,
    ) -> None:
        super().__init__(
            client,
            deployment,
            name="azure",
            temperature=temperature,
            max_output_tokens=max_output_tokens,
            timeout_s=timeout_s,
            progress=progress,
            heartbeat_s=heartbeat_s,
        )
