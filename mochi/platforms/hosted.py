"""One review flow for every code host: load the change's state, plan the diff, review, publish.

A host (GitHub, GitLab; Jenkins only picks one) is an adapter of the `HostedChange` protocol: it
loads what the host knows about the change (its metadata, earlier comments and threads, the
fingerprints mochi already posted, the head of the last review), plans the diff (the whole change,
or only what was pushed since the last review), gives the file readers, and gives the publisher
that posts the review. `run_hosted` does everything else once, the same way for every host:
file selection, the review's composition (tickets, budget, stored templates, the record), the
incremental filter, the output files (written whatever happens to posting), and `exit_status`
computes the exit status once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from mochi import findings as findings_mod
from mochi.diff.git import Git
from mochi.diff.select import attributes_for, select_files
from mochi.diff.sources import RawDiff
from mochi.errors import HostAPIError, MochiError, PublishError
from mochi.llm_pass import LLMResult
from mochi.llm_replay import decode as decode_answers
from mochi.llm_replay import encode as encode_answers
from mochi.models import Diff, FileDiff, Review, ReviewTarget
from mochi.settings import Settings

if TYPE_CHECKING:
    from mochi.store.recorder import Recorder

logger = logging.getLogger(__name__)

ReadFile = Callable[[str], "str | None"]


# --------------------------------------------------------------------------- what an adapter gives


@dataclass(frozen=True)
class ChangeState:
    """What the host knows about the change before the review."""

    target: ReviewTarget  # title, description, number, url, branches, head (base_sha is planned)
    head_sha: str
    feedback: str = ""  # earlier comments on the change, as a prompt section
    posted: frozenset[str] = frozenset()  # fingerprints mochi already posted on it
    last_reviewed: str | None = None  # the head the last review described (for incremental reviews)
    answers: str | None = None  # the model's answers of that review (mochi.llm_replay), when complete
    native: Any = None  # the host's own state (PullRequestState, MRState), for its publisher


@dataclass(frozen=True)
class DiffPlan:
    """The change to review and the change's whole diff (which decides where comments may go)."""

    review_raw: RawDiff  # what the model and the checks see (unfiltered)
    full_files: tuple[FileDiff, ...]  # the whole change, base..head
    range_base: str | None  # where the reviewed range starts
    incremental: bool  # only the commits after the last review
    scope: str  # a sentence for the summary and the log


@dataclass(frozen=True)
class Readers:
    """`changed`: a changed file's new content; `repo`: any file the context needs (conventions,
    manifests, related files), from the trusted commit."""

    changed: ReadFile
    repo: ReadFile
    # a changed file's exact text at the head even without a checkout (through the host's API, each
    # file read once and only when needed): it tells copies of one line of code apart, so that a
    # remark on a new copy is not taken for the one an earlier run posted (mochi.findings)
    head: ReadFile | None = None


@dataclass
class PublishReport:
    """What the publishers did: where they posted, what failed, which files they wrote."""

    urls: dict[str, str] = field(default_factory=dict)  # review_url, summary_url, check_run_url
    failures: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # json, codequality, junit, ...
    posted: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # fingerprint -> (id, url)
    notes: list[str] = field(default_factory=list)  # one line each for the log
    # the model's answers of this run, packed (mochi.llm_replay): the summary keeps them so that a
    # re-run on the same head asks the model nothing; None when the pass was not complete
    llm_record: str | None = None

    def attempt(self, what: str, action: Callable[[], None]) -> bool:
        """Run `action`; a failure to post or write is recorded, not raised. True when it worked."""
        try:
            action()
        except (HostAPIError, PublishError) as exc:
            self.failures.append(f"{what}: {exc}")
            return False
        return True


class HostPublisher(Protocol):
    """Posts a review on the host; failures go into the PublishReport it was given."""

    def start(self) -> None:
        """Before anything is read (e.g. an in-progress check run)."""
        ...

    def prepare(self, state: ChangeState, plan: DiffPlan) -> None:
        """What was loaded and planned: posted fingerprints, the whole diff, the summary to edit."""
        ...

    def publish(self, review: Review, diff: Diff) -> None:
        """Post the review."""
        ...

    def abort(self, message: str) -> None:
        """The review could not finish: say so where the host shows it."""
        ...


