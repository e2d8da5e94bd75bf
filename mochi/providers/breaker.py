"""A circuit breaker per provider: after repeated failures, stop calling it for a while.

In a long-running process (`mochi serve`, or one review of many chunks) a provider that is down
would otherwise be asked again by every chunk and every review, each waiting for its own
connection error or timeout before the fallback chain moves on. The breaker remembers:

    CLOSED      calls go through; `threshold` consecutive failures OPEN it
    OPEN        calls fail at once with CircuitOpenError (no network call), so a FallbackChain
                goes straight to the next provider; after `cooldown_s` the next call is a trial
    HALF-OPEN   one trial call goes through (others still fail fast); if the server answers the
                breaker CLOSES, if it fails again the breaker OPENS for another `cooldown_s`

What counts (breaker_outcome):

- a failure: the provider's health. ProviderUnreachableError (connection refused, DNS, a timeout)
  and RateLimitedError (429, 5xx, a stream broken mid-answer), after the retries: the breaker
  wraps RetryingProvider, so a call retried three times and failed counts once.
- a sign of life: the server answered, the request itself was the problem. ProviderAuthError,
  ModelNotFoundError and ProviderResponseError (a 400, an answer that is not usable). They reset
  the count and close a half-open breaker. A bad-JSON answer is not even an error here: the
  provider returns the text and the findings parser judges it.
  Auth failures in particular do not open the breaker: a rejected key fails fast on its own (no
  timeout to protect against), its message says what to fix ("set OPENAI_API_KEY"), and the
  breaker is keyed by provider, URL and model, not by key, so a key being refused must not block
  the reviews of the same server that use a valid one.
- neither: anything else (a bug, ^C). A trial call that ends that way leaves the breaker OPEN
  with its cool-down already over, so the next call is the trial.

One breaker per (provider, base URL, model) lives in a BreakerRegistry; build_provider_chain uses
the process's registry (PROCESS_BREAKERS) unless given one, so every review of one server process
shares what it learned. The breaker is thread-safe (chunks are asked concurrently); its clocks are
injectable for tests.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from mochi.errors import (
    ModelNotFoundError,
    ProviderAuthError,
    ProviderResponseError,
    ProviderUnreachableError,
    RateLimitedError,
)
from mochi.models import Completion, Prompt
from mochi.providers.base import Provider

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_THRESHOLD = 3
DEFAULT_COOLDOWN_S = 30.0

Outcome = Literal["failure", "alive", "neutral"]


class CircuitOpenError(ProviderUnreachableError):
    """The provider was not called: its circuit breaker is open (see mochi.providers.breaker).

    A refinement of ProviderUnreachableError (the server was not reached), so the review treats it
    as it treats an unreachable server; `retry_at` is when the breaker lets a trial call through
    (seconds since the epoch).
    """

    def __init__(self, message: str, *, retry_at: float, last_error: str) -> None:
        super().__init__(message)
        self.retry_at = retry_at
        self.last_error = last_error


class State(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


def breaker_outcome(error: BaseException) -> Outcome:
    """What an exception from a provider call says about the provider (module docstring)."""
    if isinstance(error, CircuitOpenError):
        return "neutral"
    if isinstance(error, ProviderUnreachableError | RateLimitedError):
        return "failure"
    if isinstance(error, ProviderAuthError | ModelNotFoundError | ProviderResponseError):
        return "alive"
    return "neutral"


def _stamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class BreakerStatus:
    """One breaker as it is now (for logs, health and metrics)."""

    label: str
    state: State
    failures: int
    last_error: str | None
    opened_at: float | None  # epoch seconds
    retry_at: float | None  # epoch seconds


class CircuitBreaker:
    """The breaker of one provider: CLOSED, OPEN or HALF-OPEN (see the module docstring)."""

    def __init__(
        self,
        label: str,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if threshold < 1:
            raise ValueError("a circuit breaker's threshold is at least 1")
        if cooldown_s < 0:
            raise ValueError("a circuit breaker's cool-down cannot be negative")
        self.label = label
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._lock = threading.Lock()
        self._state = State.CLOSED
        self._failures = 0
        self._last_error: str | None = None
        self._opened_at = 0.0  # self._clock() when it last opened
        self._trial = False  # a half-open trial call is in flight

    @property
    def state(self) -> State:
        with self._lock:
            return self._state

    def status(self) -> BreakerStatus:
        """A consistent snapshot: state, consecutive failures, the last failure, when it opened."""
        with self._lock:
            opened = retry = None
            if self._state is not State.CLOSED:
                opened = self._wall_clock() - (self._clock() - self._opened_at)
                retry = opened + self.cooldown_s
            return BreakerStatus(self.label, self._state, self._failures, self._last_error, opened, retry)

    def call(self, fn: Callable[[], T]) -> T:
        """`fn()` unless the breaker is open (CircuitOpenError); its outcome updates the breaker."""
        trial = self._enter()
        try:
            result = fn()
        except BaseException as exc:
            self._leave(breaker_outcome(exc), trial, exc)
            raise
        self._leave("alive", trial, None)
        return result

    def _enter(self) -> bool:
        """Let a call through (True: it is the half-open trial) or raise CircuitOpenError."""
        with self._lock:
            if self._state is State.CLOSED:
                return False
            now = self._clock()
            if self._state is State.OPEN and now - self._opened_at >= self.cooldown_s:
                self._state = State.HALF_OPEN
                self._trial = True
                logger.info("%s: circuit breaker half-open, trying one call", self.label)
                return True
            raise self._open_error(now)

    def _leave(self, outcome: Outcome, trial: bool, error: BaseException | None) -> None:
        with self._lock:
            if trial:
                self._trial = False
            if outcome == "alive":
                if self._state is not State.CLOSED:
                    logger.info("%s: circuit breaker closed, the provider answers again", self.label)
                self._state = State.CLOSED
                self._failures = 0
                return
            if outcome == "neutral":
                if trial and self._state is State.HALF_OPEN:
                    self._state = State.OPEN  # cool-down already over: the next call is the trial
                return
            self._failures += 1
            self._last_error = str(error)
            reopen = trial and self._state is State.HALF_OPEN
            if reopen or (self._state is State.CLOSED and self._failures >= self.threshold):
                self._state = State.OPEN
                self._opened_at = self._clock()
                logger.warning(
                    "%s: circuit breaker open for %.0fs after %s: %s",
                    self.label,
                    self.cooldown_s,
                    "the trial call failed" if reopen else f"{self._failures} consecutive failures",
                    self._last_error,
                )

    def _open_error(self, now: float) -> CircuitOpenError:
        opened = self._wall_clock() - (now - self._opened_at)
        retry_at = opened + self.cooldown_s
        if self._state is State.HALF_OPEN:
            when = "a trial call is under way"
        else:
            remaining = max(0.0, self._opened_at + self.cooldown_s - now)
            when = f"it will be tried again after {_stamp(retry_at)} (in {remaining:.0f}s)"
        last = self._last_error or "unknown"
        message = (
            f"{self.label} not called: its circuit breaker is open since {_stamp(opened)} after "
            f"{self._failures} consecutive failure{'s' if self._failures != 1 else ''} "
            f"(the last: {last}); {when}"
        )
        return CircuitOpenError(message, retry_at=retry_at, last_error=last)


class BreakerRegistry:
    """One CircuitBreaker per (provider, base URL, model), created on first use; thread-safe."""

    def __init__(
        self,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        cooldown_s: float = DEFAULT_COOLDOWN_S,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._kwargs: dict[str, Any] = {
            "threshold": threshold,
            "cooldown_s": cooldown_s,
            "clock": clock,
            "wall_clock": wall_clock,
        }
        self._lock = threading.Lock()
        self._breakers: dict[tuple[str, str, str], CircuitBreaker] = {}

    def get(self, provider: str, base_url: str, model: str) -> CircuitBreaker:
        """The breaker of `provider` at `base_url` serving `model` (the same object every time)."""
        key = (provider, base_url.rstrip("/"), model)
        with self._lock:
            breaker = self._breakers.get(key)
            if breaker is None:
                breaker = CircuitBreaker(f"{provider}/{model}", **self._kwargs)
                self._breakers[key] = breaker
            return breaker

    def statuses(self) -> list[BreakerStatus]:
        """Every breaker's status, in creation order."""
        with self._lock:
            breakers = list(self._breakers.values())
        return [b.status() for b in breakers]


# The process's breakers: every review built by build_provider_chain in this process shares them.
PROCESS_BREAKERS = BreakerRegistry()


class BreakerProvider:
    """A Provider that asks another one through its circuit breaker."""

    def __init__(self, provider: Provider, breaker: CircuitBreaker) -> None:
        self.inner = provider
        self.name = provider.name
        self.model = provider.model
        self.breaker = breaker

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        """The inner provider's answer, or CircuitOpenError without calling it."""
        return self.breaker.call(lambda: self.inner.complete(prompt, schema=schema))


def with_breaker(provider: Provider, breaker: CircuitBreaker) -> Provider:
    """Wrap `provider` (already wrapped with its retries) in `breaker`."""
    return BreakerProvider(provider, breaker)
