"""Webhook deliveries: the first sight of a delivery id wins; a replay is recognised."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mochi.store.models import DeliveryRow, utcnow

KEEP = timedelta(days=30)  # GitHub redelivers for 3 days at most; a month of ids is plenty


def first_seen(
    engine: Engine, host: str, delivery_id: str, event: str, *, now: datetime | None = None
) -> bool:
    """Record the delivery; False when its id was recorded before (a replay or a redelivery)."""
    try:
        with Session(engine) as session, session.begin():
            session.add(
                DeliveryRow(
                    host=host, delivery_id=delivery_id[:128], event=event[:64], received_at=now or utcnow()
                )
            )
    except IntegrityError:
        return False
    return True


def settle(engine: Engine, host: str, delivery_id: str, outcome: str, job_id: int | None = None) -> None:
    """What became of the delivery (queued as job N, ignored and why)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(DeliveryRow)
            .where(DeliveryRow.host == host, DeliveryRow.delivery_id == delivery_id[:128])
            .values(outcome=outcome[:512], job_id=job_id)
        )


def forget(engine: Engine, host: str, delivery_id: str) -> None:
    """Drop a delivery whose handling failed, so that GitHub's redelivery is handled."""
    with Session(engine) as session, session.begin():
        session.execute(
            delete(DeliveryRow).where(DeliveryRow.host == host, DeliveryRow.delivery_id == delivery_id[:128])
        )


def prune(engine: Engine, *, now: datetime | None = None) -> int:
    """Forget deliveries older than KEEP; the number forgotten."""
    with Session(engine) as session, session.begin():
        result = session.execute(
            delete(DeliveryRow).where(DeliveryRow.received_at < (now or utcnow()) - KEEP)
        )
        return int(getattr(result, "rowcount", 0) or 0)
