"""One start per month of a periodic process (the monthly monitoring), whether its timer or a person started
it: the (process, month) key is unique in the database, so two starts of one month cannot both commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import EngineContext
from engine.store import PeriodStart


def period_of(ctx: EngineContext, moment: datetime) -> str:
    """The month, in the configured time zone, that a start at `moment` belongs to."""
    return moment.astimezone(ctx.settings.calendar.timezone).strftime("%Y-%m")


def started_in(session: Session, process_id: str, period: str) -> PeriodStart | None:
    return session.scalars(
        select(PeriodStart).where(PeriodStart.process_id == process_id, PeriodStart.period == period)
    ).first()


def record_start(session: Session, process_id: str, period: str, instance_id: int, actor: str,
                 now: datetime) -> None:
    """Flushed at once: a second start of the period fails here with an IntegrityError."""
    session.add(PeriodStart(process_id=process_id, period=period, instance_id=instance_id, started_by=actor,
                            started_at=now))
    session.flush()
