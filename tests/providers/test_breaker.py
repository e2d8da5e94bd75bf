"""The circuit breaker per provider, against loopback fakes: what opens it, what it spares, when it closes.

The providers are the real ones built from Settings by build_provider_chain (retries included);
only the clock is a fake, so a 30 s cool-down passes in no time.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mochi.errors import ProviderAuthError, ProviderResponseError, ProviderUnreachableError, RateLimitedError
from mochi.models import Prompt
from mochi.providers.base import Provider, ProviderTimeoutError, ServerBusyError
from mochi.providers.breaker import (
    BreakerRegistry,
    CircuitBreaker,
    CircuitOpenError,
    State,
    breaker_outcome,
)
from mochi.providers.registry import build_provider_chain
from mochi.settings import load
from tests.fakes.llm_servers import FakeOllama, FakeOpenAI
from tests.providers.conftest import API_KEY, SleepRecorder

EPOCH = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC


class FakeClock:
    """Monotonic and wall time that move only when the test says so."""

    def __init__(self) -> None:
        self.elapsed = 0.0

    def monotonic(self) -> float:
        return self.elapsed

    def wall(self) -> float:
        return EPOCH + self.elapsed

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breakers(clock: FakeClock) -> BreakerRegistry:
    return BreakerRegistry(threshold=3, cooldown_s=30.0, clock=clock.monotonic, wall_clock=clock.wall)


def openai_then_ollama(
    openai_url: str,
    ollama_url: str,
    breakers: BreakerRegistry,
    notices: list[str] | None = None,
    *,
    retries: int = 1,
    key: str = API_KEY,
) -> Provider:
    settings = load(
        {
            "MOCHI_PROVIDER": "openai",
            "OPENAI_API_KEY": key,
            "OPENAI_BASE_URL": f"{openai_url}/v1",
            "MOCHI_FALLBACK": "ollama:qwen2.5-coder:7b",
            "OLLAMA_HOST": ollama_url,
            "MOCHI_MAX_RETRIES": str(retries),
        }
    )[0]
    on_fallback = notices.append if notices is not None else None
    return build_provider_chain(settings, on_fallback=on_fallback, sleep=SleepRecorder(), breakers=breakers)


def only_openai(url: str, breakers: BreakerRegistry, *, key: str = API_KEY) -> Provider:
    settings = load(
        {
            "MOCHI_PROVIDER": "openai",
            "OPENAI_API_KEY": key,
            "OPENAI_BASE_URL": f"{url}/v1",
            "MOCHI_MAX_RETRIES": "0",
        }
    )[0]
    return build_provider_chain(settings, breakers=breakers)


def chats(fake: FakeOpenAI) -> int:
    return len(fake.requests_to("/v1/chat/completions"))


def test_failures_open_it_and_the_chain_answers_from_the_fallback_without_asking(
    prompt: Prompt, schema: dict[str, Any], breakers: BreakerRegistry, clock: FakeClock
) -> None:
    notices: list[str] = []
    with FakeOpenAI.start() as primary, FakeOllama.start() as fallback:
        for _ in range(6):
            primary.enqueue_error(500, "The server had an error while processing your request")
        chain = openai_then_ollama(primary.url, fallback.url, breakers, notices)
        for _ in range(3):
            assert chain.complete(prompt, schema=schema).provider == "ollama"
        # three calls, each retried once: a retried-and-failed call counts once
        assert chats(primary) == 6
        breaker = breakers.get("openai", f"{primary.url}/v1", "gpt-4o-mini")
        assert breaker.state is State.OPEN

        clock.advance(12)
        completion = chain.complete(prompt, schema=schema)
        assert chats(primary) == 6  # not asked at all
        assert len(fallback.requests_to("/api/chat")) == 4
    assert (completion.provider, completion.model) == ("ollama", "qwen2.5-coder:7b")
    assert len(notices) == 4
    assert "circuit breaker" not in notices[0]
    notice = notices[-1]
    assert notice.startswith("openai/gpt-4o-mini not called: its circuit breaker is open since ")
    assert "2025-06-15 15:06:40 UTC after 3 consecutive failures" in notice
    assert "The server had an error while processing your request" in notice  # why: the last failure
    assert "tried again after 2025-06-15 15:07:10 UTC (in 18s)" in notice
    assert notice.endswith("falling back to ollama/qwen2.5-coder:7b")


def test_an_unreachable_server_opens_it(
    prompt: Prompt, schema: dict[str, Any], breakers: BreakerRegistry, dead_url: str
) -> None:
    notices: list[str] = []
    with FakeOllama.start() as fallback:
        chain = openai_then_ollama(dead_url, fallback.url, breakers, notices)
        for _ in range(4):
            assert chain.complete(prompt, schema=schema).provider == "ollama"
    assert [("circuit breaker is open" in n) for n in notices] == [False, False, False, True]
    assert "(the last: OpenAI is not reachable at " in notices[-1]


def test_after_the_cooldown_one_trial_goes_through_and_success_closes_it(
    prompt: Prompt, schema: dict[str, Any], breakers: BreakerRegistry, clock: FakeClock
) -> None:
    with FakeOpenAI.start() as fake:
        for _ in range(3):
            fake.enqueue_error(503, "The engine is currently overloaded")
        provider = only_openai(fake.url, breakers)
        for _ in range(3):
            with pytest.raises(RateLimitedError):
                provider.complete(prompt, schema=schema)
        clock.advance(29.9)
        with pytest.raises(CircuitOpenError) as info:
            provider.complete(prompt, schema=schema)
        assert isinstance(info.value, ProviderUnreachableError)  # the review treats it as unreachable
        assert "overloaded" in info.value.last_error
        assert chats(fake) == 3

        clock.advance(0.1)
        assert provider.complete(prompt, schema=schema).provider == "openai"  # the trial
        assert chats(fake) == 4
        breaker = breakers.get("openai", f"{fake.url}/v1", "gpt-4o-mini")
        assert breaker.state is State.CLOSED
        assert breaker.status().failures == 0
        provider.complete(prompt, schema=schema)
        assert chats(fake) == 5


def test_a_failed_trial_opens_it_again_for_another_cooldown(
    prompt: Prompt, schema: dict[str, Any], breakers: BreakerRegistry, clock: FakeClock
) -> None:
    with FakeOpenAI.start() as fake:
        for _ in range(4):
            fake.enqueue_error(502, "Bad gateway")
        provider = only_openai(fake.url, breakers)
        for _ in range(3):
            with pytest.raises(RateLimitedError):
                provider.complete(prompt, schema=schema)
        clock.advance(30)
        with pytest.raises(RateLimitedError):  # the trial reached the server and failed
            provider.complete(prompt, schema=schema)
        assert chats(fake) == 4
        clock.advance(29)
        with pytest.raises(CircuitOpenError) as info:
            provider.complete(prompt, schema=schema)
        assert chats(fake) == 4
        assert "open since 2025-06-15 15:07:10 UTC" in str(info.value)  # re-opened at the trial
        clock.advance(1)
        provider.complete(prompt, schema=schema)
        assert chats(fake) == 5


def test_a_bad_json_answer_does_not_count(
    prompt: Prompt, schema: dict[str, Any], breakers: BreakerRegistry
) -> None:
    with FakeOpenAI.start() as fake:
        fake.enqueue_error(500, "boom")
        fake.enqueue_error(500, "boom")
        for _ in range(5):
            fake.enqueue_chat('{"comments": [ this is not JSON')
        fake.enqueue_error(500, "boom")
        fake.enqueue_error(500, "boom")
        provider = only_openai(fake.url, breakers)
        outcomes = []
        for _ in range(9):
            try:
                outcomes.append(provider.complete(prompt, schema=schema).text[:13])
            except RateLimitedError:
                outcomes.append("500")
        assert chats(fake) == 9
    # two failures, then answers (however unreadable: the findings parser's business) reset the count
    assert outcomes == ["500", "500"] + ['{"comments": '] * 5 + ["500", "500"]
    breaker = breakers.get("openai", f"{fake.url}/v1", "gpt-4o-mini")
    assert (breaker.state, breaker.status().failures) == (State.CLOSED, 2)


def test_a_rejected_key_never_opens_it(
    prompt: Prompt, schema: dict[str, Any], breakers: BreakerRegistry
) -> None:
    with FakeOpenAI.start() as fake:
        provider = only_openai(fake.url, breakers, key="sk-wrong-key-000000")
        for _ in range(5):
            with pytest.raises(ProviderAuthError) as info:
                provider.complete(prompt, schema=schema)
            assert "OPENAI_API_KEY" in str(info.value)  # the message that says what to fix
        assert chats(fake) == 5
    assert breakers.get("openai", f"{fake.url}/v1", "gpt-4o-mini").state is State.CLOSED


def test_one_breaker_per_provider_url_and_model_is_shared_across_reviews(
    prompt: Prompt, schema: dict[str, Any], breakers: BreakerRegistry
) -> None:
    with FakeOpenAI.start() as fake, FakeOllama.start() as fallback:
        for _ in range(6):
            fake.enqueue_error(500, "boom")
        for _ in range(3):  # three reviews, each building its own chain, as the server does
            openai_then_ollama(fake.url, fallback.url, breakers).complete(prompt, schema=schema)
        assert chats(fake) == 6
        openai_then_ollama(fake.url, fallback.url, breakers).complete(prompt, schema=schema)
        assert chats(fake) == 6  # a fourth review does not ask it either
        # the same server with another model has its own breaker
        other = load(
            {
                "MOCHI_PROVIDER": "openai",
                "MOCHI_MODEL": "gpt-4o",
                "OPENAI_API_KEY": API_KEY,
                "OPENAI_BASE_URL": f"{fake.url}/v1/",
                "MOCHI_MAX_RETRIES": "0",
            }
        )[0]
        assert (
            build_provider_chain(other, breakers=breakers).complete(prompt, schema=schema).model == "gpt-4o"
        )
        assert chats(fake) == 7
    assert breakers.get("openai", f"{fake.url}/v1/", "gpt-4o-mini") is breakers.get(
        "openai", f"{fake.url}/v1", "gpt-4o-mini"
    )


def test_concurrent_failures_are_counted_once_each(
    prompt: Prompt, schema: dict[str, Any], clock: FakeClock
) -> None:
    # bursts of at most 5 requests in flight: the fake's listen backlog (http.server's default)
    breakers = BreakerRegistry(threshold=10, cooldown_s=30.0, clock=clock.monotonic, wall_clock=clock.wall)
    with FakeOpenAI.start() as fake:
        for _ in range(10):
            fake.enqueue_error(500, "boom", delay=0.05)
        provider = only_openai(fake.url, breakers)
        breaker = breakers.get("openai", f"{fake.url}/v1", "gpt-4o-mini")

        def in_threads(n: int) -> list[str]:
            start = threading.Barrier(n)
            results: list[str] = []
            lock = threading.Lock()

            def one() -> None:
                start.wait()
                try:
                    provider.complete(prompt, schema=schema)
                    outcome = "answered"
                except CircuitOpenError as exc:
                    outcome = "trial under way" if "trial call is under way" in str(exc) else "open"
                except RateLimitedError:
                    outcome = "failed"
                with lock:
                    results.append(outcome)

            threads = [threading.Thread(target=one) for _ in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            return sorted(results)

        assert in_threads(5) == ["failed"] * 5
        assert in_threads(4) == ["failed"] * 4
        assert (breaker.state, breaker.status().failures) == (State.CLOSED, 9)
        assert in_threads(1) == ["failed"]
        assert breaker.state is State.OPEN
        assert in_threads(12) == ["open"] * 12  # none of them reaches the server
        assert chats(fake) == 10

        clock.advance(30)
        fake.enqueue_chat('{"comments": []}', delay=0.3)  # a slow trial: the others arrive meanwhile
        assert in_threads(8) == ["answered"] + ["trial under way"] * 7
        assert chats(fake) == 11
        assert breaker.state is State.CLOSED


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (ProviderUnreachableError("refused"), "failure"),
        (ProviderTimeoutError("silent for 120 s"), "failure"),
        (ServerBusyError("503"), "failure"),
        (RateLimitedError("broken mid-answer"), "failure"),
        (ProviderAuthError("rejected the API key"), "alive"),
        (ProviderResponseError("rejected the request (400)"), "alive"),
        (CircuitOpenError("open", retry_at=0.0, last_error="x"), "neutral"),
        (KeyboardInterrupt(), "neutral"),
    ],
)
def test_what_counts_as_a_failure(error: BaseException, outcome: str) -> None:
    assert breaker_outcome(error) == outcome


def test_a_trial_interrupted_by_a_bug_leaves_the_next_call_to_try(clock: FakeClock) -> None:
    breaker = CircuitBreaker("x/y", threshold=1, cooldown_s=5, clock=clock.monotonic, wall_clock=clock.wall)

    def fail() -> None:
        raise ServerBusyError("503")

    def bug() -> None:
        raise KeyError("bug")

    with pytest.raises(ServerBusyError):
        breaker.call(fail)
    clock.advance(5)
    with pytest.raises(KeyError):
        breaker.call(bug)
    assert breaker.state is State.OPEN
    assert breaker.call(lambda: "ok") == "ok"
    assert breaker.state is State.CLOSED
