"""The review queue in `/metrics`, read at scrape time.

mochi_queue_jobs{status}                 jobs by status (todo, doing, succeeded, failed, cancelled)
mochi_queue_oldest_waiting_seconds       age of the oldest job waiting (0 when none waits)
mochi_queue_job_duration_seconds         how long the jobs finished in the last hour ran (histogram,
                                         from each job's last start to its end)

On PostgreSQL they come from procrastinate's tables, in the record's database; with jobs in the
server's process (SQLite), only the jobs waiting there are known.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text

logger = logging.getLogger(__name__)

STATUSES = ("todo", "doing", "succeeded", "failed", "cancelled")
BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)

_COUNTS = text(
    "SELECT status::text, count(*) FROM procrastinate_jobs WHERE queue_name = :queue GROUP BY status"
)
_OLDEST = text(
    "SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(e.at)), 0) FROM procrastinate_jobs j "
    "JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred' "
    "WHERE j.queue_name = :queue AND j.status = 'todo'"
)
_DURATIONS = text(
    "SELECT EXTRACT(EPOCH FROM f.at - s.at) FROM procrastinate_jobs j "
    "JOIN LATERAL (SELECT max(at) AS at FROM procrastinate_events "
    "              WHERE job_id = j.id AND type IN ('succeeded', 'failed')) f ON true "
    "JOIN LATERAL (SELECT max(at) AS at FROM procrastinate_events "
    "              WHERE job_id = j.id AND type = 'started') s ON true "
    "WHERE j.queue_name = :queue AND j.status IN ('succeeded', 'failed') "
    "AND f.at > now() - interval '1 hour' AND s.at IS NOT NULL"
)


class QueueJobs(Collector):
    """The procrastinate queue `queue` in the record's PostgreSQL database `engine`."""

    def __init__(self, engine: Engine, queue: str) -> None:
        self.engine = engine
        self.queue = queue

    def collect(self) -> Iterator[Metric]:
        try:
            with self.engine.connect() as conn:
                counts = {str(s): int(n) for s, n in conn.execute(_COUNTS, {"queue": self.queue})}
                oldest = float(conn.execute(_OLDEST, {"queue": self.queue}).scalar() or 0.0)
                durations = [float(d) for (d,) in conn.execute(_DURATIONS, {"queue": self.queue})]
        except Exception as exc:  # a scrape must not fail because the database is away
            logger.warning("mochi_queue_*: the queue could not be read (%s)", type(exc).__name__)
            return
        jobs = GaugeMetricFamily(
            "mochi_queue_jobs", "Review jobs on the queue, by status.", labels=["status"]
        )
        for status in STATUSES:
            jobs.add_metric([status], float(counts.get(status, 0)))
        yield jobs
        yield GaugeMetricFamily(
            "mochi_queue_oldest_waiting_seconds", "Age of the oldest review job waiting.", value=oldest
        )
        yield _histogram(durations)


class LocalJobs(Collector):
    """Jobs run in the server's process: how many wait (`waiting()`)."""

    def __init__(self, waiting: Callable[[], int]) -> None:
        self.waiting = waiting

    def collect(self) -> Iterator[Metric]:
        jobs = GaugeMetricFamily(
            "mochi_queue_jobs", "Review jobs waiting in this process (no queue: SQLite).", labels=["status"]
        )
        jobs.add_metric(["todo"], float(self.waiting()))
        yield jobs


def _histogram(durations: list[float]) -> HistogramMetricFamily:
    buckets: list[tuple[str, float]] = []
    for bound in BUCKETS:
        buckets.append((str(bound), float(sum(d <= bound for d in durations))))
    buckets.append(("+Inf", float(len(durations))))
    return HistogramMetricFamily(
        "mochi_queue_job_duration_seconds",
        "How long the review jobs finished in the last hour ran.",
        buckets=buckets,
        sum_value=sum(durations),
    )
