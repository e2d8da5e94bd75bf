"""Compose a local review from Settings: the diff source, readers, context, provider, publishers.

cli.py parses flags and environment into Settings and calls `execute()`; everything here gets
its inputs as arguments.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from mochi import findings as findings_mod
from mochi import pipeline
from mochi.budget import for_settings as budget_for
from mochi.context.frameworks import FrameworkDetection, scan_frameworks
from mochi.context.gather import TicketFetcher, commit_reader
from mochi.context.jira import from_settings as jira_tickets
from mochi.context.listing import repository_files
from mochi.context.repo import read_instructions
from mochi.diff.git import Git
from mochi.diff.parse import parse_diff
from mochi.diff.reader import make_readers
from mochi.diff.select import attributes_for, select_files
from mochi.diff.sources import local_diff_text, read_diff_file
from mochi.errors import EmptyChangeError, MochiError, PublishError
from mochi.models import Context, Diff, FileDiff, PriorFinding, ReviewTarget, TargetKind
from mochi.prompts.render import PromptRenderer
from mochi.providers.base import failure_notice
from mochi.publish.files import RENDERERS, parse_output_spec, render, write_output
from mochi.redaction import make_redactor, make_scrubber, redact_context, redact_target
from mochi.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mochi.store.recorder import Recorder

logger = logging.getLogger(__name__)

ReadFile = Callable[[str], "str | None"]


def make_diff_source(settings: Settings, git: Git | None) -> pipeline.DiffSource:
    def source(target: ReviewTarget) -> Diff:
        if target.kind is TargetKind.DIFF_FILE:
            text = read_diff_file(target.diff_file or "-", sys.stdin.buffer)
            if not text.strip():
                raise EmptyChangeError("nothing to review: the diff is empty")
        else:
            assert git is not None
            text = local_diff_text(git, target)
        files = parse_diff(text)
        if not files:
            raise EmptyChangeError(f"nothing to review: {target.label()} has no file changes")
        attrs = attributes_for(git, [f.path for f in files]) if git is not None else None
        return select_files(
            files,
            include=settings.scope.include,
            exclude=settings.scope.exclude,
            attributes=attrs,
            max_file_lines=settings.scope.max_file_lines,
        )

    return source


def _remembering(source: pipeline.DiffSource, files: dict[str, FileDiff]) -> pipeline.DiffSource:
    """A diff source that also tells `matching_reader` (through `files`) the files it produced."""

    def remember(target: ReviewTarget) -> Diff:
        diff = source(target)
        files.update({f.path: f for f in diff.files})
        return diff

    return remember


class ContextBuilder:
    """Builds the Context for a diff, and remembers which frameworks apply to which file."""

    def __init__(
        self,
        settings: Settings,
        read_repo: ReadFile,
        *,
        target: ReviewTarget | None = None,
        read_changed: ReadFile | None = None,
        tickets: TicketFetcher | None = None,
        commit_messages: Callable[[], Sequence[str]] = tuple,
        previous_findings: Sequence[PriorFinding] = (),
        list_files: Callable[[], Sequence[str]] | None = None,
    ) -> None:
        """`read_repo` reads convention files, manifests and related files: in a pull_request_target
        run pass a reader of the BASE branch (and build `settings` from the base branch's .mochi.toml),
        so a PR cannot rewrite the rules it is reviewed by. `tickets` fetches Jira tickets for the
        keys found in the target's branch, title, description and `commit_messages()`;
        `previous_findings` are earlier mochi findings on this change (comment markers or the store);
        `list_files()` the files `read_repo` can read (mochi.context.listing: design patterns).
        """
        self._settings = settings
        self._read_repo = read_repo
        self._target = target
        self._read_changed = read_changed or read_repo
        self._tickets = tickets
        self._commit_messages = commit_messages
        self._previous = tuple(previous_findings)
        self._list_files = list_files
        self.detection: FrameworkDetection | None = None

    def __call__(self, diff: Diff) -> Context:
        self.detection = scan_frameworks(self._read_repo, [f.path for f in diff.files])
        parts = [read_instructions(self._read_repo)]
        if self._settings.instructions:
            parts.append("### .mochi.toml\n\n" + self._settings.instructions)
        from mochi.context.gather import gather_context  # issue 5: tickets, related files, history

        extra = gather_context(
            self._settings, diff, target=self._target, tickets=self._tickets,
            commit_messages=self._commit_messages, read_changed=self._read_changed,
            read_repo=self._read_repo, previous_findings=self._previous, list_files=self._list_files,
        )  # fmt: skip
        instructions = "\n\n".join(p for p in parts if p)
        frameworks = self.detection.frameworks
        context = extra.model_copy(update={"frameworks": frameworks, "instructions": instructions})
        return redact_context(context)

    def frameworks_for(self, path: str) -> tuple[str, ...]:
        return self.detection.for_file(path) if self.detection is not None else ()


def _renderer(root: Path, stored: Mapping[str, str] | None = None) -> PromptRenderer:
    return PromptRenderer.for_repository(root, stored=stored)


def _checker(settings: Settings) -> Any:
    if not settings.builtin:
        return None
    from mochi.providers.builtin import BuiltinReviewer

    return BuiltinReviewer(settings.rules)


def _known_rule(rule_id: str) -> bool:
    from mochi.providers.builtin import RULES

    return rule_id in RULES


def _fallback_path() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return Path(tempfile.gettempdir()) / f"mochi-review-{stamp}-{os.getpid()}.json"


def execute(
    settings: Settings,
    target: ReviewTarget,
    *,
    git: Git | None,
    root: Path,
    outputs: Sequence[str],
    stdout: IO[str],
    color: bool,
    in_ci: bool,
    progress: Callable[[str], None],
    build_provider: Callable[[Settings], Any],
    recorder: Recorder | None = None,
    templates: Mapping[str, str] | None = None,
) -> int:
    """Run the review and write its outputs; return the exit status (errors raise MochiError).

    `recorder` (mochi.store) records the review's lifecycle; `templates` are stored prompt
    templates that replace the file templates of the same name.
    """
    specs = [parse_output_spec(spec) for spec in outputs]  # bad specs fail before any work
    target = redact_target(target)
    diff_files: dict[str, FileDiff] = {}  # what a --diff-file review's reader checks files against
    read_changed, read_repo = make_readers(git, target, diff_files)
    if recorder is not None:
        recorder.created(target, settings, repository=str(target.repo or root))
    try:
        provider = None if settings.effective_provider == "builtin" else build_provider(settings)
        if provider is None and not settings.builtin:
            raise MochiError("nothing would review this change: --provider builtin with builtin = false")

        read_line = _line_reader(read_changed)

        context = ContextBuilder(
            settings, read_repo, target=target, read_changed=read_changed,
            tickets=jira_tickets(settings), commit_messages=commit_reader(git, target),
            list_files=repository_files(git, read_repo),
        )  # fmt: skip
        budget, concurrency = (None, 1) if provider is None else budget_for(settings, provider)
        if recorder is not None:
            recorder.started()
        outcome = pipeline.run(
            target,
            diff_source=_remembering(make_diff_source(settings, git), diff_files),
            context=context,
            renderer=_renderer(root, templates),
            provider=provider,
            checker=_checker(settings),
            read_file=read_changed,
            read_repo=read_repo,
            suppress=settings.suppress,
            min_severity=settings.min_severity,
            known_rule=_known_rule,
            frameworks_for=context.frameworks_for,
            redactor=make_redactor(),
            scrub=make_scrubber(),
            progress=progress,
            budget=budget,
            concurrency=concurrency,
            cache=_answer_cache(settings, recorder),
        )
    except BaseException as exc:  # a crash, an empty change, ^C: the record says FAILED and why
        if recorder is not None:
            recorder.failed(exc)
        raise
    review = outcome.review
    if recorder is not None:
        provider_error = outcome.provider_error
        recorder.finished(
            review,
            error=str(provider_error) if provider_error is not None else None,
            # the chosen provider failed and the review will exit 3: a retry should run it again
            failed=provider_error is not None and (settings.provider_explicit or in_ci),
        )
    error = outcome.provider_error
    strict = settings.provider_explicit or in_ci
    hint = ""
    if error is not None:
        # the provider's own message: not reachable, a timeout naming timeout_s, a server that
        # failed, a model to pull... (never "not reachable" for a server that is up)
        hint = failure_notice(error, explicit=settings.provider_explicit)
        if settings.format != "text":
            # a JSON or SARIF consumer learns that the model did not run (a terminal has stderr)
            review = review.model_copy(update={"notices": (*review.notices, hint)})
    failed_outputs: list[str] = []
    for fmt, path in specs:
        try:
            write_output(path, render(fmt, review, diff=outcome.diff, read_line=read_line))
        except MochiError as exc:
            failed_outputs.append(str(exc).rstrip("."))
        except OSError as exc:
            failed_outputs.append(f"cannot write {path}: {exc.strerror}")
    # stdout last, so a broken --output is reported next to the review it lost
    stdout.write(render(settings.format, review, diff=outcome.diff, color=color, read_line=read_line))
    stdout.flush()
    if failed_outputs:
        fallback = _fallback_path()
        write_output(fallback, RENDERERS["json"](review))
        raise PublishError("; ".join(failed_outputs) + f". The review was saved to {fallback} instead.")
    error = outcome.provider_error
    if error is not None:
        if strict:
            raise error
        progress(hint + " (built-in checks only)")
    if settings.fail_on is not None and findings_mod.at_or_above(review.findings, settings.fail_on):
        return 1
    return 0


def review_selected(
    target: ReviewTarget,
    diff: Diff,
    settings: Settings,
    *,
    git: Git | None,
    read_changed: ReadFile,
    read_repo: ReadFile,
    templates_root: Path,
    build_provider: Callable[[Settings], Any],
    progress: Callable[[str], None],
    read_head: ReadFile | None = None,
    feedback: str = "",
    templates: Mapping[str, str] | None = None,
    recorder: Recorder | None = None,
    repository: str = "",
    inline_only: bool = False,
    publishers: Sequence[pipeline.Publisher] = (),
    replay: Any = None,
    on_llm: Callable[[Any], None] | None = None,
) -> pipeline.Outcome:
    """The review of a pull or merge request whose diff is already selected (mochi.platforms.hosted).

    The same composition as a local review: Jira tickets from the branch, title, description and
    commit messages, the model's own budget and concurrency, stored templates, redaction, and the
    record when one is configured. `feedback` (earlier comments on the change) joins the
    repository's instructions so the model does not repeat or reopen them. `replay` and
    `on_llm`: see pipeline.run.
    """
    target = redact_target(target)  # the PR's title and description are written by others
    builder = ContextBuilder(
        settings, read_repo, target=target, read_changed=read_changed,
        tickets=jira_tickets(settings), commit_messages=commit_reader(git, target),
        list_files=repository_files(git, read_repo),
    )  # fmt: skip

    def context(d: Diff) -> Context:
        ctx = builder(d)
        if feedback:
            joined = "\n\n".join(x for x in (ctx.instructions, feedback) if x)
            ctx = ctx.model_copy(update={"instructions": joined})
        return ctx

    if recorder is not None:
        recorder.created(target, settings, repository=repository or str(target.repo or templates_root))
    try:
        provider = None if settings.effective_provider == "builtin" else build_provider(settings)
        budget, concurrency = (None, 1) if provider is None else budget_for(settings, provider)
        if recorder is not None:
            recorder.started()
        outcome = pipeline.run(
            target,
            diff_source=lambda _t: diff,
            context=context,
            renderer=_renderer(templates_root, templates),
            provider=provider,
            checker=_checker(settings),
            read_file=read_changed,
            read_repo=read_repo,
            read_head=read_head,
            suppress=settings.suppress,
            min_severity=settings.min_severity,
            known_rule=_known_rule,
            frameworks_for=builder.frameworks_for,
            redactor=make_redactor(),
            scrub=make_scrubber(),
            progress=progress,
            budget=budget,
            concurrency=concurrency,
            cache=_answer_cache(settings, recorder),
            inline_only=inline_only,
            publishers=publishers,
            replay=replay,
            on_llm=on_llm,
        )
    except BaseException as exc:
        if recorder is not None:
            recorder.failed(exc)
        raise
    if recorder is not None:
        error = outcome.provider_error
        recorder.finished(outcome.review, error=str(error) if error else None, failed=error is not None)
    return outcome


def _answer_cache(settings: Settings, recorder: Recorder | None) -> Any:
    """The model's earlier answers (mochi.cache): in the data directory, and in the record when a
    database is configured (MOCHI_DATABASE_URL: what CI runners, thrown away after each job, share)."""
    from mochi.cache import for_settings
    from mochi.store.session import data_dir

    shared = recorder.answers() if recorder is not None and settings.record.database_url else None
    return for_settings(settings, data_dir(settings), shared)


def _line_reader(read_changed: ReadFile) -> Callable[[str, int], str | None]:
    def read_line(path: str, line: int) -> str | None:
        text = read_changed(path)
        if text is None:
            return None
        lines = text.splitlines()
        return lines[line - 1] if 0 < line <= len(lines) else None

    return read_line


def render_prompts(
    settings: Settings,
    target: ReviewTarget,
    *,
    git: Git | None,
    root: Path,
    build_provider: Callable[[Settings], Any] | None = None,
    templates: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """The prompts a review would send, for `mochi prompt`, chunked exactly as the review would.

    `build_provider` lets the budget use the model's own window (Ollama's /api/show); without it
    (or when the provider cannot be built, e.g. no API key yet) the window comes from the settings
    or the table of hosted models. `templates` are the stored templates (`mochi templates`).
    """
    read_changed, read_repo = make_readers(git, target)
    diff, _ = make_redactor()(make_diff_source(settings, git)(target))
    builder = ContextBuilder(
        settings, read_repo, target=target, read_changed=read_changed,
        tickets=jira_tickets(settings), commit_messages=commit_reader(git, target),
        list_files=repository_files(git, read_repo),
    )  # fmt: skip
    context = builder(diff)
    for warning in context.warnings:
        logger.warning("%s", warning)
    provider: Any = None
    if build_provider is not None and settings.effective_provider != "builtin":
        try:
            provider = build_provider(settings)
        except MochiError as exc:  # rendering needs no key; the review itself will say what is missing
            logger.info("sizing the prompts without the provider: %s", exc)
    budget, _ = budget_for(settings, provider if provider is not None else _NamedModel(settings))
    from mochi.llm_pass import plan_prompts

    plan = plan_prompts(diff, context, target, _renderer(root, templates), budget, builder.frameworks_for)
    return [(p.system, p.user) for p in plan.prompts]


class _NamedModel:
    """The provider name and model from the settings, for a budget without a provider."""

    def __init__(self, settings: Settings) -> None:
        self.name = settings.effective_provider
        self.model = settings.effective_model