class HostedChange(Protocol):
    """One change on a code host (see the module docstring)."""

    label: str  # "pull request octo/app#7", for messages

    def load_state(self) -> ChangeState:
        """Read the change's metadata and what earlier runs and reviewers left on it."""
        ...

    def plan_diff(self, state: ChangeState, *, full_review: bool) -> DiffPlan:
        """The whole change, or the commits pushed since the last review."""
        ...

    def readers(self, state: ChangeState) -> Readers:
        """Cached readers of the changed files and of the trusted repository files."""
        ...

    def publisher(self, report: PublishReport) -> HostPublisher:
        """What posts this review (it prints instead in a dry run)."""
        ...


class WorkflowLog(Protocol):
    """Log sections and annotations of the CI's log (GitHub Actions' workflow commands), or nothing.

    Sections follow each other (the Actions log cannot nest its groups): starting one ends the last.
    """

    def section(self, title: str) -> None:
        """Start a collapsible section (ending the one before)."""
        ...

    def end_section(self) -> None:
        """End the open section, if any."""
        ...

    def notice(self, message: str) -> None:
        """A notice annotation."""
        ...

    def warning(self, message: str) -> None:
        """A warning annotation."""
        ...

    def error(self, message: str) -> None:
        """An error annotation."""
        ...


class PlainLog:
    """A log with no workflow commands: groups are nothing, annotations are progress lines."""

    def __init__(self, progress: Callable[[str], None]) -> None:
        self._progress = progress

    def section(self, title: str) -> None:
        """Nothing: a terminal or a Jenkins log has no sections."""

    def end_section(self) -> None:
        """Nothing."""

    def notice(self, message: str) -> None:
        """A progress line."""
        self._progress(message)

    def warning(self, message: str) -> None:
        """A progress line."""
        self._progress(f"warning: {message}")

    def error(self, message: str) -> None:
        """Errors reach stderr through the exit's error message; nothing here."""


class NullPublisher:
    """Posts nothing (a branch pipeline, a push without a check run)."""

    def start(self) -> None:
        """Nothing."""

    def prepare(self, state: ChangeState, plan: DiffPlan) -> None:
        """Nothing."""

    def publish(self, review: Review, diff: Diff) -> None:
        """Nothing."""

    def abort(self, message: str) -> None:
        """Nothing."""


# Something written whatever happens to posting: the JSON file, Code Quality, JUnit, stdout.
Output = Callable[[Review, Diff, PublishReport], None]
# Runs after everything else was published, e.g. the Actions outputs and job summary.
Finisher = Callable[["HostedResult", Settings], None]


@dataclass
class HostedDeps:
    """What every hosted review needs, composed once by the command that runs it."""

    settings: Settings
    git: Git | None
    root: Path  # the checkout, or the current directory
    build_provider: Callable[[Settings], Any]
    progress: Callable[[str], None]
    stdout: IO[str]
    log: WorkflowLog
    outputs: Sequence[Output] = ()
    finishers: Sequence[Finisher] = ()
    templates: Mapping[str, str] | None = None  # stored templates (`mochi templates`)
    templates_root: Path | None = None  # pull_request_target: the base branch's .mochi/prompts
    recorder: Recorder | None = None
    repository: str = ""  # owner/name or the GitLab project, for the record


@dataclass
class HostedResult:
    review: Review
    diff: Diff
    report: PublishReport
    provider_error: MochiError | None = None


# --------------------------------------------------------------------------- the one flow


def select(raw: RawDiff, settings: Settings, git: Git | None) -> Diff:
    """Filter the files (include/exclude, generated, lockfiles...) and keep the host's skipped ones."""
    files = list(raw.files)
    attrs = attributes_for(git, [f.path for f in files]) if git is not None and files else None
    diff = select_files(
        files,
        include=settings.scope.include,
        exclude=settings.scope.exclude,
        attributes=attrs,
        max_file_lines=settings.scope.max_file_lines,
    )
    return diff.model_copy(update={"skipped": diff.skipped + raw.skipped}) if raw.skipped else diff


