"""The one data path: target -> Diff -> Context -> Prompts -> Provider -> Findings -> Publishers.

`run()` takes every collaborator as an argument; cli.py builds them. It never raises for a
provider failure: the built-in findings are still a review, so the failure is returned in the
Outcome and the caller decides (after publishing) whether it is fatal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from mochi import findings as findings_mod
from mochi.answer import ModelAnswer, answer_json_schema
from mochi.errors import ProviderError, ProviderResponseError
from mochi.models import (
    Completion,
    Context,
    Diff,
    FileDiff,
    Finding,
    Prompt,
    Review,
    ReviewTarget,
    Stats,
    Summary,
)
from mochi.providers.base import Provider

logger = logging.getLogger(__name__)

# Diff characters per prompt: about 17k tokens, which fits the context window of the small
# local models we default to alongside the instructions and the answer.
PROMPT_BUDGET_CHARS = 60_000

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
    def review(self, diff: Diff, read_file: ReadFile) -> list[Finding]:
        """Findings of the built-in checks on what the change adds."""
        ...


Publisher = Callable[[Review, Diff], None]
Redactor = Callable[[Diff], "tuple[Diff, int]"]


@dataclass
class Outcome:
    review: Review
    diff: Diff
    provider_error: ProviderError | None = None


@dataclass
class _LLMResult:
    findings: list[Finding] = field(default_factory=list)
    summaries: list[Summary] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    error: ProviderError | None = None


def chunk_files(files: Sequence[FileDiff], budget_chars: int) -> list[list[FileDiff]]:
    """Group files into prompts of at most `budget_chars` of diff; a larger file goes alone.

    Every file lands in exactly one chunk, in order. (Token-exact budgets and hunk-level
    splitting of huge files come with the context-window work.)
    """
    chunks: list[list[FileDiff]] = []
    current: list[FileDiff] = []
    size = 0
    for f in files:
        cost = sum(len(ln.text) + 8 for h in f.hunks for ln in h.lines) + 200
        if current and size + cost > budget_chars:
            chunks.append(current)
            current, size = [], 0
        current.append(f)
        size += cost
    if current:
        chunks.append(current)
    return chunks


def _ask(provider: Provider, prompt: Prompt) -> tuple[ModelAnswer, list[Completion]]:
    """One model call, and one retry asking for valid JSON when the answer is unusable."""
    schema = answer_json_schema()
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


def _llm_pass(
    provider: Provider,
    diff: Diff,
    context: Context,
    target: ReviewTarget,
    renderer: Renderer,
    frameworks_for: Callable[[str], tuple[str, ...]] | None,
    progress: Callable[[str], None],
    budget_chars: int,
) -> _LLMResult:
    result = _LLMResult()
    chunks = chunk_files(diff.files, budget_chars)
    for i, chunk in enumerate(chunks, 1):
        prompt = renderer.render(chunk, context, target, frameworks_for=frameworks_for)
        where = f" [{i}/{len(chunks)}]" if len(chunks) > 1 else ""
        progress(f"asking {provider.name}/{provider.model}{where} about {len(chunk)} file(s)…")
        try:
            answer, completions = _ask(provider, prompt)
        except ProviderError as exc:
            result.error = exc
            return result
        result.completions += completions
        source = f"llm:{completions[-1].provider}/{completions[-1].model}"
        result.findings += findings_mod.from_answer(answer, source)
        result.summaries.append(findings_mod.summary_from_answer(answer))
    return result


def _merge_summaries(summaries: Iterable[Summary], findings: Sequence[Finding], llm: bool) -> Summary:
    parts = [s for s in summaries if s.overall_assessment or s.key_concerns or s.recommendations]
    if parts:
        concerns = tuple(dict.fromkeys(c for s in parts for c in s.key_concerns))
        recs = tuple(dict.fromkeys(r for s in parts for r in s.recommendations))
        text = "\n\n".join(s.overall_assessment for s in parts if s.overall_assessment)
        return Summary(overall_assessment=text, key_concerns=concerns, recommendations=recs)
    if findings:
        worst = max(findings, key=lambda f: f.severity.rank).severity
        what = "built-in checks" if not llm else "review"
        text = f"The {what} found {len(findings)} issue(s); the most severe is {worst.value}."
        return Summary(overall_assessment=text)
    return Summary(overall_assessment="No issues found." if llm else "The built-in checks found no issues.")


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
    frameworks_for: Callable[[str], tuple[str, ...]] | None = None,
    redactor: Redactor | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    prompt_budget_chars: int = PROMPT_BUDGET_CHARS,
) -> Outcome:
    """Review `target` and hand the Review to each publisher; see the module docstring."""
    started = time.monotonic()
    diff = diff_source(target)
    progress(
        f"reviewing {len(diff.files)} file(s), {diff.lines_changed} changed line(s)"
        + (f"; {len(diff.skipped)} skipped" if diff.skipped else "")
    )
    raw: list[Finding] = []
    if checker is not None and diff.files:
        raw += checker.review(diff, read_file)
    notices: list[str] = []
    if redactor is not None:
        # from here on, neither the model nor any output sees the secret values
        diff, redacted = redactor(diff)
        if redacted:
            notices.append(f"{redacted} line(s) holding secrets are redacted in prompts and excerpts")
    llm = _LLMResult()
    if provider is not None and diff.files:
        ctx = context(diff)
        llm = _llm_pass(provider, diff, ctx, target, renderer, frameworks_for, progress, prompt_budget_chars)
        raw += llm.findings
    found, dropped = findings_mod.finalize(raw, diff)
    if dropped:
        notices.append(f"{dropped} finding(s) on files outside the change were dropped")
    used = tuple(dict.fromkeys(f"{c.provider}/{c.model}" for c in llm.completions))
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
    )
    review = Review(
        target=target,
        findings=tuple(found),
        summary=_merge_summaries(llm.summaries, found, llm=bool(llm.completions)),
        stats=stats,
        reviewed=tuple(f.path for f in diff.files),
        skipped=diff.skipped,
        providers_used=used,
        notices=tuple(notices),
    )
    for publish in publishers:
        publish(review, diff)
    return Outcome(review=review, diff=diff, provider_error=llm.error)
