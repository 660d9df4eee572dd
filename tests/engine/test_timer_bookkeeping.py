"""Timer bookkeeping proportional to what changed, bursts fired in batches by a small pool, mail handed to a
courier thread."""

from __future__ import annotations

import smtplib
import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, update
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import ManualClock
from engine.config import Settings
from engine.context import EngineContext
from engine.runtime import outbox
from engine.runtime.effects import TimersSettled, TimerWaiting
from engine.runtime.execution import InstanceRun
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.services import ServiceCall
from engine.runtime.timers import fire_due_batch
from engine.store import Event, Instance, Timer, WorkItem
from handlers import HANDLERS
from tests.conftest import Mailbox
from tests.engine.flow import reach_step


def _other_process(settings: Settings, clock: ManualClock) -> EngineContext:
    """Another engine on the same database, whose new timers this scheduler is not told about."""
    return EngineContext.create(settings, clock=clock, handlers=HANDLERS)


def test_resync_reads_only_the_rows_added_since_the_resync_before_last(settings: Settings, ctx: EngineContext,
                                                                        clock: ManualClock) -> None:
    for _ in range(3):
        reach_step(ctx, 2)
    scheduler = TimerScheduler(ctx, BackgroundScheduler(timezone="UTC"))
    scheduler.start(paused=True)
    other = _other_process(settings, clock)
    try:
        with ctx.db.session() as session:
            everything = int(session.scalar(select(func.count()).where(Timer.status == "pending")) or 0)
        assert everything >= 7  # per instance a boundary timer and its reminder, and the monthly start
        _, task = reach_step(other, 1)
        with ctx.db.session() as session:
            new = session.execute(select(Timer.id, Timer.due_at).where(Timer.instance_id == task.instance_id,
                                                                        Timer.status == "pending")).all()
        assert len(new) == 2 and all(scheduler.job_due(timer_id) is None for timer_id, _ in new)
        # The new rows, read twice (a slower transaction may commit a lower id late), then nothing.
        assert [scheduler.resync(), scheduler.resync(), scheduler.resync()] == [2, 2, 0]
        assert all(scheduler.job_due(timer_id) == due for timer_id, due in new)
    finally:
        scheduler.shutdown(wait=False)
        other.db.dispose()


def test_a_burst_is_fired_in_batches_each_timer_once(ctx: EngineContext, clock: ManualClock) -> None:
    tasks = [reach_step(ctx, 2)[1] for _ in range(4)]
    due = max(task.due_at for task in tasks if task.due_at is not None)
    clock.set(due + timedelta(minutes=1))
    # A batch of three takes at most one timer per instance: a boundary timer and its reminder go in turn.
    taken = [fire_due_batch(ctx, "burst", limit=3).taken for _ in range(4)]
    assert taken[:3] == [3, 3, 2] and taken[3] == 0
    with ctx.db.session() as session:
        fired = session.execute(select(Timer.kind, func.count()).where(Timer.fired_by == "burst")
                                .group_by(Timer.kind)).all()
        breaches = session.scalar(select(func.count()).where(Event.type == "time_standard_breached"))
    assert dict(fired) == {"event": 4, "reminder": 4} and breaches == 4


def test_a_failing_timer_in_a_batch_costs_the_others_nothing(ctx: EngineContext, clock: ManualClock) -> None:
    first, second = reach_step(ctx, 2)[1], reach_step(ctx, 2)[1]
    assert first.due_at is not None and second.due_at is not None
    with ctx.db.session() as session:  # the first item's boundary timer points at a task that is not there
        timer = session.scalars(select(Timer).where(Timer.instance_id == first.instance_id,
                                                    Timer.kind == "event")).one()
        timer.spiff_task_id = "00000000-0000-0000-0000-000000000000"
        for reminder in session.scalars(select(Timer).where(Timer.kind == "reminder")):
            reminder.status = "cancelled"
    clock.set(max(first.due_at, second.due_at) + timedelta(minutes=1))
    while fire_due_batch(ctx, "burst").taken > 0:
        pass
    with ctx.db.session() as session:
        statuses = dict(session.execute(select(Timer.instance_id, Timer.status).where(Timer.kind == "event")).all())
    assert statuses[second.instance_id] == "fired"
    assert statuses[first.instance_id] in {"failed", "fired"}  # never left pending, never fired twice
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).where(Event.type == "time_standard_breached",
                                                         Event.instance_id == second.instance_id)) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_timer_whose_instance_another_transaction_holds_waits_for_it(ctx: EngineContext,
                                                                       clock: ManualClock) -> None:
    _, task = reach_step(ctx, 2)
    assert task.due_at is not None
    clock.set(task.due_at + timedelta(minutes=1))
    with ctx.db.session() as person:  # a completion of this item in progress
        person.execute(select(Instance.id).where(Instance.id == task.instance_id).with_for_update())
        assert fire_due_batch(ctx, "burst", limit=3) == (0, 2)  # neither timer: no deadlock
    assert fire_due_batch(ctx, "burst", limit=3) == (1, 0)  # once it is free: one timer per instance and batch
    assert fire_due_batch(ctx, "burst", limit=3) == (1, 0)
    assert _count_fired(ctx) == 2