def run_hosted(change: HostedChange, deps: HostedDeps, *, full_review: bool = False) -> HostedResult:
    """Review `change` and publish it (see the module docstring); errors raise MochiError."""
    from mochi.review import review_selected

    settings = deps.settings
    report = PublishReport()
    poster = change.publisher(report)
    poster.start()
    published: list[Review] = []  # the review as published, when it differs from the pipeline's

    def publish(review: Review, diff: Diff) -> None:
        if review.llm_error is not None:
            # said wherever the review is read: the check, the summary, the files
            notice = (
                f"The model pass did not run ({review.llm_error}); only the built-in checks "
                "reviewed this change."
            )
            review = review.model_copy(update={"notices": (*review.notices, notice)})
            published.append(review)
        # the files first: whatever happens to posting, the findings are written somewhere
        deps.log.section("Sonar-Mochi: publishing")
        for output in deps.outputs:
            output(review, diff, report)
        poster.publish(review, diff)

    try:
        deps.log.section(f"Sonar-Mochi: reading the {change.label}")
        state = change.load_state()
        plan = change.plan_diff(state, full_review=full_review)
        deps.progress(f"{change.label}: reviewing {plan.scope} ({plan.review_raw.source})")
        poster.prepare(state, plan)
        target = state.target.model_copy(update={"base_sha": plan.range_base or state.target.base_sha})
        diff = select(plan.review_raw, settings, deps.git)
        readers = change.readers(state)
        replay = _replay(state, settings, full_review=full_review, progress=deps.progress)

        def keep(llm: LLMResult) -> None:
            report.llm_record = encode_answers(llm)

        deps.log.section("Sonar-Mochi: review")
        outcome = review_selected(
            target,
            diff,
            settings,
            git=deps.git,
            read_changed=readers.changed,
            read_repo=readers.repo,
            read_head=readers.head,
            templates_root=deps.templates_root or deps.root,
            build_provider=deps.build_provider,
            progress=deps.progress,
            feedback=state.feedback,
            templates=deps.templates,
            recorder=deps.recorder,
            repository=deps.repository,
            # earlier commits were reviewed already: keep what is on the new commits' lines
            inline_only=plan.incremental,
            publishers=[publish],
            replay=replay,
            on_llm=keep,
        )
    except MochiError as exc:
        poster.abort(str(exc))
        raise
    except BaseException as exc:  # ^C, a cancelled job (SIGTERM), a crash: close the check all the same
        poster.abort("the review was interrupted" if isinstance(exc, KeyboardInterrupt) else repr(exc)[:500])
        raise
    finally:
        deps.log.end_section()
    if deps.recorder is not None:
        for fingerprint, (comment_id, url) in report.posted.items():
            deps.recorder.posted(fingerprint, comment_id=comment_id, url=url)
    for note in report.notes:
        deps.progress(note)
    review = published[-1] if published else outcome.review
    result = HostedResult(review, outcome.diff, report, outcome.provider_error)
    for finish in deps.finishers:
        finish(result, settings)
    return result


def _replay(
    state: ChangeState, settings: Settings, *, full_review: bool, progress: Callable[[str], None]
) -> LLMResult | None:
    """The model's answers of the completed review of this very head, or None (ask the model)."""
    if full_review or not settings.cache or not state.answers or state.last_reviewed != state.head_sha:
        return None
    llm = decode_answers(state.answers)
    if llm is not None:
        progress(f"{state.head_sha[:7]} was reviewed already: reusing the model's answers (no model call)")
        llm.notices.append(
            f"the model's answers are those of the completed review of {state.head_sha[:7]} (no model "
            "call); a full review (`/mochi full-review`) or --no-cache asks the model again"
        )
    return llm


def fails(review: Review, settings: Settings) -> bool:
    """True when a finding is at or above `fail_on`."""
    return settings.fail_on is not None and findings_mod.at_or_above(review.findings, settings.fail_on)


def exit_status(result: HostedResult, settings: Settings) -> int:
    """0 ok, 1 a finding at or above fail_on; raises PublishError (6) when something could not be
    posted or written (the rest was), and the model's error (3) when it failed."""
    report = result.report
    if report.failures:
        where = f" The findings are in {report.files['json']}." if "json" in report.files else ""
        raise PublishError("could not post everything: " + "; ".join(report.failures) + "." + where)
    if result.provider_error is not None:
        # in CI a failed model is an error, after the built-in findings were written and posted
        raise result.provider_error
    return 1 if fails(result.review, settings) else 0
