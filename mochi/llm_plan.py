"""Planning the LLM pass: fit the context to the budget, then as few prompts as the window allows.

The whole change goes in ONE prompt when it fits the model's window, whatever its languages and
frameworks: the renderer gives each kind's guidelines once, for the files present. Only when the
window requires it is the diff split, into chunks packed in the order of their kinds (files of a
language sit together, so a chunk repeats few guidelines). Each chunk is rendered and checked
against the budget, and split again in the rare case the per-file estimate was short.
`PromptPlan.reason` says why the change was split, for the progress line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mochi.budget import Budget, clip_to_tokens
from mochi.chunking import split_file
from mochi.models import Context, Diff, FileDiff, Prompt, ReviewTarget, SkippedFile
from mochi.prompts.render import format_file_diff

logger = logging.getLogger(__name__)

FrameworksFor = Callable[[str], tuple[str, ...]]
Kind = tuple[str | None, tuple[str, ...]]


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
    reason: str = ""  # why the change needs more than one prompt ("" when it is one)
    # renders a prompt for other files with the same context (a cut-off answer's chunk, halved)
    render: Callable[[Sequence[FileDiff]], Prompt] | None = None
    cost: Callable[[FileDiff], int] | None = None  # a file's diff tokens, as the plan counted them


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
        reason=plan.reason,
        render=plan.render,
        cost=plan.cost,
    )


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
    """As few prompts as the window allows, each at most `budget.prompt_limit` (see the module doc)."""
    ctx, notes = fit_context(context, budget)
    files = list(diff.files)
    count = budget.count

    def measure(f: FileDiff) -> int:
        return count(format_file_diff(f)) + count(f.path) + 4

    sizes = {id(f): (f, measure(f)) for f in files}  # each file of the change is counted once

    def cost(f: FileDiff) -> int:
        known = sizes.get(id(f))
        return known[1] if known is not None and known[0] is f else measure(f)

    def render(chunk: Sequence[FileDiff]) -> Prompt:
        return renderer.render(chunk, ctx, target, frameworks_for=frameworks_for)

    # what was assumed about the model (its window, its tokenizer) goes to the review's notices
    plan = PromptPlan(context=ctx, notices=[*budget.notices, *notes], render=render, cost=cost)
    if not files:
        return plan

    def kind(f: FileDiff) -> Kind:
        return (f.language, frameworks_for(f.path) if frameworks_for else ())

    # What a chunk costs besides its diff: the prompt of empty stand-ins of its kinds (the
    # instructions, each kind's guidelines once) plus the per-file context the renderer may add.
    first: dict[Kind, FileDiff] = {}
    for f in files:
        first.setdefault(kind(f), f)
    scoped = sum(count(p.instructions) + count(p.path) + 8 for p in ctx.path_instructions)
    scoped += sum(count(r.signatures) + count(r.path) + 12 for r in ctx.related)
    scoped += sum(count(h.message) + count(h.path) + 12 for h in ctx.previous_findings)
    overheads: dict[frozenset[Kind], int] = {}

    def overhead(kinds: frozenset[Kind]) -> int:
        if kinds not in overheads:
            stub = render([first[k].model_copy(update={"hunks": ()}) for k in first if k in kinds])
            overheads[kinds] = budget.prompt_tokens(stub.system, stub.user) + scoped
        return overheads[kinds]

    limit = budget.prompt_limit
    everything = frozenset(first)
    diff_tokens = sum(cost(f) for f in files)
    cut: dict[str, int] = {}
    if diff_tokens + overhead(everything) <= limit:
        pending = [files]  # the usual case: one prompt, whatever the languages
    else:
        pending = _pack(files, kind, cost, overhead, limit, cut, plan.notices)
        plan.reason = (
            f"the diff (~{diff_tokens:,} tokens) and its instructions do not fit one prompt within "
            f"the {budget.window:,}-token window ({limit:,} for the prompt, "
            f"{budget.reserve:,} kept for the answer)"
        )
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
    if len(plan.prompts) > 1 and not plan.reason:
        plan.reason = f"the diff does not fit one prompt within the {budget.window:,}-token window"
    plan.truncated = [
        SkippedFile(path=path, reason=f"{n} line(s) longer than the model's context allows were cut")
        for path, n in sorted(cut.items())
    ]
    return plan


def _pack(
    files: Sequence[FileDiff],
    kind: Callable[[FileDiff], Kind],
    cost: Callable[[FileDiff], int],
    overhead: Callable[[frozenset[Kind]], int],
    limit: int,
    cut: dict[str, int],
    notices: list[str],
) -> list[list[FileDiff]]:
    """Chunks in the order of the files' kinds, each within `limit` with its kinds' overhead."""
    order: dict[Kind, int] = {}
    for f in files:
        order.setdefault(kind(f), len(order))
    ordered = sorted(files, key=lambda f: order[kind(f)])  # stable: the diff's order within a kind
    warned = False
    chunks: list[list[FileDiff]] = []
    current: list[FileDiff] = []
    kinds: frozenset[Kind] = frozenset()
    used = 0
    for f in ordered:
        k = kind(f)
        alone = overhead(frozenset({k}))
        if limit - alone < 256 and not warned:
            warned = True
            notices.append(
                f"the instructions and context take ~{alone} of the {limit} prompt tokens the model "
                "allows, so the diff goes in very small chunks: raise context_window or use a larger model."
            )
        room = max(64, limit - alone)
        pieces = [f] if cost(f) <= room else split_file(f, cost=cost, limit=room, cut=cut)
        for piece in pieces:
            c = cost(piece)
            joined = kinds | {k}
            if current and used + c + overhead(joined) > limit:
                chunks.append(current)
                current, used, joined = [], 0, frozenset({k})
            current.append(piece)
            kinds = joined
            used += c
    if current:
        chunks.append(current)
    return chunks
