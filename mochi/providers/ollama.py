"""Ollama, the default provider: a local or self-hosted model behind the official `ollama` client."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import ollama

from mochi.errors import (
    ModelNotFoundError,
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnreachableError,
)
from mochi.models import Completion, Prompt
from mochi.providers.base import ProviderTimeoutError, ServerBusyError, estimate_tokens

logger = logging.getLogger(__name__)

# What the ollama client raises: its ResponseError, the builtin ConnectionError it turns
# httpx.ConnectError into, raw httpx errors (timeouts, streaming), and ValueError for an answer
# that is not JSON or not the documented shape (json and pydantic errors are ValueErrors).
_CLIENT_ERRORS = (ollama.ResponseError, httpx.HTTPError, ConnectionError, ValueError)

MIN_NUM_CTX = 8192  # Ollama's own default (2048) silently cuts the diff off
CTX_STEP = 1024


def plan_num_ctx(
    prompt_tokens: int, max_output_tokens: int, *, explicit: int | None, limit: int | None
) -> int:
    """The context window to ask for: explicit, else sized to the prompt; never above `limit`."""
    if explicit is not None:
        wanted = explicit
    else:
        needed = prompt_tokens + max_output_tokens
        wanted = max(MIN_NUM_CTX, -(-needed // CTX_STEP) * CTX_STEP)
    if limit is not None and wanted > limit:
        return limit
    return wanted


class OllamaProvider:
    """Reviews with a model served by Ollama (`/api/chat` with `format=<JSON schema>`)."""

    name = "ollama"

    def __init__(
        self,
        client: ollama.Client,
        model: str,
        *,
        host: str,
        num_ctx: int | None = None,
        temperature: float = 0.1,
        max_output_tokens: int = 2048,
        pull: bool = False,
    ) -> None:
        self.model = model
        self._client = client
        self._host = host
        self._num_ctx = num_ctx
        self._temperature = temperature
        self._max_output_tokens = max_output_tokens
        self._pull = pull
        self._pulled = False
        self._context_length: int | None = None
        self._context_length_known = False

    def complete(self, prompt: Prompt, *, schema: dict[str, Any]) -> Completion:
        """Ask the model for a review matching `schema`; pull the model first when allowed."""
        try:
            return self._complete(prompt, schema)
        except ModelNotFoundError:
            if not self._pull or self._pulled:
                raise
        self._pull_model()
        return self._complete(prompt, schema)

    # ------------------------------------------------------------------ internals

    def _complete(self, prompt: Prompt, schema: dict[str, Any]) -> Completion:
        limit = self._model_context_length()
        prompt_tokens = estimate_tokens(prompt.system) + estimate_tokens(prompt.user)
        num_ctx = plan_num_ctx(prompt_tokens, self._max_output_tokens, explicit=self._num_ctx, limit=limit)
        if self._num_ctx is not None and num_ctx < self._num_ctx:
            logger.warning(
                "num_ctx %d is larger than %s's context length %d; using %d",
                self._num_ctx,
                self.model,
                num_ctx,
                num_ctx,
            )
        if prompt_tokens + self._max_output_tokens > num_ctx:
            # Splitting the prompt is the prompt builder's job; say so rather than truncate quietly.
            logger.warning(
                "the prompt (~%d tokens) and answer (%d tokens) do not fit %s's context of %d tokens; "
                "Ollama will cut the start of the prompt off",
                prompt_tokens,
                self._max_output_tokens,
                self.model,
                num_ctx,
            )
        messages = [{"role": "user", "content": prompt.user}]
        if prompt.system:
            messages.insert(0, {"role": "system", "content": prompt.system})
        options = {
            "num_ctx": num_ctx,
            "temperature": self._temperature,
            "num_predict": self._max_output_tokens,
        }
        started = time.monotonic()
        try:
            response = self._client.chat(
                model=self.model, messages=messages, format=schema, stream=False, options=options
            )
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc) from exc
        elapsed = time.monotonic() - started
        if response.done_reason == "length":
            logger.warning(
                "%s stopped at max_output_tokens (%d): the answer is cut off",
                self.model,
                self._max_output_tokens,
            )
        return Completion(
            text=response.message.content or "",
            provider=self.name,
            model=self.model,
            prompt_tokens=response.prompt_eval_count or 0,
            completion_tokens=response.eval_count or 0,
            duration_s=response.total_duration / 1e9 if response.total_duration else elapsed,
        )

    def context_length(self) -> int | None:
        """The model's context window as the prompt budget sees it: num_ctx when set, else /api/show."""
        trained = self._model_context_length()
        if self._num_ctx is not None:
            return min(self._num_ctx, trained) if trained else self._num_ctx
        return trained

    def _model_context_length(self) -> int | None:
        """The model's trained context length from `/api/show`, read once."""
        if self._context_length_known:
            return self._context_length
        try:
            info = self._client.show(self.model).modelinfo or {}
        except ollama.ResponseError as exc:
            if exc.status_code == 404:
                raise self._translate(exc) from exc
            # Without the limit we still review; the request itself will show what is wrong.
            logger.debug("could not read %s's context length: %s", self.model, exc.error)
            self._context_length_known = True
            return None
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc) from exc
        self._context_length = _context_length(info)
        self._context_length_known = True
        return self._context_length

    def _pull_model(self) -> None:
        logger.info("pulling %s into Ollama at %s (this can take a while)", self.model, self._host)
        self._pulled = True
        try:
            last = ""
            for progress in self._client.pull(self.model, stream=True):
                if progress.status and progress.status != last:
                    last = progress.status
                    logger.info("ollama pull %s: %s", self.model, last)
        except ollama.ResponseError as exc:
            raise ModelNotFoundError(
                f"could not pull model '{self.model}' into Ollama at {self._host}: {exc.error}. "
                "Check the name at https://ollama.com/library."
            ) from exc
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> ProviderError:
        """Map the ollama client's and httpx's exceptions to MochiErrors that say what to do."""
        unreachable = f"Ollama is not reachable at {self._host}: start `ollama serve` or set OLLAMA_HOST"
        if isinstance(exc, ollama.ResponseError):
            status, detail = exc.status_code, str(exc.error)
            if status == 404 and "model" not in detail.lower():
                # Not Ollama's "model 'x' not found": OLLAMA_HOST points at some other server.
                return ProviderUnreachableError(
                    f"{self._host} answered 404 ({detail[:200]}): is OLLAMA_HOST an Ollama server?"
                )
            if status == 404:
                return ModelNotFoundError(
                    f"model '{self.model}' is not installed in Ollama: run `ollama pull {self.model}`, "
                    "or pass --pull"
                )
            if status in (401, 403):
                return ProviderAuthError(
                    f"Ollama at {self._host} refused the request ({status}): set OLLAMA_API_KEY "
                    "for a server that needs a key"
                )
            if status in (408, 429) or status >= 500:
                return ServerBusyError(f"Ollama at {self._host} answered {status}: {detail}")
            return ProviderResponseError(f"Ollama at {self._host} rejected the request ({status}): {detail}")
        if isinstance(exc, httpx.ConnectTimeout | ConnectionError | httpx.ConnectError):
            return ProviderUnreachableError(unreachable)
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeoutError(
                f"Ollama at {self._host} did not answer in time: a large model on a CPU can need a "
                "longer timeout (timeout_s in .mochi.toml or MOCHI_TIMEOUT_S), or a smaller model"
            )
        if isinstance(exc, httpx.TransportError):
            return ProviderUnreachableError(f"{unreachable} ({type(exc).__name__})")
        return ProviderResponseError(f"Ollama at {self._host} sent an answer mochi cannot read: {exc}")


def _context_length(model_info: Any) -> int | None:
    arch = model_info.get("general.architecture")
    value = model_info.get(f"{arch}.context_length") if arch else None
    if value is None:
        value = next((v for k, v in model_info.items() if k.endswith(".context_length")), None)
    return int(value) if isinstance(value, int | float) and value > 0 else None
