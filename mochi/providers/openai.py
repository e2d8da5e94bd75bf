"""OpenAI and every OpenAI-compatible server (vLLM, LM Studio, ...) through the official SDK.

The base URL (OPENAI_BASE_URL) is the client's business: the composition root builds the client.
Azure OpenAI uses this class too, with an `openai.AzureOpenAI` client (see azure.py).
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import openai

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam
    from openai.types.shared_params import ResponseFormatJSONSchema

from mochi.errors import (
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnreachableError,
)
from mochi.models import Completion, Prompt
from mochi.providers.base import (
    REVIEW_TOOL,
    ProviderTimeoutError,
    error_code,
    error_detail,
    scrub,
    status_error,
)

logger = logging.getLogger(__name__)

# name -> (what to call the service in messages, the environment variable that holds its key)
_SERVICES = {
    "openai": ("OpenAI", "OPENAI_API_KEY"),
    "azure": ("Azure OpenAI", "AZURE_OPENAI_API_KEY"),
}


class OpenAIProvider:
    """Reviews with chat.completions and `response_format` json_schema (strict)."""

    def __init__(
        self,
        client: openai.OpenAI,
        model: str,
        *,
        name: str = "openai",
        temperature: float = 0.1,
        max_output_tokens: int = 2048,
    ) -> None:
        self.name = name
        self.model = model
        self._client = client
        self._temperature = temperature
        self._max_output_tokens = max_output_tokens
        self._label, self._key_env = _SERVICES.get(name, (name, "OPENAI_API_KEY"))

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        """Ask for one chat completion whose content matches `schema`."""
        messages: list[ChatCompletionMessageParam] = []
        if prompt.system:
            messages.append({"role": "system", "content": prompt.system})
        messages.append({"role": "user", "content": prompt.user})
        response_format: ResponseFormatJSONSchema = {
            "type": "json_schema",
            "json_schema": {"name": REVIEW_TOOL, "schema": schema, "strict": True},
        }
        started = time.monotonic()
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                response_format=response_format,
                temperature=self._temperature,
                max_completion_tokens=self._max_output_tokens,
            )
        except openai.OpenAIError as exc:
            raise self._translate(exc) from exc
        elapsed = time.monotonic() - started
        if not response.choices:
            raise ProviderResponseError(f"{self._label} returned no answer for model '{self.model}'")
        choice = response.choices[0]
        content = choice.message.content
        if content is None:
            refusal = getattr(choice.message, "refusal", None)
            raise ProviderResponseError(
                f"{self._label} model '{self.model}' gave no review"
                + (f": it refused ({refusal})" if refusal else f" (finish_reason {choice.finish_reason})")
            )
        if choice.finish_reason == "length":
            logger.warning(
                "%s stopped at max_output_tokens (%d): the answer is cut off",
                self.model,
                self._max_output_tokens,
            )
        usage = response.usage
        return Completion(
            text=content,
            provider=self.name,
            model=self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            duration_s=elapsed,
        )

    def _translate(self, exc: openai.OpenAIError) -> ProviderError:
        """Map the SDK's exceptions; the server's own message is kept, any key in it removed."""
        where = str(self._client.base_url).rstrip("/")
        if isinstance(exc, openai.APITimeoutError):
            return ProviderTimeoutError(
                f"{self._label} at {where} did not answer in time: try again, or raise timeout_s "
                "(MOCHI_TIMEOUT_S)"
            )
        if isinstance(exc, openai.APIConnectionError):
            return ProviderUnreachableError(
                f"{self._label} is not reachable at {where}: check the network"
                + (" or OPENAI_BASE_URL" if self.name == "openai" else " or AZURE_OPENAI_ENDPOINT")
            )
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            detail = scrub(error_detail(exc.body, exc.message), self._client.api_key)
            if status == 429 and error_code(exc.body) == "insufficient_quota":
                return ProviderAuthError(
                    f"{self._label} says the account's quota is used up: check the plan and billing "
                    f"of the key in {self._key_env}"
                )
            return status_error(
                self._label,
                status,
                detail,
                key_env=self._key_env,
                not_found=f"model '{self.model}' is not available at {self._label} ({where}): {detail}. "
                "Check --model" + (" (the Azure deployment name)" if self.name == "azure" else ""),
                headers=exc.response.headers,
            )
        return ProviderResponseError(f"{self._label} sent an answer mochi cannot read: {exc}")
