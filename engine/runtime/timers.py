"""Due times kept in the database and fired exactly once, however many schedulers share the database."""

from __future__ import annotations

import calendar as month_calendar
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import NamedTuple, cast
from zoneinfo import ZoneInfo

from psycopg.errors import DeadlockDetected
from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.config import Schedule
from engine.context import EngineContext
from engine.database import held_as_loaded
from engine.people.users import SYSTEM_ACTOR
from engine.runtime.execution import InstanceRun, begin_instance, latest_definition
from engine.runtime.incident_records import failure_reason, open_incident_of, record_failure, resolve
from engine.runtime.outbox import deliver_after_commit, hand_over
from engine.runtime.periods import period_of, record_start, started_in
from engine.runtime.reminders import KIND as REMINDER
from engine.runtime.reminders import send_reminder
from engine.store import OPEN_STATUSES, Instance, OutboxMail, Timer, WorkItem

FIRE_ATTEMPTS = 3
BATCH = 10  # timers per transaction: with mail held in a burst, 10 beat 1 and 5; 25 was no better (2026-12-05)
log = logging.getLogger(__name__)


def next_monthly(schedule: Schedule, timezone: ZoneInfo, after: datetime) -> datetime:
    """The first moment strictly after `after` on the schedule's day (clamped to short months) and hour."""
    local = after.astimezone(timezone)
    year, month = local.year, local.month
    while True:
        day = min(schedule.day, month_calendar.monthrange(year, month)[1])
        candidate = datetime(year, month, day, schedule.hour, schedule.minute, tzinfo=timezone)
        if candidate > local:
            return candidate.astimezone(UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def schedule_start_timer(ctx: EngineContext, session: Session, process_id: str, after: datetime) -> Timer | None:
    """Make sure the timed process has one pending start; returns the new timer, or None if one existed."""
    existing = session.scalars(
        select(Timer).where(Timer.kind == "start", Timer.process_id == process_id, Timer.status == "pending")
    ).first()
    if existing is not None:
        return None
    schedule = ctx.settings.schedules[process_id]
    timer = Timer(
        kind="start",
        process_id=process_id,
        name=f"start {process_id}",
        due_at=next_monthly(schedule, ctx.settings.calendar.timezone, after),
        status="pending",
    )
    session.add(timer)
    session.flush()
    return timer


_TIMERS = cast(Table, Timer.__table__)
_CLAIM = (
    update(_TIMERS)
    .where(_TIMERS.c.id == bindparam("timer_id"), _TIMERS.c.status == bindparam("claimable"),
           _TIMERS.c.due_at <= bindparam("due_by"))
    .values(status="fired", fired_at=bindparam("now"), fired_by=bindparam("by"))
    .returning(*_TIMERS.columns)
)


# An event timer's instance with its open work items (what a breach handler looks for), in one statement.
_INSTANCE_AND_OPEN_ITEMS = (
    select(Instance, WorkItem)
    .outerjoin(WorkItem, and_(WorkItem.instance_id == Instance.id, WorkItem.status.in_(OPEN_STATUSES)))
    .where(Instance.id == bindparam("instance_id"))
)


def _claim(session: Session, timer_id: int, now: datetime, fired_by: str, retry: bool) -> Timer | None:
    """Atomic: of all processes running this UPDATE, exactly one sees a pending row (or, for the retry of
    its incident, the failed row), and reads it back as it left it. A Core statement (a burst runs it per
    timer); the row is then held by the session as if loaded, so what the firing changes on it is written."""
    row = session.connection().execute(_CLAIM, {
        "timer_id": timer_id, "claimable": "failed" if retry else "pending", "due_by": now, "now": now,
        "by": fired_by}).mappings().first()
    return held_as_loaded(session, Timer(**row)) if row is not None else None


@dataclass
class _Fired:
    """What a firing leaves to do once its transaction has committed."""

    timer_id: int
    what: tuple[str, str, str, int | None]
    late: float
    execution: InstanceRun | None = None
    mail: OutboxMail | None = None
    next_timer: Timer | None = None

    def after_commit(self, ctx: EngineContext) -> None:
        if self.execution is not None:
            self.execution.finish()
        deliver_after_commit(ctx, self.mail)()
        if self.next_timer is not None:
            ctx.announce_timer(self.next_timer.id, self.next_timer.due_at)
        log.info("timer %s fired: %s %s of %s, instance %s, %.0f s after its due time", self.timer_id, *self.what,
                 self.late)


def _fire_in(ctx: EngineContext, session: Session, timer_id: int, now: datetime, fired_by: str,
             retry: bool) -> _Fired | None:
    """Claim and fire one timer in the caller's transaction; None if it was not (or no longer) to fire."""
    timer = _claim(session, timer_id, now, fired_by, retry)
    if timer is None:
        return None
    fired = _Fired(timer_id, (timer.kind, timer.name, timer.process_id, timer.instance_id),
                   round((now - timer.due_at).total_seconds(), 3))
    if timer.kind == REMINDER:
        fired.mail = send_reminder(ctx, session, timer, now)
        if timer.status == "cancelled":
            return None
    elif timer.kind == "start":
        fired.execution = _start_of_period(ctx, session, timer, fired.late)
        fired.next_timer = schedule_start_timer(ctx, session, timer.process_id, now)
    else:
        found = (session.execute(_INSTANCE_AND_OPEN_ITEMS, {"instance_id": timer.instance_id}).tuples().all()
                 if timer.instance_id is not None else [])
        instance = found[0][0] if found else None
        if instance is None or instance.status != "running":
            timer.status = "cancelled"
            return None
        fired.execution = InstanceRun.resume(ctx, session, instance, SYSTEM_ACTOR, by_engine=True,
                                             open_items=[item for _, item in found if item is not None],
                                             claimed_timer=str(timer.spiff_task_id))
        fired.execution.advance()
        fired.execution.save()
    incident = open_incident_of(session, timer_id=timer_id) if retry else None
    if incident is not None:
        execution = fired.execution
        on_instance = execution.instance if execution is not None and timer.kind == "event" else None
        resolve(session, incident, on_instance, fired_by, now)
    return fired


def _fire_once(ctx: EngineContext, timer_id: int, fired_by: str, retry: bool) -> bool:
    with ctx.db.session() as session:
        fired = _fire_in(ctx, session, timer_id, ctx.clock.now(), fired_by, retry)
    if fired is not None:
        fired.after_commit(ctx)
    return fired is not None


def _start_of_period(ctx: EngineContext, session: Session, timer: Timer, late: float) -> InstanceRun | None:
    """The period's start, unless a person started this month's instance by hand already."""
    period = period_of(ctx, timer.due_at)
    if started_in(session, timer.process_id, period) is not None:
        return None
    definition = latest_definition(session, timer.process_id)
    execution = begin_instance(ctx, session, definition, SYSTEM_ACTOR, trigger="timer",
                               due_at=timer.due_at.isoformat(), late_by_seconds=late)
    record_start(session, timer.process_id, period, execution.instance.id, SYSTEM_ACTOR, execution.now)
    return execution


def fire_timer(ctx: EngineContext, timer_id: int, fired_by: str, retry: bool = False) -> bool:
    """Fire one due timer; False if it is not due, another process has fired or cancelled it, or the firing
    failed: then the timer is set aside as failed, with an incident, until the incident is retried."""
    for attempt in range(FIRE_ATTEMPTS):
        try:
            return _fire_once(ctx, timer_id, fired_by, retry)
        except (StaleDataError, IntegrityError, OperationalError) as error:
            # Another process changed the instance or the period, or (PostgreSQL) a person's completion of
            # the same task took its locks in the other order: try again.
            if isinstance(error, OperationalError) and not isinstance(error.orig, DeadlockDetected):
                _firing_failed(ctx, timer_id, fired_by, error)
                return False
            if attempt == FIRE_ATTEMPTS - 1:
                _firing_failed(ctx, timer_id, fired_by, error)
        except Exception as error:
            _firing_failed(ctx, timer_id, fired_by, error)
            return False
    return False


def _firing_failed(ctx: EngineContext, timer_id: int, fired_by: str, error: Exception) -> None:
    log.warning("timer %s failed to fire: %s", timer_id, error, exc_info=error)
    now = ctx.clock.now()
    with ctx.db.session() as session:
        timer = session.get(Timer, timer_id)
        if timer is None:
            return
        timer.status = "failed"
        instance = session.get(Instance, timer.instance_id) if timer.instance_id is not None else None
        record_failure(session, process_id=timer.process_id, instance=instance, element_id=timer.name,
                       element_name=timer.name, message=failure_reason(error), actor=fired_by, now=now,
                       timer_id=timer.id)


def fire_due_timers(ctx: EngineContext, fired_by: str = SYSTEM_ACTOR) -> int:
    """Fire every timer whose due time has passed, oldest first; returns how many this call fired."""
    with ctx.db.session() as session:
        due = list(
            session.scalars(
                select(Timer.id)
                .where(Timer.status == "pending", Timer.due_at <= ctx.clock.now())
                .order_by(Timer.due_at)
            )
        )
    return sum(fire_timer(ctx, timer_id, fired_by) for timer_id in due)


class Batch(NamedTuple):
    taken: int  # timers claimed (fired, cancelled or set aside)
    held: int  # due, but their instance is being changed by another transaction: to try again shortly


def fire_due_batch(ctx: EngineContext, fired_by: str, limit: int = BATCH) -> Batch:
    """Claim up to `limit` due timers and fire them in one transaction. On PostgreSQL the rows are locked
    with SKIP LOCKED, so several claimers share a burst, and so are their instances: a timer whose instance
    another transaction holds (a person completing its task) is left for later, as locking it in the other
    order than that transaction would risk a deadlock. On SQLite one claimer at a time is enough (its writes
    are serialized anyway). A timer of an instance already in the batch waits for the next one; if any firing
    fails, the batch is rolled back and its timers are fired one by one, each failure its own incident."""
    now = ctx.clock.now()
    query = (select(Timer.id, Timer.instance_id).where(Timer.status == "pending", Timer.due_at <= now)
             .order_by(Timer.due_at, Timer.id).limit(limit))
    fired: list[_Fired] = []
    taken: list[int] = []
    held = 0
    try:
        with ctx.db.session() as session:
            postgresql = session.get_bind().dialect.name == "postgresql"
            rows = session.execute(query.with_for_update(skip_locked=True, of=Timer) if postgresql else query).all()
            wanted = {instance_id for _, instance_id in rows if instance_id is not None}
            free = set(session.scalars(select(Instance.id).where(Instance.id.in_(wanted))
                                       .with_for_update(skip_locked=True))) if postgresql and wanted else wanted
            instances: set[int | None] = set()
            for timer_id, instance_id in rows:
                if instance_id is not None and instance_id not in free:
                    held += 1
                    continue
                if instance_id is not None and instance_id in instances:
                    continue
                instances.add(instance_id)
                taken.append(timer_id)
                one = _fire_in(ctx, session, timer_id, now, fired_by, retry=False)
                if one is not None:
                    fired.append(one)
    except Exception as error:
        log.info("a batch of %s timers was rolled back (%s); firing them one by one", len(taken), error)
        for timer_id in taken:
            fire_timer(ctx, timer_id, fired_by)
        return Batch(len(taken), held)
    for one in fired:
        hand_over(partial(one.after_commit, ctx))
    return Batch(len(taken), held)


def pending_timers(ctx: EngineContext, after_id: int | None = None) -> list[tuple[int, datetime]]:
    """The pending due times, or only those of rows newer than `after_id`."""
    query = select(Timer.id, Timer.due_at).where(Timer.status == "pending")
    if after_id is not None:
        query = query.where(Timer.id > after_id)
    with ctx.db.session() as session:
        return [(row.id, row.due_at) for row in session.execute(query)]


def newest_timer_id(ctx: EngineContext) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.max(Timer.id))) or 0)