def _count_fired(ctx: EngineContext) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).where(Timer.fired_by == "burst")) or 0)


def test_the_scheduler_mails_from_the_courier_thread_not_the_firing_one(
        settings: Settings, clock: ManualClock, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    senders: list[str] = []
    real_connect = outbox.connect

    def connect(*args: Any) -> smtplib.SMTP:  # the real SMTP connection, noting which thread opens it
        senders.append(threading.current_thread().name)
        return real_connect(*args)

    monkeypatch.setattr(outbox, "connect", connect)
    ctx = EngineContext.create(replace(settings, scheduler_resync_seconds=3600), clock=clock, handlers=HANDLERS)
    _, task = reach_step(ctx, 2)
    assert task.due_at is not None
    clock.set(task.due_at + timedelta(minutes=1))
    scheduler = TimerScheduler(ctx, BackgroundScheduler(timezone="UTC"))
    scheduler.start()
    try:
        messages = mailbox.wait_for(1, timeout=30)  # the breach, to the supervisors (the reminder is in-app)
    finally:
        scheduler.shutdown()
        ctx.db.dispose()
    assert [str(message["Subject"]).split(":")[0] for message in messages] == ["Pelanggaran standar waktu"]
    assert senders == ["sopflow-courier"]


@pytest.mark.parametrize("settled", ["fired", "cancelled"])
def test_a_timer_made_and_settled_in_one_change_is_written_settled(ctx: EngineContext, clock: ManualClock,
                                                                   settled: str) -> None:
    instance_id, _ = reach_step(ctx, 2)
    waiting = str(uuid4())
    with ctx.db.session() as session:
        run = InstanceRun.load(ctx, session, instance_id, "ppid.utama")
        run.projection.apply(TimerWaiting(waiting, "Tunggu", clock.now() + timedelta(hours=1)))
        gone = frozenset({waiting})
        run.projection.apply(TimersSettled(gone if settled == "fired" else frozenset(),
                                           gone if settled == "cancelled" else frozenset()))
        run.save()
    run.finish()
    with ctx.db.session() as session:
        timer = session.scalars(select(Timer).where(Timer.spiff_task_id == waiting)).one()
    assert timer.status == settled
    assert (timer.fired_at, timer.fired_by) == ((clock.now(), "ppid.utama") if settled == "fired" else (None, None))


def test_a_claimed_reminder_whose_task_is_no_longer_open_is_written_cancelled(ctx: EngineContext,
                                                                             clock: ManualClock) -> None:
    """The claim reads its row back by one Core statement; what the firing then decides about it is still
    written: a reminder whose task another change finished meanwhile ends cancelled, not fired."""
    _, task = reach_step(ctx, 2)
    with ctx.db.session() as session:  # the race: the task finished, its reminder not yet settled
        session.execute(update(WorkItem).where(WorkItem.id == task.id)
                        .values(status="completed", finished_at=clock.now()))
        reminder = session.scalars(select(Timer).where(Timer.spiff_task_id == task.id,
                                                       Timer.kind == "reminder")).one()
    clock.set(reminder.due_at)
    fire_due_batch(ctx, "burst")
    with ctx.db.session() as session:
        assert session.scalar(select(Timer.status).where(Timer.id == reminder.id)) == "cancelled"
        assert session.scalar(select(func.count()).select_from(Event).where(Event.type == "reminder_sent")) == 0


def test_a_breach_mark_on_an_item_changed_meanwhile_is_refused_and_writes_nothing(ctx: EngineContext,
                                                                                  clock: ManualClock) -> None:
    """The mark checks the item's revision, as any change of the item does: a stale item is not written over."""
    instance_id, task = reach_step(ctx, 2)
    with pytest.raises(StaleDataError), ctx.db.session() as session:
        instance = session.get(Instance, instance_id)
        item = session.get(WorkItem, task.id)
        assert instance is not None and item is not None
        session.execute(update(WorkItem).where(WorkItem.id == task.id)  # another change, committed first
                        .values(revision=WorkItem.revision + 1).execution_options(synchronize_session=False))
        call = ServiceCall(ctx, session, instance, None, "breach", {}, "system", clock.now(),  # type: ignore[arg-type]
                           [], lambda: [item])
        call.mark_breached(item)
    with ctx.db.session() as session:
        stored = session.get(WorkItem, task.id)
        assert stored is not None and (stored.breached_at, stored.revision) == (None, task.revision)
