"""Reviews the server runs in the background: composed like `mochi review --head H --base B`, or
like `mochi review --pr OWNER/REPO#N` for a pull request (mochi.server.pulls).

A request composes the review at once (settings, model, target: its errors are the client's 400s)
and records it PENDING; a bounded pool of worker threads (`mochi serve --workers N`) then runs
mochi.review.execute on it, which records IN_PROGRESS, then COMPLETED or FAILED with its comments.

On shutdown (SIGTERM), reviews still waiting are marked FAILED at once; running ones get a short
grace period (`--shutdown-grace`), then are marked FAILED ("server stopped") and their recorder
writes nothing more. The worker threads are daemons: a review stuck in a model call cannot keep
the process alive.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mochi.errors import EmptyChangeError
from mochi.models import ReviewTarget
from mochi.providers.breaker import PROCESS_BREAKERS, BreakerRegistry
from mochi.store.recorder import Recorder

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mochi.diff.git import Git
    from mochi.server.pulls import PullSpec
    from mochi.settings import Settings
    from mochi.store.crypto import Cipher

logger = logging.getLogger(__name__)

STOPPED = "server stopped: the review did not finish before `mochi serve` shut down; retry it"
NOT_STARTED = "server stopped before the review started; retry it"


class ServerRecorder(Recorder):
    """A Recorder whose row is created by the request (so its id is answered at once), that keeps an
    empty change's row (FAILED: a client polls for it), and that stops writing once the server stopped."""

    def __init__(self, engine: Engine, *, stopped: threading.Event, resume_id: int | None = None) -> None:
        super().__init__(engine, resume_id=resume_id, where="the server's database")
        self._stopped = stopped
        self.ended = False
        self.hold = False  # see finished()
        self._held: tuple[Any, str | None, bool] | None = None
        self._posted: list[tuple[str, str | int, str | None]] = []

    def created(
        self, target: ReviewTarget, settings: Settings, *, repository: str, user_id: int | None = None
    ) -> None:
        if self.review_id is None:
            super().created(target, settings, repository=repository, user_id=user_id)

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def stopped(self) -> bool:
        """True once the server stopped: this recorder writes nothing more."""
        return self._stopped.is_set()

    def started(self) -> None:
        """IN_PROGRESS, once (a pull request's job starts before the hosted flow does)."""
        if not self._stopped.is_set() and not self._started:
            super().started()

    def finished(self, review: Any, *, error: str | None = None, failed: bool = False) -> None:
        self.ended = True
        if self.hold:
            # a pull request's review is posted after its results are known: COMPLETED is written
            # once the posting went well (release), never COMPLETED then FAILED (a client polling
            # for either would stop at the first)
            self._held = (review, error, failed)
            return
        if not self._stopped.is_set():
            super().finished(review, error=error, failed=failed)

    @property
    def holding(self) -> bool:
        return self._held is not None

    def posted(self, fingerprint: str, *, comment_id: str | int, url: str | None = None) -> None:
        if self.hold:
            self._posted.append((fingerprint, comment_id, url))  # the comments are written at release
            return
        super().posted(fingerprint, comment_id=comment_id, url=url)

    def release(self, *, failure: str | None = None) -> None:
        """Write the held results: as they are, or FAILED with `failure` (the findings kept)."""
        held, self._held, self.hold = self._held, None, False
        if held is None:
            return
        review, error, failed = held
        if failure is not None:
            error, failed = failure, True
        self.finished(review, error=error, failed=failed)
        for fingerprint, comment_id, url in self._posted:
            self.posted(fingerprint, comment_id=comment_id, url=url)
        self._posted.clear()

    def failed(self, exc: BaseException) -> None:
        self.ended = True
        if self._stopped.is_set():
            return
        review_id = self.review_id
        if isinstance(exc, EmptyChangeError) and review_id is not None:
            from mochi.store import reviews

            details = {"error_type": type(exc).__name__}
            self._try(
                "record the failure",
                lambda: reviews.fail_review(self._engine, review_id, str(exc), details=details),
            )
            return
        super().failed(exc)


@dataclass
class Job:
    """One composed review, ready to run: a checkout's range, or (`pull`) a pull request."""

    review_id: int
    settings: Settings
    target: ReviewTarget
    git: Git | None
    root: Path
    recorder: ServerRecorder
    templates: Mapping[str, str] = field(default_factory=dict)
    pull: PullSpec | None = None
    breakers: BreakerRegistry | None = None  # None: the process's (PROCESS_BREAKERS)


