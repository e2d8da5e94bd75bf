"""OpenAI and every OpenAI-compatible server (vLLM, LM Studio, ...) through the official SDK.

The base URL (OPENAI_BASE_URL) is the client's business: the composition root builds the client.
Azure OpenAI uses this class too, with an `openai.AzureOpenAI` client (see azure.py).
"""

from __future__ import annotations

import logging
import re
import time
from typing import TYPE_CHECKING, Any

import httpx
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
    ServerBusyError,
    error_code,
    error_detail,
    read_timeout,
    scrub,
    status_error,
)
from mochi.providers.server_info import ServerInfo, is_openai
from mochi.providers.stream import Progress, StreamWatch

logger = logging.getLogger(__name__)

# What servers without streaming say when asked to stream (then the answer is asked for whole)
_STREAM_REFUSED = re.compile(
    r"stream(ing)? (is )?not supported|does not support stream|unsupported.*stream", re.I
)

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
        timeout_s: float | None = None,
        stream: bool = True,
        progress: Progress | None = None,
        heartbeat_s: float = 15.0,
    ) -> None:
        self.name = name
        self.model = model
        self._client = client
        self._temperature = temperature
        self._max_output_tokens = max_output_tokens
        self._timeout_s = timeout_s if timeout_s is not None else read_timeout(client.timeout)
        self._stream = stream
        self._progress = progress
        self._heartbeat_s = heartbeat_s
        self._info: ServerInfo | None = None
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
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "response_format": response_format,
            "temperature": self._temperature,
            "max_completion_tokens": self._max_output_tokens,
        }
        if self._stream:
            try:
                return self._streamed(request)
            except ProviderResponseError as exc:
                if not _STREAM_REFUSED.search(str(exc)):
                    raise
                # A server without streaming (some local OpenAI-compatible ones): ask it whole
                logger.info("%s does not stream (%s); asking without streaming", self._where, exc)
                self._stream = False
        return self._whole(request)

    def _streamed(self, request: dict[str, Any]) -> Completion:
        parts: list[str] = []
        refusal: list[str] = []
        finish: str | None = None
        usage: Any = None
        watch = StreamWatch(f"{self.name}/{self.model}", self._progress, interval_s=self._heartbeat_s)
        try:
            with watch:
                stream = self._client.chat.completions.create(
                    **request, stream=True, stream_options={"include_usage": True}
                )
                for chunk in stream:
                    usage = chunk.usage or usage
                    for choice in chunk.choices[:1]:
                        piece = choice.delta.content if choice.delta else None
                        if piece:
                            parts.append(piece)
                            watch.token()
                        if choice.delta and getattr(choice.delta, "refusal", None):
                            refusal.append(str(choice.delta.refusal))
                        finish = choice.finish_reason or finish
        except (openai.OpenAIError, httpx.HTTPError) as exc:
            raise self._translate(exc) from exc
        timing = watch.timing(usage.completion_tokens if usage else None)
        if finish is None:
            raise ServerBusyError(
                f"{self._label} at {self._where} stopped answering mid-way ({len(parts)} pieces, no end)"
            )
        return self._completion(
            "".join(parts) if parts or not refusal else None,
            finish,
            "".join(refusal) or None,
            usage,
            timing.duration_s,
            first_token_s=timing.first_token_s,
            tokens_per_s=timing.tokens_per_s,
        )

    def _whole(self, request: dict[str, Any]) -> Completion:
        started = time.monotonic()
        watch = StreamWatch(
            f"{self.name}/{self.model}", self._progress, interval_s=self._heartbeat_s, streamed=False
        )
        try:
            with watch:
                response = self._client.chat.completions.create(**request)
        except openai.OpenAIError as exc:
            raise self._translate(exc) from exc
        elapsed = time.monotonic() - started
        if not response.choices:
            raise ProviderResponseError(f"{self._label} returned no answer for model '{self.model}'")
        choice = response.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        message = choice.message
        return self._completion(message.content, choice.finish_reason, refusal, response.usage, elapsed)

    def _completion(
        self,
        content: str | None,
        finish_reason: str | None,
        refusal: str | None,
        usage: Any,
        elapsed: float,
        **timing: float | None,
    ) -> Completion:
        if content is None:
            raise ProviderResponseError(
                f"{self._label} model '{self.model}' gave no review"
                + (f": it refused ({refusal})" if refusal else f" (finish_reason {finish_reason})")
            )
        if finish_reason == "length":
            logger.warning(
                "%s stopped at max_output_tokens (%d): the answer is cut off",
                self.model,
                self._max_output_tokens,
            )
        return Completion(
            text=content,
            provider=self.name,
            model=self.model,
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            duration_s=elapsed,
            finish_reason=finish_reason,
            **timing,
        )

    @property
    def _where(self) -> str:
        return str(self._client.base_url).rstrip("/")

    @property
    def base_url(self) -> str:
        """Where the model is served (mochi.budget: a local server answers one request at a time)."""
        return self._where

    def server_info(self) -> ServerInfo | None:
        """The server's own view of the model (window, token count): self-hosted servers only."""
        if self.name != "openai" or is_openai(self._where):
            return None
        if self._info is None:
            key = self._client.api_key
            self._info = ServerInfo(self._where, self.model, api_key=key if key != "unused" else None)
        return self._info

    def context_length(self) -> int | None:
        """The window a self-hosted server reports (llama.cpp, vLLM, LM Studio...), else None."""
        info = self.server_info()
        return info.window()[0] if info is not None else None

    def _translate(self, exc: openai.OpenAIError | httpx.HTTPError) -> ProviderError:
        """Map the SDK's exceptions; the server's own message is kept, any key in it removed."""
        where = self._where
        if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
            return ProviderTimeoutError(
                f"{self._label} at {where} is up but sent nothing for {self._timeout_s:g} s ({self.model}): "
                "raise timeout_s (MOCHI_TIMEOUT_S; the longest wait for the next token, the first one "
                "included), or use a smaller model"
            )
        if isinstance(exc, httpx.HTTPError):
            # raised while reading the stream: the server dropped the connection mid-answer
            return ServerBusyError(f"{self._label} at {where} closed the connection while answering ({exc})")
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
        if isinstance(exc, openai.APIError) and exc.body is not None:
            # an error event in the middle of the stream: the server is up, and it failed
            detail = scrub(error_detail(exc.body, exc.message), self._client.api_key)
            return ServerBusyError(f"{self._label} at {where} failed while answering: {detail}")
        return ProviderResponseError(f"{self._label} sent an answer mochi cannot read: {exc}")
