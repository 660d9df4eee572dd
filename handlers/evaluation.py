"""Assembles the data the monthly monitoring and evaluation (step 7) reviews."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from engine.audit.audit_evaluation import published_items
from engine.runtime.services import ServiceCall
from engine.store import Event, Instance, WorkItem

OPEN = ("ready", "claimed")


def _previous_month(call: ServiceCall) -> tuple[datetime, datetime]:
    """The calendar month before the call, in the configured time zone, as a UTC interval."""
    local = call.now.astimezone(call.ctx.settings.calendar.timezone)
    end = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = end.replace(year=end.year - 1, month=12) if end.month == 1 else end.replace(month=end.month - 1)
    return start.astimezone(UTC), end.astimezone(UTC)


def _count_by(session: Session, column: InstrumentedAttribute[Any], *where: ColumnElement[bool]) -> dict[str, int]:
    rows = session.execute(select(column, func.count()).where(*where).group_by(column))
    return {str(key): int(count) for key, count in rows}


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(WorkItem).where(*where)) or 0)


def evaluation_data(call: ServiceCall) -> dict[str, Any]:
    start, end = _previous_month(call)
    session = call.session
    decisions = session.scalars(
        select(Event.payload).where(
            Event.type == "gateway_decision", Event.occurred_at >= start, Event.occurred_at < end
        )
    )
    return {
        "periode_mulai": start.isoformat(),
        "periode_selesai": end.isoformat(),
        "instans_dimulai_per_proses": _count_by(
            session, Instance.process_id, Instance.started_at >= start, Instance.started_at < end
        ),
        "tugas_selesai_per_langkah": _count_by(
            session, WorkItem.step, WorkItem.status == "completed", WorkItem.finished_at >= start,
            WorkItem.finished_at < end,
        ),
        "pelanggaran_per_langkah": _count_by(
            session, WorkItem.step, WorkItem.breached_at >= start, WorkItem.breached_at < end
        ),
        "keputusan_per_alur": dict(Counter(str(payload.get("flow")) for payload in decisions)),
        "item_tayang": len(published_items(call.ctx, session, [WorkItem.finished_at >= start,
                                                                 WorkItem.finished_at < end])),
        "tugas_terbuka": _count(session, WorkItem.status.in_(OPEN)),
        "tugas_terlambat": _count(session, WorkItem.status.in_(OPEN), WorkItem.due_at <= call.now),
    }