def run_review(job: Job) -> None:
    """mochi.review.execute on the job, as `mochi review` runs it; its output goes nowhere (the record
    has it). A pull request runs as `mochi review --pr` does (mochi.server.pulls.run_pull)."""
    from mochi.commands.compose import build_provider
    from mochi.review import execute

    if job.pull is not None:
        from mochi.server.pulls import run_pull

        run_pull(job)
        return

    def progress(line: str) -> None:
        logger.info("review %s: %s", job.review_id, line)

    try:
        execute(
            job.settings,
            job.target,
            git=job.git,
            root=job.root,
            outputs=(),
            stdout=io.StringIO(),
            color=False,
            in_ci=False,
            progress=progress,
            build_provider=partial(build_provider, breakers=job.breakers),
            recorder=job.recorder,
            templates=job.templates,
        )
    except Exception as exc:  # recorded already (FAILED and why); the log names it too
        logger.warning("review %s failed: %s", job.review_id, exc)
        if not job.recorder.ended:
            job.recorder.failed(exc)


class Busy(Exception):
    """The runner is full, or stopping."""


class Runner:
    """A bounded pool of daemon worker threads running Jobs (see the module docstring)."""

    def __init__(
        self,
        engine: Engine,
        *,
        workers: int = 2,
        grace_s: float = 5.0,
        max_pending: int = 1000,
        run: Callable[[Job], None] = run_review,
    ) -> None:
        self._engine = engine
        self._workers = workers
        self._grace_s = grace_s
        self._max_pending = max_pending
        self._run = run
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Condition()
        self._running: dict[int, Job] = {}
        self._threads: list[threading.Thread] = []
        self._closing = False
        self.stopped = threading.Event()

    @property
    def workers(self) -> int:
        return self._workers

    @property
    def engine(self) -> Engine:
        return self._engine

    def recorder(self, resume_id: int | None = None) -> ServerRecorder:
        """A recorder that stops writing when this runner stops."""
        return ServerRecorder(self._engine, stopped=self.stopped, resume_id=resume_id)

    def check_open(self) -> None:
        """Busy when no job can be accepted now (before a request records anything)."""
        if self._closing:
            raise Busy("the server is shutting down")
        if self._queue.qsize() >= self._max_pending:
            raise Busy(f"{self._max_pending} reviews are waiting already; try again later")

    def submit(self, job: Job) -> None:
        """Queue `job`; Busy when stopping."""
        with self._lock:
            if self._closing:
                raise Busy("the server is shutting down")
            if not self._threads:
                for i in range(self._workers):
                    thread = threading.Thread(target=self._work, name=f"mochi-review-{i}", daemon=True)
                    thread.start()
                    self._threads.append(thread)
            self._queue.put(job)

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            with self._lock:
                if self._closing:
                    continue  # shutdown marks it FAILED
                self._running[job.review_id] = job
            try:
                self._run(job)
            except Exception:  # never let one review end a worker
                logger.exception("review %s: the runner failed", job.review_id)
            finally:
                with self._lock:
                    self._running.pop(job.review_id, None)
                    self._lock.notify_all()

    def shutdown(self) -> None:
        """Fail what waits; give what runs `grace_s` to finish; fail the rest (see the module docstring)."""
        from mochi.store import reviews

        with self._lock:
            self._closing = True
        waiting: list[Job] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                waiting.append(item)
        deadline = time.monotonic() + self._grace_s
        with self._lock:
            while self._running and time.monotonic() < deadline:
                self._lock.wait(timeout=max(0.0, deadline - time.monotonic()))
            self.stopped.set()
            unfinished = list(self._running)
        for job, reason in [(j.review_id, NOT_STARTED) for j in waiting] + [(i, STOPPED) for i in unfinished]:
            try:
                reviews.fail_review(self._engine, job, reason, details={"error_type": "ServerStopped"})
            except Exception as exc:
                logger.warning("could not mark review %s FAILED: %s", job, exc)
        for _ in self._threads:
            self._queue.put(None)
        if waiting or unfinished:
            logger.warning(
                "stopped with %d review(s) unfinished, marked FAILED", len(waiting) + len(unfinished)
            )


