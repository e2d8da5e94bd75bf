"""The LLM pass: ask the model about each planned prompt and gather the answers in chunk order.

Planning (fitting the context, as few prompts as the window allows) is mochi.llm_plan; merging
the chunks' summaries is mochi.llm_merge. `run_llm_pass` sends the prompts up to `concurrency`
at a time (the SDK clients are synchronous, so a thread pool) and keeps the answers in chunk
order so the result does not depend on which finished first.

Partial failure stays partial: a chunk whose call fails or whose answer stays unreadable is
reported (which files, why) and the others are still asked. Only errors that every other call
would meet too (the server refuses connections, the model does not exist, the key is refused)
stop the chunks not yet started. `LLMResult.error` is set only when no chunk was answered.
A cut-off answer is asked again once as two smaller chunks; one that is cut off again is used
for its complete comments and reported. Every call made is in `completions` (the stats), and
answers found in the cache (mochi.cache) cost no call at all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from mochi import findings as findings_mod
from mochi.answer import ModelAnswer, answer_json_schema
from mochi.cache import KeyedCache
from mochi.chunking import split_file
from mochi.errors import (
    ModelNotFoundError,
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderUnreachableError,
)
from mochi.llm_merge import merge_compliance
from mochi.llm_plan import PromptPlan, Renderer, cap_plan, fit_context, plan_prompts
from mochi.models import Completion, FileDiff, Finding, Prompt, SkippedFile, Summary, Ticket
from mochi.providers.base import Provider, ProviderTimeoutError
from mochi.providers.stream import labelled

__all__ = ["LLMResult", "PromptPlan", "Renderer", "ask", "cap_plan", "fit_context", "merge_compliance",
           "plan_prompts", "run_llm_pass"]  # fmt: skip

logger = logging.getLogger(__name__)

_CUT_REASONS = frozenset({"length", "max_tokens", "max_output_tokens"})


@dataclass
class LLMResult:
    findings: list[Finding] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)  # every call made, in chunk order
    error: ProviderError | None = None  # set only when no chunk was answered
    chunks: int = 0
    answered: int = 0  # chunks with an answer (from the model or the cache)
    cached: int = 0  # answers that came from the cache, without a call
    truncated: list[SkippedFile] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    tickets: tuple[Ticket, ...] = ()  # as fitted into the prompts: the compliance table's rows


@dataclass
class Asked:
    """What asking about one prompt gave: the answer (or the error) and the calls it took."""

    answer: ModelAnswer | None = None
    completions: list[Completion] = field(default_factory=list)
    error: ProviderError | None = None
    cut_off: bool = False
    cached: bool = False


def _stopped(completion: Completion) -> bool:
    """The provider says the answer stopped at the output limit (finish_reason / done_reason length)."""
    return (completion.finish_reason or "").lower() in _CUT_REASONS


def is_cut_off(completion: Completion, answer: ModelAnswer | None, reserve: int | None) -> bool:
    """True when the answer stopped at the output limit rather than where the model ended it.

    Any sign says so: the provider's finish reason when it gives one (`finish_reason`), the
    parser's flag when it repaired an unterminated text (`cut_off`), an answer that used the
    whole output reserve.
    """
    if _stopped(completion):
        return True
    if getattr(answer, "cut_off", False) is True:
        return True
    return bool(reserve) and completion.completion_tokens >= (reserve or 0)


def ask(
    provider: Provider,
    prompt: Prompt,
    schema: dict[str, Any],
    *,
    cache: KeyedCache | None = None,
    reserve: int | None = None,
) -> Asked:
    """One model call (or a cached answer), and one retry asking for valid JSON when unreadable."""
    key = cache.key(provider.name, provider.model, prompt, schema) if cache is not None else None
    if cache is not None and key is not None:
        hit = cache.get(key)
        if hit is not None:
            try:
                return Asked(answer=findings_mod.parse_answer(hit.text), cached=True)
            except ProviderResponseError:
                logger.debug("the cached answer %s is unreadable; asking the model", key[:12])
    out = Asked()
    try:
        completion = provider.complete(prompt, schema=schema)
        out.completions.append(completion)
        try:
            answer: ModelAnswer = findings_mod.parse_answer(completion.text, cut_off=_stopped(completion))
        except ProviderResponseError as first:
            logger.warning("the model's answer was not valid review JSON; asking once more")
            retry = prompt.model_copy(
                update={"user": prompt.user + "\n\n" + findings_mod.repair_request(completion.text)}
            )
            completion = provider.complete(retry, schema=schema)
            out.completions.append(completion)
            try:
                answer = findings_mod.parse_answer(completion.text, cut_off=_stopped(completion))
            except ProviderResponseError:
                out.error = first
                return out
    except ProviderError as exc:
        out.error = exc
        return out
    out.answer = answer
    out.cut_off = is_cut_off(completion, answer, reserve)
    if cache is not None and key is not None and not out.cut_off:
        cache.put(key, completion)
    return out


def _fatal(exc: ProviderError) -> bool:
    """Errors every other call would meet too: asking the other chunks would only wait for them."""
    if isinstance(exc, ProviderTimeoutError):
        return False  # a smaller or later chunk may well be answered in time
    return isinstance(exc, ProviderUnreachableError | ModelNotFoundError | ProviderAuthError)


def _halves(files: Sequence[FileDiff], plan: PromptPlan) -> list[list[FileDiff]]:
    """`files` as two smaller chunks (a lone file split by hunks or lines), or [] when it cannot be."""
    if len(files) > 1:
        half = len(files) // 2
        return [list(files[:half]), list(files[half:])]
    if plan.cost is None:
        return []
    (only,) = files
    parts = split_file(only, cost=plan.cost, limit=max(32, plan.cost(only) // 2))
    if len(parts) < 2:
        return []
    half = len(parts) // 2
    return [parts[:half], parts[half:]]


@dataclass
class _Chunk:
    """One planned chunk's outcome: its answers (one, or two when re-asked as halves)."""

    answers: list[ModelAnswer] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    error: ProviderError | None = None
    cached: int = 0
    cut_off: bool = False  # an answer stayed cut off (used for its complete comments)
    reasked: bool = False
    skipped: bool = False  # not started: an earlier error would have failed it too


