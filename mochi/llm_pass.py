"""The LLM pass: fit the context, plan prompts within the token budget, ask the model, merge.

`plan_prompts` renders one prompt per chunk (see mochi.chunking) and checks each against the
budget, splitting again in the rare case the per-file estimate was short. `run_llm_pass` sends
the prompts up to `concurrency` at a time (the SDK clients are synchronous, so a thread pool),
and merges the answers in chunk order so the result does not depend on which finished first.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from mochi import findings as findings_mod
from mochi.answer import ModelAnswer, answer_json_schema
from mochi.budget import Budget, clip_to_tokens
from mochi.chunking import plan_chunks, split_file
from mochi.errors import ProviderError, ProviderResponseError
from mochi.models import (
    Completion,
    ComplianceStatus,
    Context,
    CriterionVerdict,
    Diff,
    FileDiff,
    Finding,
    Prompt,
    ReviewTarget,
    SkippedFile,
    Summary,
    Ticket,
)
from mochi.prompts.render import format_file_diff
from mochi.providers.base import Provider

logger = logging.getLogger(__name__)

FrameworksFor = Callable[[str], tuple[str, ...]]


class Renderer(Protocol):
    def render(
        self,
        files: Sequence[FileDiff],
        context: Context,
        target: ReviewTarget,
        *,
        frameworks_for: FrameworksFor | None = None,
    ) -> Prompt:
        """Build the prompt for these files."""
        ...


@dataclass
class PromptPlan:
    prompts: list[Prompt] = field(default_factory=list)
    files: list[list[FileDiff]] = field(default_factory=list)  # what each prompt covers
    context: Context = field(default_factory=Context)  # the context as fitted to the budget
    truncated: list[SkippedFile] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def cap_plan(plan: PromptPlan, budget: Budget) -> PromptPlan:
    """Keep the prompts within the run's caps on model calls and prompt tokens; the files of the
    others are reported as not reviewed by the model, with a notice that names the cap."""
    kept = 0
    tokens = 0
    why = ""
    for prompt in plan.prompts:
        size = budget.count(prompt.system) + budget.count(prompt.user)
        if budget.max_calls is not None and kept >= budget.max_calls:
            why = f"max_llm_calls = {budget.max_calls:,}"
            break
        if budget.max_prompt_tokens is not None and tokens + size > budget.max_prompt_tokens:
            why = f"max_prompt_tokens = {budget.max_prompt_tokens:,}"
            break
        kept += 1
        tokens += size
    if kept == len(plan.prompts):
        return plan
    left = [f for files in plan.files[kept:] for f in files]
    reason = f"not sent to the model: the run's cap ({why}) was reached"
    notice = (
        f"{len(plan.prompts) - kept} of {len(plan.prompts)} prompts were not sent ({why}): the model did "
        f"not review {len(left)} file(s); raise the cap to review them"
    )
    return PromptPlan(
        prompts=plan.prompts[:kept],
        files=plan.files[:kept],
        context=plan.context,
        truncated=[*plan.truncated, *(SkippedFile(path=f.path, reason=reason) for f in left)],
        notices=[*plan.notices, notice],
    )


@dataclass
class LLMResult:
    findings: list[Finding] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    error: ProviderError | None = None
    chunks: int = 0
    truncated: list[SkippedFile] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    tickets: tuple[Ticket, ...] = ()  # as fitted into the prompts: the compliance table's rows


# --------------------------------------------------------------------------- fitting the context


def fit_context(ctx: Context, budget: Budget) -> tuple[Context, list[str]]:
    """`ctx` trimmed to the budget's context share: related files first, then history, then text."""
    count = budget.count
    limit = budget.context_limit
    notes: list[str] = []

    def size(c: Context) -> int:
        return (
            count(c.instructions)
            + sum(count(t.description) + sum(count(a) for a in t.acceptance_criteria) + 40 for t in c.tickets)
            + sum(count(p.instructions) + 10 for p in c.path_instructions)
            + sum(count(f.message) + 12 for f in c.previous_findings)
            + sum(count(r.signatures) + 12 for r in c.related)
        )

    if size(ctx) <= limit:
        return ctx, notes
    related = list(ctx.related)
    while related and size(ctx.model_copy(update={"related": tuple(related)})) > limit:
        related.pop()
    if len(related) < len(ctx.related):
        notes.append(
            f"{len(ctx.related) - len(related)} related file(s) left out of the prompt to fit the model"
        )
    ctx = ctx.model_copy(update={"related": tuple(related)})
    history = sorted(ctx.previous_findings, key=lambda f: f.status == "open", reverse=True)
    while history and size(ctx.model_copy(update={"previous_findings": tuple(history)})) > limit:
        history.pop()
    ctx = ctx.model_copy(update={"previous_findings": tuple(history)})
    over = size(ctx) - limit
    if over > 0 and ctx.instructions:
        keep = max(0, count(ctx.instructions) - over)
        ctx = ctx.model_copy(update={"instructions": clip_to_tokens(ctx.instructions, keep, count)})
        notes.append("the repository instructions were shortened to fit the model's context window")
    over = size(ctx) - limit
    if over > 0 and ctx.tickets:
        each = max(
            50, (limit - (size(ctx) - sum(count(t.description) for t in ctx.tickets))) // len(ctx.tickets)
        )
        tickets = tuple(
            t.model_copy(
                update={"description": clip_to_tokens(t.description, each, count), "truncated": True}
            )
            for t in ctx.tickets
        )
        ctx = ctx.model_copy(update={"tickets": tickets})
        notes.append("ticket descriptions were shortened to fit the model's context window")
    return ctx, notes


