"""The model's window and token count come from the server when it says them; otherwise a
conservative default, a larger margin, and a notice saying what was assumed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mochi import budget as budget_mod
from mochi.budget import SAFETY, SAFETY_ESTIMATE, SAFETY_SERVER, counter_for, estimate_tokens, for_settings
from mochi.commands.compose import build_provider
from mochi.providers.server_info import is_local
from mochi.settings import Settings, load
from tests.fakes.llm_servers import FakeLocalOpenAI, FakeOllama, FakeOpenAI


def settings(tmp_path: Path, **env: str) -> Settings:
    loaded, _ = load(env, {}, tmp_path / ".mochi.toml")
    return loaded


def local(tmp_path: Path, fake: FakeLocalOpenAI | FakeOpenAI, model: str = "smollm2", **env: str) -> Settings:
    return settings(
        tmp_path,
        MOCHI_PROVIDER="openai",
        OPENAI_BASE_URL=f"{fake.url}/v1",
        OPENAI_API_KEY="none",
        MOCHI_MODEL=model,
        **env,
    )


@pytest.mark.parametrize(
    ("flavor", "n_ctx"), [("llamacpp", 4096), ("vllm", 32768), ("lmstudio", 16384), ("plain", 8192)]
)
def test_the_window_is_the_servers(tmp_path: Path, flavor: str, n_ctx: int) -> None:
    with FakeLocalOpenAI.start(flavor, n_ctx=n_ctx) as fake:  # type: ignore[arg-type]
        s = local(tmp_path, fake)
        budget, concurrency = for_settings(s, build_provider(s))
    assert budget.window == n_ctx
    assert budget.notices == ()
    assert concurrency == 1  # a server on loopback answers one request at a time


def test_an_unknown_window_is_assumed_small_and_said(tmp_path: Path) -> None:
    with FakeLocalOpenAI.start("silent") as fake:
        s = local(tmp_path, fake, model="my-finetune")
        budget, _ = for_settings(s, build_provider(s))
    assert budget.window == 8192
    assert budget.safety == SAFETY_ESTIMATE
    (notice,) = budget.notices
    assert "assumed 8,192 tokens" in notice and "context_window" in notice


def test_a_configured_window_wins_and_max_concurrency_is_honoured(tmp_path: Path) -> None:
    with FakeLocalOpenAI.start("vllm", n_ctx=32768) as fake:
        s = local(tmp_path, fake, MOCHI_CONTEXT_WINDOW="16384", MOCHI_MAX_CONCURRENCY="3")
        budget, concurrency = for_settings(s, build_provider(s))
        assert fake.requests_to("/models") == []  # nothing to ask
    assert (budget.window, concurrency) == (16384, 3)


@pytest.mark.parametrize("flavor", ["llamacpp", "vllm"])
def test_large_texts_are_counted_by_the_servers_tokenizer_once(tmp_path: Path, flavor: str) -> None:
    with FakeLocalOpenAI.start(flavor, n_ctx=8192, tokens_per_char=0.5) as fake:  # type: ignore[arg-type]
        s = local(tmp_path, fake)
        budget, _ = for_settings(s, build_provider(s))
        big = "x = compute(y)\n" * 600  # 9,000 characters: near the prompt's limit
        small = "x = 1\n"
        assert budget.count(big) == 4500  # the server's count, not the estimate
        assert budget.count(big) == 4500
        assert budget.count(small) == estimate_tokens(small)
        # one probe when the budget was made, then each large text once; small ones estimated
        assert len(fake.requests_to("/tokenize")) == 2
    assert budget.safety == SAFETY_SERVER


def test_openai_models_keep_the_table_and_tiktoken_is_loaded_only_near_the_window(tmp_path: Path) -> None:
    with FakeOpenAI.start() as fake:
        s = settings(
            tmp_path,
            MOCHI_PROVIDER="openai",
            OPENAI_API_KEY="sk-test-0123456789abcdef",
            MOCHI_MODEL="gpt-4o-mini",
        )
        budget_mod._cl100k.cache_clear()
        budget, concurrency = for_settings(s, build_provider(s))
        assert fake.requests == []  # api.openai.com: nothing to probe
    assert (budget.window, budget.safety, concurrency) == (128_000, SAFETY, 4)
    budget.count("a small review\n" * 20)
    assert budget_mod._cl100k.cache_info().currsize == 0  # tiktoken not loaded
    huge = "def f(x):\n    return x * 2\n" * 9000
    exact = budget.count(huge)
    assert budget_mod._cl100k.cache_info().currsize == 1
    assert exact == counter_for("openai")(huge)  # near the window: tiktoken's own count


def test_a_local_ollama_gets_one_request_at_a_time(tmp_path: Path) -> None:
    with FakeOllama.start(models={"qwen2.5-coder:7b": 32768}) as fake:
        s = settings(tmp_path, OLLAMA_HOST=fake.url)
        budget, concurrency = for_settings(s, build_provider(s))
    assert (budget.window, concurrency, budget.notices) == (32768, 1, ())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:11434", True),
        ("http://192.168.1.20:8000/v1", True),
        ("http://10.0.0.5:1234", True),
        ("http://[::1]:8080", True),
        ("http://ollama.local:11434", True),
        ("https://api.openai.com/v1", False),
        ("https://8.8.8.8/v1", False),
    ],
)
def test_local_servers_are_recognised(url: str, expected: bool) -> None:
    assert is_local(url) is expected