def _ask_chunk(
    provider: Provider,
    plan: PromptPlan,
    i: int,
    schema: dict[str, Any],
    cache: KeyedCache | None,
    reserve: int | None,
) -> _Chunk:
    out = _Chunk()
    first = ask(provider, plan.prompts[i], schema, cache=cache, reserve=reserve)
    out.completions += first.completions
    out.cached += first.cached
    if first.answer is None:
        out.error = first.error
        return out
    halves = _halves(plan.files[i], plan) if first.cut_off and plan.render is not None else []
    if not halves:
        out.answers.append(first.answer)
        out.cut_off = first.cut_off
        return out
    # Cut off: ask once more as two smaller chunks; a half that fails keeps the first answer's part.
    logger.warning(
        "the answer for chunk %d was cut off at the output limit; asking again in two parts", i + 1
    )
    out.reasked = True
    assert plan.render is not None
    for part in halves:
        again = ask(provider, plan.render(part), schema, cache=cache, reserve=reserve)
        out.completions += again.completions
        out.cached += again.cached
        if again.answer is None:
            out.answers.append(first.answer)
            out.cut_off = True
            break
        out.answers.append(again.answer)
        out.cut_off = out.cut_off or again.cut_off
    return out


def run_llm_pass(
    provider: Provider,
    plan: PromptPlan,
    *,
    concurrency: int = 1,
    progress: Callable[[str], None] = lambda _m: None,
    cache: KeyedCache | None = None,
    reserve: int | None = None,
) -> LLMResult:
    """Ask about every planned prompt, `concurrency` at a time (see the module docstring).

    `reserve` is the answer's output token limit (a full answer there is taken as cut off when
    the provider does not say); `cache` answers prompts asked before and keeps the new answers.
    """
    result = LLMResult(chunks=len(plan.prompts), truncated=list(plan.truncated), notices=list(plan.notices))
    if not plan.prompts:
        return result
    with_tickets = any(t.acceptance_criteria for t in plan.context.tickets)
    schema = answer_json_schema(with_tickets=with_tickets)
    total = len(plan.prompts)
    stop = threading.Event()
    lock = threading.Lock()

    def one(i: int) -> _Chunk:
        if stop.is_set():
            return _Chunk(skipped=True)
        where = f" [{i + 1}/{total}]" if total > 1 else ""
        with lock:
            progress(f"asking {provider.name}/{provider.model}{where} about {len(plan.files[i])} file(s)…")
        with labelled(f"chunk {i + 1}/{total}" if total > 1 else f"{provider.name}/{provider.model}"):
            chunk = _ask_chunk(provider, plan, i, schema, cache, reserve)
        if chunk.error is not None and _fatal(chunk.error):
            stop.set()
        return chunk

    workers = max(1, min(concurrency, total))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mochi-llm")
    try:
        futures: list[Future[_Chunk]] = [pool.submit(one, i) for i in range(total)]
        wait(futures)
    except BaseException:
        # ^C or a cancelled job: do not wait minutes for the model calls in flight
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    chunks = [f.result() for f in futures]  # a bug (not a ProviderError) raises here
    _gather(result, chunks, plan, provider)
    return result


