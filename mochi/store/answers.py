"""The model's answers kept in the record (table `llm_answers`), for machines that keep nothing.

A CI runner is thrown away after each job, so the answer cache in its data directory is always empty;
the record (MOCHI_DATABASE_URL) is what runs share. With a database configured, a review looks for an
answer in its data directory first, then here, and keeps a new answer in both (mochi.cache.Tiered).

The same bounds as the local cache: entries unused for MAX_AGE_DAYS go, then the least recently used
beyond MAX_BYTES, once per run before the first answer is written. Like the recorder, this never
fails a review: each database call gets ANSWER_TIMEOUT_S, and the first failure is one warning, after
which this run stops asking the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from mochi.cache import MAX_AGE_DAYS, MAX_BYTES
from mochi.models import Completion
from mochi.store.bounded import _bounded

if TYPE_CHECKING:
    from sqlalchemy import Engine

logger = logging.getLogger(__name__)

T = TypeVar("T")

ANSWER_TIMEOUT_S = 5.0


class RecordAnswers:
    """mochi.cache.AnswerCache over the record's `llm_answers` table."""

    def __init__(self, engine: Engine, *, where: str = "the record") -> None:
        self.engine = engine
        self.where = where
        self._down = False
        self._pruned = False
        self._lock = threading.Lock()

    def _call(self, what: str, action: Callable[[], T]) -> T | None:
        if self._down:
            return None
        try:
            return _bounded(action, ANSWER_TIMEOUT_S, what)
        except Exception as exc:
            from mochi.store.db import describe

            with self._lock:
                first, self._down = not self._down, True
            if first:
                logger.warning(
                    "the model's answers kept in %s are not available (%s); going on without them",
                    self.where,
                    describe(exc),
                )
            return None

    def get(self, key: str) -> Completion | None:
        """The answer kept under `key` (its use refreshed), or None."""
        from sqlalchemy import select, update

        from mochi.store.models import AnswerRow

        def read() -> Completion | None:
            with self.engine.begin() as conn:
                answer = conn.execute(select(AnswerRow.answer).where(AnswerRow.key == key)).scalar()
                if answer is None:
                    return None
                conn.execute(update(AnswerRow).where(AnswerRow.key == key).values(used_at=datetime.now(UTC)))
            return Completion.model_validate(answer)

        return self._call("read a kept answer", read)

    def put(self, key: str, completion: Completion) -> None:
        """Keep `completion` (a key already kept by another run is left as it is)."""
        from sqlalchemy import insert, select
        from sqlalchemy.exc import IntegrityError

        from mochi.store.models import AnswerRow

        with self._lock:
            first, self._pruned = not self._pruned, True
        if first:
            self.prune()
        answer = completion.model_dump(mode="json")
        now = datetime.now(UTC)

        def write() -> None:
            try:
                with self.engine.begin() as conn:
                    if conn.execute(select(AnswerRow.key).where(AnswerRow.key == key)).first() is not None:
                        return
                    conn.execute(
                        insert(AnswerRow).values(
                            key=key,
                            provider=completion.provider[:64],
                            model=completion.model[:255],
                            answer=answer,
                            size=len(completion.text.encode("utf-8")) + 256,
                            created_at=now,
                            used_at=now,
                        )
                    )
            except IntegrityError:
                pass  # another run kept the same answer a moment ago

        self._call("keep an answer", write)

    def prune(self, *, max_age_days: float = MAX_AGE_DAYS, max_bytes: int = MAX_BYTES) -> int:
        """Remove answers unused for `max_age_days`, then the least recently used beyond `max_bytes`."""
        from sqlalchemy import delete, func, select

        from mochi.store.models import AnswerRow

        def run() -> int:
            removed = 0
            with self.engine.begin() as conn:
                cutoff = datetime.now(UTC) - timedelta(days=max_age_days)
                removed += conn.execute(delete(AnswerRow).where(AnswerRow.used_at < cutoff)).rowcount or 0
                total = conn.execute(select(func.coalesce(func.sum(AnswerRow.size), 0))).scalar() or 0
                if total <= max_bytes:
                    return removed
                rows = conn.execute(select(AnswerRow.key, AnswerRow.size).order_by(AnswerRow.used_at)).all()
                doomed = []
                for row_key, size in rows:
                    if total <= max_bytes:
                        break
                    doomed.append(row_key)
                    total -= size
                for start in range(0, len(doomed), 500):
                    batch = doomed[start : start + 500]
                    removed += conn.execute(delete(AnswerRow).where(AnswerRow.key.in_(batch))).rowcount or 0
            return removed

        return self._call("prune the kept answers", run) or 0