# --------------------------------------------------------------------------- planning prompts


def plan_prompts(
    diff: Diff,
    context: Context,
    target: ReviewTarget,
    renderer: Renderer,
    budget: Budget,
    frameworks_for: FrameworksFor | None = None,
) -> PromptPlan:
    """One prompt per chunk, each at most `budget.prompt_limit` tokens (see the module doc)."""
    ctx, notes = fit_context(context, budget)
    plan = PromptPlan(context=ctx, notices=notes)
    files = list(diff.files)
    if not files:
        return plan
    count = budget.count

    def render(chunk: Sequence[FileDiff]) -> Prompt:
        return renderer.render(chunk, ctx, target, frameworks_for=frameworks_for)

    # Files of one kind (language and frameworks) share their guidelines, so chunks are packed per
    # kind: the overhead of a kind is the prompt for an empty stand-in of it, plus the per-file
    # context the renderer adds for matching files (an upper bound for any chunk of that kind).
    kinds: dict[tuple[str | None, tuple[str, ...]], list[FileDiff]] = {}
    for f in files:
        fws = frameworks_for(f.path) if frameworks_for else ()
        kinds.setdefault((f.language, fws), []).append(f)
    scoped = sum(count(p.instructions) + count(p.path) + 8 for p in ctx.path_instructions)
    scoped += sum(count(r.signatures) + count(r.path) + 12 for r in ctx.related)
    scoped += sum(count(h.message) + count(h.path) + 12 for h in ctx.previous_findings)
    limit = budget.prompt_limit

    def cost(f: FileDiff) -> int:
        return count(format_file_diff(f)) + count(f.path) + 4

    cut: dict[str, int] = {}
    pending: list[list[FileDiff]] = []
    for group in kinds.values():
        stub = render([group[0].model_copy(update={"hunks": ()})])
        overhead = budget.prompt_tokens(stub.system, stub.user) + scoped
        if limit - overhead < 256:
            plan.notices.append(
                f"the instructions and context take ~{overhead} of the {limit} prompt tokens the model "
                "allows, so the diff goes in very small chunks: raise context_window or use a larger model."
            )
        chunked = plan_chunks(group, cost=cost, limit=max(64, limit - overhead))
        pending += chunked.chunks
        for path, n in chunked.cut_lines.items():
            cut[path] = cut.get(path, 0) + n
    while pending:
        chunk = pending.pop(0)
        prompt = render(chunk)
        if budget.prompt_tokens(prompt.system, prompt.user) <= limit:
            plan.prompts.append(prompt)
            plan.files.append(chunk)
            continue
        # The per-file estimate was short (rare): split this chunk further and try again.
        if len(chunk) > 1:
            half = len(chunk) // 2
            pending[:0] = [chunk[:half], chunk[half:]]
            continue
        (only,) = chunk
        parts = split_file(only, cost=cost, limit=max(32, cost(only) * 2 // 3), cut=cut)
        if len(parts) <= 1:
            logger.warning(
                "%s does not fit the model's context window even alone; sending it anyway", only.path
            )
            plan.prompts.append(prompt)
            plan.files.append(chunk)
            continue
        pending[:0] = [[p] for p in parts]
    plan.truncated = [
        SkippedFile(path=path, reason=f"{n} line(s) longer than the model's context allows were cut")
        for path, n in sorted(cut.items())
    ]
    return plan


# --------------------------------------------------------------------------- asking


def ask(provider: Provider, prompt: Prompt, schema: dict[str, Any]) -> tuple[ModelAnswer, list[Completion]]:
    """One model call, and one retry asking for valid JSON when the answer is unusable."""
    completion = provider.complete(prompt, schema=schema)
    try:
        return findings_mod.parse_answer(completion.text), [completion]
    except ProviderResponseError as first:
        logger.warning("the model's answer was not valid review JSON; asking once more")
        retry = prompt.model_copy(
            update={"user": prompt.user + "\n\n" + findings_mod.repair_request(completion.text)}
        )
        second = provider.complete(retry, schema=schema)
        try:
            return findings_mod.parse_answer(second.text), [completion, second]
        except ProviderResponseError:
            raise first from None


def run_llm_pass(
    provider: Provider,
    plan: PromptPlan,
    *,
    concurrency: int = 1,
    progress: Callable[[str], None] = lambda _m: None,
) -> LLMResult:
    """Send every planned prompt, `concurrency` at a time; stop starting new ones after a failure.

    Files whose every chunk failed or was never sent are reported in `truncated` as not reviewed
    by the model; the first error is returned (the built-in findings still make a review).
    """
    result = LLMResult(chunks=len(plan.prompts), truncated=list(plan.truncated), notices=list(plan.notices))
    if not plan.prompts:
        return result
    with_tickets = any(t.acceptance_criteria for t in plan.context.tickets)
    schema = answer_json_schema(with_tickets=with_tickets)
    total = len(plan.prompts)
    answers: dict[int, tuple[ModelAnswer, list[Completion]]] = {}
    failed = threading.Event()
    lock = threading.Lock()

    def one(i: int) -> tuple[ModelAnswer, list[Completion]] | None:
        if failed.is_set():
            return None
        files = plan.files[i]
        where = f" [{i + 1}/{total}]" if total > 1 else ""
        with lock:
            progress(f"asking {provider.name}/{provider.model}{where} about {len(files)} file(s)…")
        try:
            return ask(provider, plan.prompts[i], schema)
        except ProviderError:
            failed.set()
            raise

    workers = max(1, min(concurrency, total))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mochi-llm")
    try:
        futures: dict[Future[tuple[ModelAnswer, list[Completion]] | None], int] = {
            pool.submit(one, i): i for i in range(total)
        }
        wait(futures, return_when=FIRST_EXCEPTION)
        if failed.is_set():
            for f in futures:
                f.cancel()
        wait(futures)
    except BaseException:
        # ^C or a cancelled job: do not wait minutes for the model calls in flight
        failed.set()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    for fut, i in futures.items():
        if fut.cancelled():
            continue
        exc = fut.exception()
        if isinstance(exc, ProviderError):
            result.error = result.error or exc
            continue
        if exc is not None:
            raise exc
        value = fut.result()
        if value is not None:
            answers[i] = value
    reviewed_paths: set[str] = set()
    for i in sorted(answers):
        answer, completions = answers[i]
        result.completions += completions
        source = f"llm:{completions[-1].provider}/{completions[-1].model}"
        result.findings += findings_mod.from_answer(answer, source)
        result.summaries.append(findings_mod.summary_from_answer(answer))
        reviewed_paths |= {f.path for f in plan.files[i]}
    if len(answers) < total and answers:
        missed = sorted({f.path for i in range(total) if i not in answers for f in plan.files[i]})
        result.truncated += [
            SkippedFile(
                path=p, reason="part of its diff was not reviewed by the model (the model call failed)"
            )
            for p in missed
        ]
    return result


# --------------------------------------------------------------------------- merging


_RANK = {ComplianceStatus.MET: 2, ComplianceStatus.NOT_MET: 1, ComplianceStatus.UNCLEAR: 0}


def merge_compliance(verdicts: Sequence[CriterionVerdict]) -> tuple[CriterionVerdict, ...]:
    """One verdict per (ticket, criterion): met when any chunk saw it met, else not met, else unclear.

    A chunk sees only part of the change, so `unclear` or `not_met` from a chunk that did not hold
    the relevant code must not outvote the chunk that did.
    """
    best: dict[tuple[str, str], CriterionVerdict] = {}
    for v in verdicts:
        key = (v.ticket.strip().upper(), " ".join(v.criterion.lower().split()))
        seen = best.get(key)
        if seen is None or _RANK[v.status] > _RANK[seen.status]:
            best[key] = v
    return tuple(best.values())
