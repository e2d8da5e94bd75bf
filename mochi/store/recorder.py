"""The lifecycle a review records: PENDING -> IN_PROGRESS -> COMPLETED or FAILED.

    recorder.created(target, settings, repository=...)   PENDING      + history CREATED
                                                         (review_type, repo_path or github_owner/_repo)
    recorder.started()                                   IN_PROGRESS  + history STARTED
    recorder.finished(review, error=..., failed=...)     COMPLETED/FAILED + every finding, ai_model
    recorder.failed(exc)                                 FAILED       + history FAILED {"error": ...}
    recorder.posted(fingerprint, comment_id=..., url=...)   where a publisher posted a finding

A recorder never fails a review: every failure to write is one warning on stderr, after which the
recorder stops trying (the database is gone). When the results cannot be written, the review is
saved as JSON in a temporary file, named in the warning, so it is not lost. A crash between
`started` and `finished` leaves an IN_PROGRESS row that `mochi reviews retry` re-runs.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mochi.errors import EmptyChangeError
from mochi.models import Review, ReviewTarget, TargetKind
from mochi.store.bounded import RECORD_TIMEOUT_S, _bounded

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mochi.settings import Settings
    from mochi.store.answers import RecordAnswers

logger = logging.getLogger(__name__)

T = TypeVar("T")


class Recorder:
    """Writes one review's lifecycle to the database `engine` (see the module docstring).

    `resume_id` re-runs a recorded review in its own row (`mochi reviews retry`).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        resume_id: int | None = None,
        where: str = "the database",
        timeout_s: float = RECORD_TIMEOUT_S,
    ) -> None:
        self._engine = engine
        self._timeout_s = timeout_s
        self._where = where
        self.review_id: int | None = resume_id
        self._resume = resume_id is not None
        self._broken = False
        self._started = False
        self._done = False

    def answers(self) -> RecordAnswers:
        """The model's answers kept in this record (mochi.store.answers), for the answer cache."""
        from mochi.store.answers import RecordAnswers

        return RecordAnswers(self._engine, where=self._where)

    # ------------------------------------------------------------------ lifecycle

    def created(
        self, target: ReviewTarget, settings: Settings, *, repository: str, user_id: int | None = None
    ) -> None:
        """The PENDING row (or, for a retry, nothing yet: the row exists).

        `repository`: the checkout path of a local review (recorded as LOCAL with its repo_path), or
        the hosted "owner/name" of a pull/merge request (PR with github_owner and github_repo); see
        mochi.store.reviews.locate. `user_id`: who asked, when a server knows.
        """
        if self._resume:
            return
        from mochi import __version__
        from mochi.store import reviews

        options = run_options(settings, target)
        self.review_id = self._try(
            "record the review",
            lambda: reviews.create_review(
                self._engine,
                target,
                repository=repository,
                options=options,
                requested_provider=settings.effective_provider,
                requested_model=settings.effective_model,
                mochi_version=__version__,
                user_id=user_id,
            ),
        )

    def started(self) -> None:
        from mochi.store import reviews

        review_id = self.review_id
        if review_id is None:
            return
        self._started = True
        self._try(
            "record the start of the review",
            lambda: reviews.start_review(self._engine, review_id, retry=self._resume),
        )

    def finished(self, review: Review, *, error: str | None = None, failed: bool = False) -> None:
        """Results and findings; FAILED when `failed` (the chosen provider failed in strict mode)."""
        from mochi.store import model_configs, reviews

        review_id = self.review_id
        self._done = True
        if review_id is None:
            return

        def write() -> None:
            provider, _, model = (review.providers_used[-1] if review.providers_used else "").partition("/")
            cost = model_configs.cost_of(
                self._engine, provider, model, review.stats.prompt_tokens, review.stats.completion_tokens
            )
            reviews.complete_review(self._engine, review_id, review, cost=cost, error=error, failed=failed)

        self._try("record the review's results", write, review=review)

    def failed(self, exc: BaseException) -> None:
        """FAILED with the error (an interrupted review says so)."""
        from mochi.store import reviews

        review_id = self.review_id
        if review_id is None or self._done:
            return
        self._done = True
        if isinstance(exc, EmptyChangeError) and not self._resume:
            # nothing was reviewed: a FAILED row for every `mochi review` on a clean tree is noise
            self._try("forget the empty review", lambda: reviews.delete_review(self._engine, review_id))
            return
        message = "interrupted" if isinstance(exc, KeyboardInterrupt) else (str(exc) or type(exc).__name__)
        details = {"error_type": type(exc).__name__}
        self._try(
            "record the failure",
            lambda: reviews.fail_review(self._engine, review_id, message, details=details),
        )

    def posted(self, fingerprint: str, *, comment_id: str | int, url: str | None = None) -> None:
        """Remember the comment a publisher posted for the finding with this fingerprint."""
        from mochi.store import reviews

        review_id = self.review_id
        if review_id is None:
            return
        self._try(
            "record a posted comment",
            lambda: reviews.record_posted_comment(
                self._engine, review_id, fingerprint, comment_id=comment_id, url=url
            ),
        )

    # ------------------------------------------------------------------ internals

    def _try(self, what: str, action: Callable[[], T], *, review: Review | None = None) -> T | None:
        if self._broken:
            return None
        try:
            return _bounded(action, self._timeout_s, what)
        except Exception as exc:  # a record must never fail the review it records
            from mochi.store.db import describe

            self._broken = True
            saved = ""
            if review is not None:
                path = _save(review)
                saved = f"; the review is saved in {path}" if path else ""
            logger.warning(
                "could not %s in %s (%s): the review goes on without a record%s",
                what,
                self._where,
                describe(exc),
                saved,
            )
            return None


def run_options(settings: Settings, target: ReviewTarget) -> dict[str, Any]:
    """What a retry needs besides the target; never a secret."""
    options: dict[str, Any] = {
        "provider": settings.providers.provider,
        "model": settings.providers.model,
        "fallback": list(settings.providers.fallback),
        "include": list(settings.scope.include),
        "exclude": list(settings.scope.exclude),
        "builtin": settings.builtin,
    }
    # what a retry must keep besides the model (the server's `severity_level` and design patterns)
    if settings.min_severity is not None:
        options["min_severity"] = settings.min_severity.value
    if settings.include_design_patterns:
        options["include_design_patterns"] = True
    if target.kind is TargetKind.DIFF_FILE and target.diff_file and target.diff_file != "-":
        options["diff_file"] = str(Path(target.diff_file).resolve())
    return options


def _save(review: Review) -> Path | None:
    from mochi.publish.files import RENDERERS

    stamp = time.strftime("%Y%m%d-%H%M%S")
    path = Path(tempfile.gettempdir()) / f"mochi-unrecorded-{stamp}-{os.getpid()}.json"
    try:
        path.write_text(RENDERERS["json"](review), encoding="utf-8")
    except OSError:
        return None
    return path