@dataclass
class Composer:
    """What the server composes every review from: its environment, the record, the checkouts allowed."""

    engine: Engine
    cipher: Cipher
    environ: Mapping[str, str]
    roots: tuple[Path, ...] = ()
    # the providers' circuit breakers every review of this server shares (and /metrics reports)
    breakers: BreakerRegistry = field(default_factory=lambda: PROCESS_BREAKERS)


def compose_review(
    composer: Composer,
    git: Git,
    *,
    base: str,
    head: str,
    options: Mapping[str, Any],
) -> tuple[Settings, ReviewTarget, dict[str, str]]:
    """Settings (server's environment < flags from `options`; the record's default model, Jira and
    templates) and the target `base...head`, as `mochi review --base B --head H` composes them.

    `options`: ai_model ("provider/model", a provider, or a stored model's name), min_severity,
    include_design_patterns, include_jira_context, and a retry's include/exclude/fallback/builtin.
    Raises ApiError/MochiError (the client's 400) for a model or value that is not valid.
    """
    from mochi.events.local import local_target

    settings, templates = compose_settings(composer, options, root=Path(git.toplevel()), base=base)
    target = local_target(git, base=base, head=head, staged=False, diff_file=None, environ={})
    return settings, target, templates


def compose_settings(
    composer: Composer, options: Mapping[str, Any], *, root: Path | None, base: str | None = None
) -> tuple[Settings, dict[str, str]]:
    """The settings and stored templates of a review (see compose_review): with the checkout's
    `.mochi.toml` at `root` (untrusted: it tunes the review only), or none (`root` None: a pull
    request, read through the API)."""
    from mochi.commands.compose import load_settings
    from mochi.settings import load
    from mochi.store import session
    from mochi.store.templates import active_templates

    flags: dict[str, Any] = {
        "min_severity": options.get("min_severity"),
        "include_design_patterns": options.get("include_design_patterns"),
    }
    if base is not None:
        flags["base"] = base
    for key in ("include", "exclude", "fallback"):
        if options.get(key):
            flags[key] = tuple(options[key])
    if options.get("builtin") is False:
        flags["builtin"] = False
    stored = _model(composer, flags, options)
    if root is None:
        settings, origin = load(composer.environ, flags, None)
    else:
        settings, origin = load_settings(composer.environ, flags, root, trust_file=False)
    store = session.ReviewStore(settings=settings, origin=dict(origin))
    if stored is not None:
        config, api_key = stored
        from mochi.store import model_configs

        store.settings = model_configs.settings_for(store.settings, config, api_key)
    else:
        session.apply_default_model(composer.engine, store)
    if options.get("include_jira_context") is False:
        store.settings = store.settings.with_values({"jira_url": None})
    else:
        session.apply_jira(composer.engine, store)
    return store.settings, active_templates(composer.engine)


def _model(
    composer: Composer, flags: dict[str, Any], options: Mapping[str, Any]
) -> tuple[dict[str, Any], str | None] | None:
    """Put ai_model into `flags`; a stored model's configuration and key when it names one."""
    from mochi.providers.registry import PROVIDERS
    from mochi.server.envelope import ApiError
    from mochi.store import model_configs
    from mochi.store.errors import NotFoundError

    name = options.get("ai_model")
    if not name:
        if options.get("provider"):  # a retry: what the review was asked with
            flags.update(provider=options["provider"], model=options.get("model"))
        return None
    try:
        config = model_configs.get_model(composer.engine, str(name))
    except NotFoundError:
        config = None
    if config is not None:
        if not config.get("is_active", True):
            raise ApiError(400, f"the model '{name}' is not active (`PUT /api/models/{name}`)")
        encrypted = model_configs.encrypted_key(composer.engine, int(config["id"]))
        api_key = composer.cipher.decrypt(encrypted) if encrypted else None
        flags.update(provider=config["provider"])  # explicit: an unreachable model fails the review
        return config, api_key
    provider, _, model = str(name).partition("/")
    if provider not in (*PROVIDERS, "builtin"):
        known = ", ".join(sorted((*PROVIDERS, "builtin")))
        raise ApiError(
            400,
            f"ai_model '{name}' is neither a stored model (`GET /api/models`) nor 'provider/model' "
            f"with a provider among {known}",
        )
    flags.update(provider=provider, model=model or None)
    return None
