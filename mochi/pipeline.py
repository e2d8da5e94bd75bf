"""The one data path: target -> Diff -> Context -> Prompts -> Provider -> Findings -> Publishers.

`run()` takes every collaborator as an argument; cli.py builds them. It never raises for a
provider failure: the built-in findings are still a review, so the failure is returned in the
Outcome and the caller decides (after publishing) whether it is fatal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from mochi import findings as findings_mod
from mochi import suppress as suppress_mod
from mochi.budget import Budget, context_window, counter_for, provider_window
from mochi.cache import KeyedCache
from mochi.compliance import complete_table
from mochi.errors import ProviderError
from mochi.llm_merge import merge_compliance, merge_summaries
from mochi.llm_pass import LLMResult, run_llm_pass
from mochi.llm_plan import cap_plan, plan_prompts
from mochi.models import (
    Anchor,
    Context,
    Diff,
    FileDiff,
    Finding,
    Prompt,
    Review,
    ReviewTarget,
    Severity,
    Stats,
    Summary,
    Ticket,
)
from mochi.providers.base import Provider
from mochi.urls import mask_credentials

logger = logging.getLogger(__name__)

ReadFile = Callable[[str], "str | None"]


class DiffSource(Protocol):
    def __call__(self, target: ReviewTarget) -> Diff:
        """Compute, parse and filter the change for `target`. Raises EmptyChangeError."""
        ...


class Renderer(Protocol):
    def render(
        self,
        files: Sequence[FileDiff],
        context: Context,
        target: ReviewTarget,
        *,
        frameworks_for: Callable[[str], tuple[str, ...]] | None = None,
    ) -> Prompt:
        """Build the prompt for these files."""
        ...


class Checker(Protocol):
    def review(self, diff: Diff, read_file: ReadFile, read_repo: ReadFile | None = None) -> list[Finding]:
        """Findings of the built-in checks on what the change adds."""
        ...


Publisher = Callable[[Review, Diff], None]
Redactor = Callable[[Diff], "tuple[Diff, int]"]


@dataclass
class Outcome:
    review: Review
    diff: Diff
    provider_error: ProviderError | None = None


def build_budget(provider: Provider, *, reserve: int = 2048, window: int | None = None) -> Budget:
    """The token budget for `provider`: its window (configured, reported, or the table) and a counter."""
    size = window or context_window(
        provider.name, provider.model, configured=None, probe=lambda: provider_window(provider)
    )
    return Budget(window=size, reserve=min(reserve, size // 3), count=counter_for(provider.name))


def _llm_pass(
    provider: Provider,
    diff: Diff,
    context: Context,
    target: ReviewTarget,
    renderer: Renderer,
    frameworks_for: Callable[[str], tuple[str, ...]] | None,
    progress: Callable[[str], None],
    budget: Budget,
    concurrency: int,
    cache: KeyedCache | None,
) -> LLMResult:
    """Plan the prompts within the budget and ask the model about each (see mochi.llm_plan, llm_pass)."""
    plan = cap_plan(plan_prompts(diff, context, target, renderer, budget, frameworks_for), budget)
    if len(plan.prompts) > 1:
        progress(
            f"{plan.reason or 'the change does not fit one prompt'} of {provider.model}: sending it in "
            f"{len(plan.prompts)} chunks, {min(concurrency, len(plan.prompts))} at a time"
        )
    result = run_llm_pass(
        provider, plan, concurrency=concurrency, progress=progress, cache=cache, reserve=budget.reserve
    )
    result.tickets = plan.context.tickets
    return result


def _merge_summaries(
    summaries: Iterable[Summary],
    findings: Sequence[Finding],
    llm: bool,
    tickets: Sequence[Ticket] = (),
    incomplete: int = 0,
) -> Summary:
    """One summary: the model's (merged across chunks), else one said from the findings. `incomplete`
    files the model reviewed only in part (its answer cut off): then "no issues" is not said."""
    summaries = list(summaries)
    verdicts = [v for s in summaries for v in s.ticket_compliance]
    compliance = complete_table(merge_compliance(verdicts), tickets) if (verdicts or tickets) and llm else ()
    merged = merge_summaries(list(summaries))
    if merged is not None:
        return merged.model_copy(update={"ticket_compliance": compliance})
    if compliance:
        return _merge_summaries((), findings, llm).model_copy(update={"ticket_compliance": compliance})
    if findings:
        worst = max(findings, key=lambda f: f.severity.rank).severity
        what = "built-in checks" if not llm else "review"
        text = f"The {what} found {len(findings)} issue(s); the most severe is {worst.value}."
        return Summary(overall_assessment=text)
    if llm and incomplete:
        return Summary(
            overall_assessment=f"No findings, but the model's review is incomplete: its answer was cut off "
            f"for {incomplete} file(s) (see the notices)."
        )
    return Summary(overall_assessment="No issues found." if llm else "The built-in checks found no issues.")


def _either(first: ReadFile, then: ReadFile | None) -> ReadFile:
    """`first`'s text, else `then`'s (a slower reader of the same files: asked only when needed)."""
    if then is None:
        return first
    second = then
    return lambda path: first(path) or second(path)


def _lengths(read_file: ReadFile) -> Callable[[str], int | None]:
    """path -> how many lines the new file has (None when it cannot be read): a model's line past the
    end of its file is no location (mochi.findings.anchor)."""
    known: dict[str, int | None] = {}

    def length(path: str) -> int | None:
        if path not in known:
            text = read_file(path)
            known[path] = None if text is None else len(text.split("\n")) - (1 if text.endswith("\n") else 0)
        return known[path]

    return length


def _scrubbed(f: Finding, scrub: Callable[[str], str]) -> Finding:
    suggestion = scrub(f.suggestion) if f.suggestion else f.suggestion
    return f.model_copy(update={"message": scrub(f.message), "suggestion": suggestion})


def _scrubbed_summary(s: Summary, scrub: Callable[[str], str]) -> Summary:
    return s.model_copy(
        update={
            "overall_assessment": scrub(s.overall_assessment),
            "key_concerns": tuple(scrub(c) for c in s.key_concerns),
            "recommendations": tuple(scrub(r) for r in s.recommendations),
        }
    )


def run(
    target: ReviewTarget,
    *,
    diff_source: DiffSource,
    context: Callable[[Diff], Context],
    renderer: Renderer,
    provider: Provider | None,
    publishers: Sequence[Publisher] = (),
    checker: Checker | None = None,
    read_file: ReadFile = lambda _path: None,
    read_repo: ReadFile | None = None,
    read_head: ReadFile | None = None,
    frameworks_for: Callable[[str], tuple[str, ...]] | None = None,
    redactor: Redactor | None = None,
    scrub: Callable[[str], str] | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    budget: Budget | None = None,
    concurrency: int = 1,
    inline_only: bool = False,
    suppress: bool = True,
    min_severity: Severity | None = None,
    known_rule: Callable[[str], bool] = lambda _rid: True,
    cache: KeyedCache | None = None,
    replay: LLMResult | None = None,
    on_llm: Callable[[LLMResult], None] | None = None,
) -> Outcome:
    """Review `target` and hand the Review to each publisher; see the module docstring.

    `budget` splits the model's context window (default: `build_budget(provider)`); the diff is
    sent in as many chunks as it needs, `concurrency` at a time. `inline_only` keeps only the
    findings on the diff's changed lines and file-level ones: an incremental review, whose
    earlier commits were reviewed before. `suppress` hides the findings that `mochi-ignore`
    comments name (mochi.suppress); `known_rule` tells a comment naming no rule from one that does.
    `min_severity` leaves the findings below it out of the review (every output and publisher),
    counted in `stats.findings_below_min_severity`.
    `cache` (mochi.cache) answers the prompts asked before without a model call. A chunk that
    fails is a notice; `Outcome.provider_error` is set only when no chunk was answered.
    `replay` is the model's pass of an earlier, completed review of the same change (mochi.llm_replay):
    used instead of asking the model. `on_llm` sees the pass before anything is published.
    """
    started = time.monotonic()
    diff = diff_source(target)
    progress(
        f"reviewing {len(diff.files)} file(s), {diff.lines_changed} changed line(s)"
        + (f"; {len(diff.skipped)} skipped" if diff.skipped else "")
    )
    raw: list[Finding] = []
    # the checks also see the binary files (a committed keystore.jks), which no prompt carries
    # and the deleted files' removed lines (code moved out of a deleted file is not new code)
    extra = diff.binaries + diff.deleted
    checked = diff.model_copy(update={"files": diff.files + extra}) if extra else diff
    if checker is not None and checked.files:
        raw += checker.review(checked, read_file, read_repo)
    notices: list[str] = []
    if redactor is not None:
        # from here on, neither the model nor any output sees the secret values
        diff, redacted = redactor(diff)
        if redacted:
            notices.append(f"{redacted} line(s) holding secrets are redacted in prompts and excerpts")
    llm = LLMResult()
    if provider is not None and diff.files:
        ctx = context(diff)
        notices += ctx.warnings
        budget = budget or build_budget(provider)
        if replay is not None:
            llm = replay
        else:
            llm = _llm_pass(
                provider, diff, ctx, target, renderer, frameworks_for, progress, budget, concurrency, cache
            )
        notices += llm.notices
        if scrub is not None:
            # the model may echo a secret it saw (a description, a ticket): never post it back
            llm.findings = [_scrubbed(f, scrub) for f in llm.findings]
            llm.summaries = [_scrubbed_summary(s, scrub) for s in llm.summaries]
        if on_llm is not None:
            on_llm(llm)  # scrubbed: what it keeps may be posted
        raw += llm.findings
    found, dropped = findings_mod.finalize(
        raw,
        checked.model_copy(update={"files": diff.files + diff.binaries}),
        file_length=_lengths(read_file),
        read_file=_either(read_file, read_head),
    )
    if inline_only:
        found = [f for f in found if f.anchored is Anchor.INLINE or f.line is None]
    hidden = 0
    if suppress and found:
        suppressed = suppress_mod.apply(found, checked, read_file, known_rules=known_rule)
        found, hidden = suppressed.kept, len(suppressed.hidden)
        if hidden:
            notices.append(f"{hidden} finding(s) hidden by mochi-ignore comments (--no-suppress shows them)")
        notices += [f"mochi-ignore at {where}" for where in suppressed.unknown[:5]]
    found, below = findings_mod.at_least(found, min_severity)
    if below:
        assert min_severity is not None
        notices.append(f"{below} finding(s) below {min_severity.value} severity not reported (min_severity)")
    if dropped:
        notices.append(f"{dropped} finding(s) on files outside the change were dropped")
    used = tuple(dict.fromkeys(f"{c.provider}/{c.model}" for c in llm.completions))
    if provider is not None and llm.answered and not used:
        used = (f"{provider.name}/{provider.model}",)  # every answer came from the cache
    if provider is not None and used and used[0] != f"{provider.name}/{provider.model}":
        notices.append(f"{provider.name}/{provider.model} failed; the review used {', '.join(used)}")
    stats = Stats(
        files_reviewed=len(diff.files),
        files_skipped=len(diff.skipped),
        lines_changed=diff.lines_changed,
        llm_calls=len(llm.completions),
        prompt_tokens=sum(c.prompt_tokens for c in llm.completions),
        completion_tokens=sum(c.completion_tokens for c in llm.completions),
        duration_s=round(time.monotonic() - started, 3),
        findings_dropped=dropped,
        findings_suppressed=hidden,
        findings_below_min_severity=below,
    )
    notices = [mask_credentials(n) for n in notices]  # notices are posted on pull requests
    review = Review(
        target=target,
        findings=tuple(found),
        summary=_merge_summaries(
            llm.summaries, found, llm=llm.answered > 0, tickets=llm.tickets, incomplete=len(llm.truncated)
        ),
        stats=stats,
        reviewed=tuple(f.path for f in diff.files),
        skipped=diff.skipped,
        providers_used=used,
        notices=tuple(notices),
        truncated=tuple(llm.truncated),
        chunks=llm.chunks,
        llm_error=str(llm.error) if llm.error is not None else None,
    )
    for publish in publishers:
        publish(review, diff)
    return Outcome(review=review, diff=diff, provider_error=llm.error)
