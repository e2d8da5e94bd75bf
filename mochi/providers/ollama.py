"""Ollama, the default provider: a local or self-hosted model behind the official `ollama` client."""

from __future__ import annotations

import logging
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
from mochi.providers.base import ProviderTimeoutError, ServerBusyError, estimate_tokens, read_timeout
from mochi.providers.pull_progress import PullReport
from mochi.providers.stream import Progress, StreamWatch

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
        timeout_s: float | None = None,
        progress: Progress | None = None,
        heartbeat_s: float = 15.0,
    ) -> None:
        self.model = model
        self._client = client
        self._host = host
        self._num_ctx = num_ctx
        self._temperature = temperature
        self._max_output_tokens = max_output_tokens
        self._pull = pull
        self._pulled = False
        # for the timeout message: the setting's value, else what the client was built with
        self._timeout_s = (
            timeout_s if timeout_s is not None else read_timeout(getattr(client, "_client", None))
        )
        self._progress = progress
        self._heartbeat_s = heartbeat_s
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
        parts: list[str] = []
        final: Any = None
        watch = StreamWatch(f"{self.name}/{self.model}", self._progress, interval_s=self._heartbeat_s)
        try:
            with watch:
                # Streamed: the read timeout (timeout_s) is then the longest silence between
                # tokens, so a slow model that is working is never taken for a dead one.
                for part in self._client.chat(
                    model=self.model, messages=messages, format=schema, stream=True, options=options
                ):
                    piece = part.message.content or "" if part.message else ""
                    if piece:
                        parts.append(piece)
                        watch.token()
                    if part.done:
                        final = part
        except _CLIENT_ERRORS as exc:
            raise self._translate(exc) from exc
        timing = watch.timing(final.eval_count if final is not None else None)
        if final is None:
            raise ServerBusyError(
                f"Ollama at {self._host} stopped answering mid-way ({len(parts)} pieces received, no end)"
            )
        if final.done_reason == "length":
            logger.warning(
                "%s stopped at max_output_tokens (%d): the answer is cut off",
                self.model,
                self._max_output_tokens,
            )
        return Completion(
            text="".join(parts),
            provider=self.name,
            model=self.model,
            prompt_tokens=final.prompt_eval_count or 0,
            completion_tokens=final.eval_count or 0,
            duration_s=timing.duration_s,
            first_token_s=timing.first_token_s,
            tokens_per_s=(final.eval_count / (final.eval_duration / 1e9))
            if final.eval_count and final.eval_duration
            else timing.tokens_per_s,
            finish_reason=final.done_reason,
        )

    @property
    def base_url(self) -> str:
        """Where the model is served (mochi.budget: a local server answers one request at a time)."""
        return self._host

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
        report = PullReport(self.model, self._progress or (lambda line: logger.info("%s", line)))
        try:
            for progress in self._client.pull(self.model, stream=True):
                report.update(progress.status or "", progress.digest, progress.total, progress.completed)
            report.finish()
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
            if status in (408, 429):
                return ServerBusyError(f"Ollama at {self._host} answered {status}: {detail}")
            if status >= 500 or status < 0:
                # status -1: an error object in the middle of the stream (the runner crashed, ran
                # out of memory...): the server is up, it failed
                when = "while answering" if status < 0 else f"({status})"
                return ServerBusyError(f"Ollama at {self._host} failed {when}: {detail}")
            return ProviderResponseError(f"Ollama at {self._host} rejected the request ({status}): {detail}")
        if isinstance(exc, httpx.ConnectTimeout | ConnectionError | httpx.ConnectError):
            return ProviderUnreachableError(unreachable)
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeoutError(
                f"Ollama at {self._host} is up but sent nothing for {self._timeout_s:g} s ({self.model}): "
                f"raise timeout_s (MOCHI_TIMEOUT_S; the longest wait for the next token, the first one "
                "included), or use a smaller model"
            )
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
            return ServerBusyError(f"Ollama at {self._host} closed the connection while answering ({exc})")
        if isinstance(exc, httpx.TransportError):
            return ProviderUnreachableError(f"{unreachable} ({type(exc).__name__})")
        return ProviderResponseError(f"Ollama at {self._host} sent an answer mochi cannot read: {exc}")


def _context_length(model_info: Any) -> int | None:
    arch = model_info.get("general.architecture")
    value = model_info.get(f"{arch}.context_length") if arch else None
    if value is None:
        value = next((v for k, v in model_info.items() if k.endswith(".context_length")), None)
    return int(value) if isinstance(value, int | float) and value > 0 else None
