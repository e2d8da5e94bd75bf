"""A fallback chain: ask each provider in turn until one answers."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from mochi.errors import ProviderError
from mochi.models import Completion, Prompt
from mochi.providers.base import Provider
from mochi.providers.breaker import CircuitOpenError

logger = logging.getLogger(__name__)


class FallbackChain:
    """A Provider that tries each provider in order; the Completion says which one answered.

    `name` and `model` are the first provider's. When every provider fails, the last error's class
    is raised with a message that lists each provider's failure, so the exit status still says
    what went wrong last and the message says what went wrong everywhere. A provider skipped
    because its circuit breaker is open (CircuitOpenError) is named as such in the notice.
    """

    def __init__(
        self,
        providers: Sequence[Provider],
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        if not providers:
            raise ValueError("a fallback chain needs at least one provider")
        self.providers = tuple(providers)
        self.name = self.providers[0].name
        self.model = self.providers[0].model
        self._on_fallback = on_fallback

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        """The first provider's answer that does not fail."""
        failures: list[tuple[Provider, ProviderError]] = []
        for index, provider in enumerate(self.providers):
            try:
                return provider.complete(prompt, schema=schema)
            except ProviderError as exc:
                failures.append((provider, exc))
                if index + 1 < len(self.providers):
                    following = self.providers[index + 1]
                    target = f"{following.name}/{following.model}"
                    if isinstance(exc, CircuitOpenError):
                        # its message says so: "<provider> not called: its circuit breaker is open..."
                        notice = f"{exc}; falling back to {target}"
                    else:
                        notice = f"{provider.name}/{provider.model} failed ({exc}); falling back to {target}"
                    if self._on_fallback is not None:
                        self._on_fallback(notice)
                    else:
                        logger.warning("%s", notice)
        if len(failures) == 1:
            raise failures[0][1]
        last = failures[-1][1]
        lines = "\n".join(f"  - {p.name}/{p.model}: {e}" for p, e in failures)
        raise type(last)(f"every provider failed:\n{lines}") from last