def _gather(result: LLMResult, chunks: list[_Chunk], plan: PromptPlan, provider: Provider) -> None:
    total = len(chunks)
    first_error: ProviderError | None = None
    failed: list[str] = []
    for i, chunk in enumerate(chunks):
        result.completions += chunk.completions
        result.cached += chunk.cached
        paths = sorted({f.path for f in plan.files[i]})
        where = f"chunk {i + 1}/{total}" if total > 1 else "the prompt"
        if chunk.skipped or chunk.error is not None:
            why = (
                f"not asked: {first_error}" if chunk.skipped and first_error is not None else
                str(chunk.error or "not asked")
            )  # fmt: skip
            first_error = first_error or chunk.error
            failed.append(f"{where} ({_names(paths)}): {why}")
            if total == 1:
                continue
            result.truncated += [
                SkippedFile(path=p, reason=f"not reviewed by the model ({where}: {_short(why)})")
                for p in paths
            ]
            continue
        result.answered += 1
        for answer in chunk.answers:
            last = chunk.completions[-1] if chunk.completions else None
            source = f"llm:{last.provider}/{last.model}" if last else f"llm:{provider.name}/{provider.model}"
            result.findings += findings_mod.from_answer(answer, source)
            if not chunk.cut_off:  # a cut-off answer's summary is where the text ran out
                result.summaries.append(findings_mod.summary_from_answer(answer))
        if chunk.cut_off:
            result.notices.append(
                f"the model's answer for {where} ({_names(paths)}) was cut off at the output limit"
                + (" even in two smaller parts" if chunk.reasked else "")
                + ": its complete comments are kept, the rest is missing; raise max_output_tokens"
            )
            result.truncated += [
                SkippedFile(path=p, reason="the model's answer was cut off at the output limit")
                for p in paths
            ]
        elif chunk.reasked:
            result.notices.append(
                f"the model's answer for {where} was cut off at the output limit; it was asked again "
                "in two smaller parts"
            )
    if failed and (result.answered or total > 1):  # one failed prompt is the review's llm_error
        result.notices.append(
            f"the model did not review {len(failed)} of {total} chunk(s); the others were reviewed: "
            + "; ".join(failed[:5])
            + (f"; and {len(failed) - 5} more" if len(failed) > 5 else "")
        )
    if result.answered == 0:
        result.error = first_error
    if result.cached:
        result.notices.append(
            f"{result.cached} answer(s) came from the cache of earlier reviews (no model call); "
            "--no-cache asks the model again"
        )


def _names(paths: Sequence[str]) -> str:
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
