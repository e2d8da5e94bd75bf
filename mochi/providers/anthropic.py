"""Anthropic's Messages API through the official SDK.

Structured output comes from one forced tool: the model must call `submit_review` with the review
as the tool's input, which the schema constrains. The Completion's text is that input as JSON.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import anthropic

from mochi.errors import (
    ProviderError,
    ProviderResponseError,
    ProviderUnreachableError,
)
from mochi.models import Completion, Prompt
from mochi.providers.base import (
    REVIEW_TOOL,
    ProviderTimeoutError,
    error_detail,
    scrub,
    status_error,
)

logger = logging.getLogger(__name__)

_TOOL_DESCRIPTION = "Submit the code review: the inline comments and the overall summary."


class AnthropicProvider:
    """Reviews with a Claude model, the review forced through the `submit_review` tool."""

    name = "anthropic"

    def __init__(
        self,
        client: anthropic.Anthropic,
        model: str,
        *,
        temperature: float | None = None,
        max_output_tokens: int = 2048,
    ) -> None:
        self.model = model
        self._client = client
        # The v2 SDK's messages.create has no temperature: it is sent as an extra body field so
        # the user's setting still applies.
        self._temperature = temperature
        self._max_output_tokens = max_output_tokens

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        """Ask for one message that calls `submit_review` with input matching `schema`."""
        extra_body = {"temperature": self._temperature} if self._temperature is not None else None
        started = time.monotonic()
        try:
            message = self._client.messages.create(
                model=self.model,
                max_tokens=self._max_output_tokens,
                system=prompt.system or anthropic.omit,
                messages=[{"role": "user", "content": prompt.user}],
                tools=[{"name": REVIEW_TOOL, "description": _TOOL_DESCRIPTION, "input_schema": schema}],
                tool_choice={"type": "tool", "name": REVIEW_TOOL},
                extra_body=extra_body,
            )
        except anthropic.AnthropicError as exc:
            raise self._translate(exc) from exc
        elapsed = time.monotonic() - started
        text = _answer_text(message.content)
        if text is None:
            raise ProviderResponseError(
                f"Anthropic model '{self.model}' gave no review (stop_reason {message.stop_reason})"
            )
        if message.stop_reason == "max_tokens":
            logger.warning(
                "%s stopped at max_output_tokens (%d): the answer is cut off",
                self.model,
                self._max_output_tokens,
            )
        return Completion(
            text=text,
            provider=self.name,
            model=self.model,
            prompt_tokens=message.usage.input_tokens,
            completion_tokens=message.usage.output_tokens,
            duration_s=elapsed,
            finish_reason=message.stop_reason,
        )

    def _translate(self, exc: anthropic.AnthropicError) -> ProviderError:
        """Map the SDK's exceptions; the server's own message is kept, any key in it removed."""
        where = str(self._client.base_url).rstrip("/")
        if isinstance(exc, anthropic.APITimeoutError):
            return ProviderTimeoutError(
                f"Anthropic at {where} did not answer in time: try again, or raise timeout_s "
                "(MOCHI_TIMEOUT_S)"
            )
        if isinstance(exc, anthropic.APIConnectionError):
            return ProviderUnreachableError(
                f"Anthropic is not reachable at {where}: check the network or ANTHROPIC_BASE_URL"
            )
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            detail = scrub(error_detail(exc.body, exc.message), self._client.api_key)
            return status_error(
                "Anthropic",
                status,
                detail,
                key_env="ANTHROPIC_API_KEY",
                not_found=f"model '{self.model}' is not available at Anthropic: {detail}. Check --model",
                headers=exc.response.headers,
            )
        return ProviderResponseError(f"Anthropic sent an answer mochi cannot read: {exc}")


def _answer_text(blocks: Any) -> str | None:
    """The forced tool's input as JSON; the text blocks when the model answered in prose."""
    for block in blocks:
        if getattr(block, "type", None) == "tool_use" and getattr(block, "name", None) == REVIEW_TOOL:
            return json.dumps(block.input)
    texts = [block.text for block in blocks if getattr(block, "type", None) == "text"]
    return "".join(texts) if texts else None
