"""One retry policy for every provider: exponential backoff with jitter, Retry-After honoured.

What is retried, and how often:

- RateLimitedError (429, 5xx, a failure mid-answer): up to `max_retries` times. A server that
  sent Retry-After is waited for that long (at most MAX_RETRY_AFTER_S), never less.
- ProviderTimeoutError: never. Answers are streamed and `timeout_s` is the longest silence
  between tokens, so a timeout is a server that has stopped working on the request; asking again
  would repeat minutes of work (or of waiting). The message names the setting to raise.
- ProviderUnreachableError otherwise (connection refused, DNS): once at most. A local Ollama
  that is not running will not start in the next few seconds; fail fast and say so.
- Everything else (auth, model not found, a bad request): never.

The SDK clients are built with their own retries off so the policy is the same everywhere.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mochi.errors import ProviderError, ProviderUnreachableError, RateLimitedError
from mochi.models import Completion, Prompt
from mochi.providers.base import MAX_RETRY_AFTER_S, Provider, ProviderTimeoutError, ServerBusyError

if TYPE_CHECKING:
    from tenacity import RetryCallState

logger = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
_UNREACHABLE_RETRIES = 1


def retries_allowed(error: BaseException, max_retries: int) -> int:
    """How many retries `error` deserves under the policy above."""
    if isinstance(error, ProviderTimeoutError):
        return 0
    if isinstance(error, RateLimitedError):
        return max_retries
    if isinstance(error, ProviderUnreachableError):
        return min(max_retries, _UNREACHABLE_RETRIES)
    return 0


class RetryingProvider:
    """A Provider that retries another one's transient failures."""

    def __init__(
        self,
        provider: Provider,
        *,
        max_retries: int,
        sleep: Callable[[float], None] = time.sleep,
        base_delay: float = 1.0,
    ) -> None:
        self.inner = provider
        self.name = provider.name
        self.model = provider.model
        self._max_retries = max_retries
        self._sleep = sleep
        self._base_delay = base_delay

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        """The inner provider's answer, after as many retries as its errors deserve."""
        # tenacity is imported here: `mochi --version` must not pay for it.
        from tenacity import Retrying, retry_if_exception_type, wait_random_exponential

        backoff = wait_random_exponential(multiplier=self._base_delay, max=MAX_BACKOFF_S)

        def stop(state: RetryCallState) -> bool:
            error = state.outcome.exception() if state.outcome else None
            if error is None:
                return True
            return state.attempt_number > retries_allowed(error, self._max_retries)

        def wait(state: RetryCallState) -> float:
            delay = backoff(state)
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, ServerBusyError) and error.retry_after is not None:
                delay = max(delay, min(error.retry_after, MAX_RETRY_AFTER_S))
            return float(delay)

        def log(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            delay = state.next_action.sleep if state.next_action else 0.0
            # INFO, not WARNING: the final outcome is what the user must see, once.
            logger.info(
                "%s/%s failed (%s); retry %d in %.1fs",
                self.name,
                self.model,
                error,
                state.attempt_number,
                delay,
            )

        retrying = Retrying(
            retry=retry_if_exception_type(ProviderError),
            stop=stop,
            wait=wait,
            sleep=self._sleep,
            before_sleep=log,
            reraise=True,
        )
        result: Completion = retrying(self.inner.complete, prompt, schema=schema)
        return result


def with_retries(
    provider: Provider,
    *,
    max_retries: int,
    sleep: Callable[[float], None] = time.sleep,
    base_delay: float = 1.0,
) -> Provider:
    """Wrap `provider` so transient errors are retried (see the module docstring for the policy)."""
    if max_retries <= 0:
        return provider
    return RetryingProvider(provider, max_retries=max_retries, sleep=sleep, base_delay=base_delay)
