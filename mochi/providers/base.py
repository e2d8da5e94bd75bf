"""The Provider protocol every model backend implements, and the errors shared by the adapters.

A provider turns one Prompt into one Completion. It asks the model for structured output that
matches the review schema (mochi.answer.answer_json_schema()) and returns the model's raw text:
repairing or validating that text is the findings parser's job, not the provider's.

Two refinements of the documented error tree live here because only the retry policy needs to
tell them apart from their parents (they are still caught as their parents everywhere else):

    ProviderUnreachableError
    └── ProviderTimeoutError     the server took the connection but did not answer in time
    RateLimitedError
    └── ServerBusyError          429/5xx, carrying the server's Retry-After when it sent one
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from mochi.errors import (
    ModelNotFoundError,
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnreachableError,
    RateLimitedError,
)
from mochi.models import Completion, Prompt

# The one tool name / schema name the hosted providers are asked to fill in.
REVIEW_TOOL = "submit_review"

# Longest Retry-After we honour: a server asking for an hour is better reported than waited for.
MAX_RETRY_AFTER_S = 60.0


class Provider(Protocol):
    """A model backend: Ollama, an OpenAI-compatible server, Azure OpenAI, Anthropic, ..."""

    name: str  # "ollama", "openai", "azure", "anthropic"
    model: str  # the model (or Azure deployment) that answers

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        """Send prompt.system and prompt.user, asking for output that matches `schema`.

        Returns the model's raw answer text with token counts and duration. Raises
        ProviderUnreachableError, ModelNotFoundError, ProviderAuthError, RateLimitedError or
        ProviderResponseError; messages never contain an API key.
        """
        ...


class ProviderTimeoutError(ProviderUnreachableError):
    """The server accepted the request but did not answer within the timeout."""


class ServerBusyError(RateLimitedError):
    """429 or 5xx: the server is there but will not answer now."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms` / `retry-after` (seconds only; dates are ignored)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        raw = lowered.get(name)
        if raw is None:
            continue
        try:
            value = float(raw) * scale
        except ValueError:
            continue
        if value >= 0:
            return value
    return None


# Key shapes the services echo back in error messages ("Incorrect API key provided: sk-ab***yz").
_KEY_PATTERNS = re.compile(r"(sk-[A-Za-z0-9_*\-]{4,}|sk-ant-[A-Za-z0-9_*\-]{4,}|Bearer\s+\S+)")


def scrub(text: str, *secrets: str | None) -> str:
    """Remove API keys (the given ones, and anything shaped like one) from a server's message."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "****")
    return _KEY_PATTERNS.sub("****", text)


def failure_notice(error: ProviderError, *, explicit: bool) -> str:
    """What the review says when the model pass failed: the provider's own, truthful message.

    Unreachable, a timeout, a server that failed, a model to pull, a rejected key are each
    their provider's message (which names the setting or command that fixes it); only for
    the default Ollama that nobody chose does it add that another provider can be chosen.
    """
    if isinstance(error, ModelNotFoundError):
        return str(error)
    text = f"no LLM pass: {error}"
    unreachable = isinstance(error, ProviderUnreachableError) and not isinstance(error, ProviderTimeoutError)
    if unreachable and not explicit:
        text += " (or choose another provider with --provider)"
    return text


def read_timeout(timeout: object) -> float:
    """The read timeout (seconds) of an httpx/SDK timeout, or of a client holding one (0: unknown)."""
    timeout = getattr(timeout, "timeout", timeout)  # an httpx.Client
    value = getattr(timeout, "read", timeout)  # an httpx.Timeout
    return float(value) if isinstance(value, int | float) else 0.0


def estimate_tokens(text: str) -> int:
    """A rough token count (~3.5 characters a token for code and English), rounded up."""
    return -(-len(text) * 2 // 7)


def _error_object(body: object) -> dict[str, Any] | None:
    # OpenAI's SDK hands over the inner {"message", "code"} object, Anthropic's the whole
    # {"type": "error", "error": {...}} body: accept both.
    if not isinstance(body, dict):
        return None
    inner = body.get("error", body)
    return inner if isinstance(inner, dict) else body


def error_detail(body: object, fallback: str) -> str:
    """The server's own error message from a JSON error body, else `fallback`."""
    obj = _error_object(body)
    if obj is not None and isinstance(obj.get("message"), str):
        return str(obj["message"])
    return fallback


def error_code(body: object) -> str | None:
    """The machine-readable error code (`insufficient_quota`, `overloaded_error`, ...), if any."""
    obj = _error_object(body)
    if obj is None:
        return None
    for key in ("code", "type"):
        if isinstance(obj.get(key), str):
            return str(obj[key])
    return None


def status_error(
    label: str,
    status: int,
    detail: str,
    *,
    key_env: str,
    not_found: str,
    headers: Mapping[str, str] | None,
) -> ProviderError:
    """The error for an HTTP status from a hosted model API (OpenAI, Azure, Anthropic).

    `detail` is the server's message with any key already scrubbed; `not_found` is the whole
    message for a 404 (each service names the model its own way).
    """
    if status in (401, 403):
        # The server's text can quote part of the key: leave it out entirely.
        return ProviderAuthError(f"{label} rejected the API key ({status}): set {key_env} to a valid key")
    if status == 404:
        return ModelNotFoundError(not_found)
    if status in (408, 409, 429) or status >= 500:
        return ServerBusyError(f"{label} answered {status}: {detail}", retry_after=parse_retry_after(headers))
    return ProviderResponseError(f"{label} rejected the request ({status}): {detail}")
