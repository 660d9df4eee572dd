"""Time standards: boundary timers fire at the moved clock's due time, once; restarts catch up; the monthly
evaluation starts itself; working time skips nights, weekends and holidays."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.config import Settings
from engine.context import EngineContext
from engine.runtime import instances, task_list
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.timers import fire_due_timers, pending_timers
from engine.store import Event, Notification, Timer
from handlers import HANDLERS
from tests.conftest import JAKARTA
from tests.engine.flow import complete, reach_step, the_task

STANDARDS = {1: 15, 2: 90, 3: 60, 4: 30, 5: 20, 6: 15}


def _count(ctx: EngineContext, type: str, instance_id: int | None = None) -> int:
    with ctx.db.session() as session:
        query = select(func.count()).select_from(Event).where(Event.type == type)
        if instance_id is not None:
            query = query.where(Event.instance_id == instance_id)
        return int(session.scalar(query) or 0)


@pytest.mark.parametrize("step", sorted(STANDARDS))
def test_each_time_standard_breaches_at_its_due_time_once(ctx: EngineContext, clock: ManualClock, step: int) -> None:
    instance_id, task = reach_step(ctx, step)
    assert task.due_at == clock.now() + timedelta(minutes=STANDARDS[step])
    clock.set(task.due_at - timedelta(seconds=1))
    assert fire_due_timers(ctx) == 1  # the reminder at 80 % of the standard, not yet the breach
    assert (_count(ctx, "reminder_sent", instance_id), _count(ctx, "time_standard_breached", instance_id)) == (1, 0)
    clock.set(task.due_at)
    assert fire_due_timers(ctx) == 1
    clock.advance(timedelta(hours=5))
    assert fire_due_timers(ctx) == 0
    assert _count(ctx, "timer_fired", instance_id) == 1
    assert _count(ctx, "time_standard_breached", instance_id) == 1
    breached = the_task(ctx, instance_id, task.spec_id)
    assert breached.status == "ready" and breached.breached_at == task.due_at  # non-interrupting
    with ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Notification).where(
            Notification.username == "ppid.utama", Notification.task_id == task.id,
            Notification.subject.startswith("Pelanggaran"))) == 1


def test_a_task_finished_in_time_never_breaches(ctx: EngineContext, clock: ManualClock) -> None:
    instance_id, task = reach_step(ctx, 1)
    clock.advance(timedelta(minutes=14))
    from tests.engine.flow import STEP_1

    complete(ctx, task, STEP_1)
    clock.advance(timedelta(minutes=2))
    fire_due_timers(ctx)
    assert _count(ctx, "time_standard_breached", instance_id) == 0
    done = [e for e in instances.get_instance(ctx, instance_id).history if e.type == "task_completed"]
    assert done[0].payload["within_time_standard"] is True


def test_late_completion_is_recorded_as_outside_the_standard(ctx: EngineContext, clock: ManualClock) -> None:
    instance_id, task = reach_step(ctx, 1)
    clock.advance(timedelta(minutes=40))
    from tests.engine.flow import STEP_1

    complete(ctx, task, STEP_1)
    history = instances.get_instance(ctx, instance_id).history
    # The overdue timer is honoured by the first change that touches the instance, before it moves on.
    assert [e.type for e in history].count("time_standard_breached") == 1
    done = [e for e in history if e.type == "task_completed"]
    assert done[0].payload["within_time_standard"] is False
    assert done[0].payload["duration_seconds"] == 40 * 60


def _start_dues(ctx: EngineContext) -> list[datetime]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Timer.due_at).where(Timer.kind == "start", Timer.status == "pending")))


def _wait_for_jobs(scheduler: BackgroundScheduler, n: int) -> threading.Event:
    done, seen = threading.Event(), []

    def listener(event: object) -> None:
        seen.append(event)
        if len(seen) >= n:
            done.set()

    scheduler.add_listener(listener, EVENT_JOB_EXECUTED)
    return done


def test_scheduler_wakes_at_the_exact_due_time(ctx: EngineContext) -> None:
    instance_id, task = reach_step(ctx, 2)
    aps = BackgroundScheduler(timezone="UTC")
    scheduler = TimerScheduler(ctx, aps)
    scheduler.start(paused=True)
    try:
        with ctx.db.session() as session:
            timer = session.scalars(select(Timer).where(Timer.instance_id == instance_id, Timer.kind == "event",
                                                        Timer.status == "pending")).one()
        assert timer.due_at == task.due_at
        assert scheduler.job_due(timer.id) == task.due_at
        _, next_task = reach_step(ctx, 1)  # a timer created while the scheduler runs is scheduled at once
        with ctx.db.session() as session:
            newest = session.scalars(select(Timer).order_by(Timer.id.desc())).first()
        assert newest is not None and scheduler.job_due(newest.id) == next_task.due_at
    finally:
        scheduler.shutdown(wait=False)


def test_restart_fires_missed_timers_once_and_says_how_late(settings: Settings, clock: ManualClock,
                                                            ctx: EngineContext) -> None:
    instance_id, task = reach_step(ctx, 1)
    ctx.db.dispose()  # nothing runs for three hours
    clock.set(task.due_at + timedelta(hours=3))
    restarted = EngineContext.create(settings, clock=clock, handlers=HANDLERS)
    aps = BackgroundScheduler(timezone="UTC")
    fired = _wait_for_jobs(aps, 1)
    scheduler = TimerScheduler(restarted, aps, identity="restarted")
    scheduler.start()
    try:
        assert fired.wait(10)
        scheduler.resync()  # a second look finds nothing left to fire
    finally:
        scheduler.shutdown()
    history = instances.get_instance(restarted, instance_id).history
    timer_events = [e for e in history if e.type == "timer_fired"]
    assert len(timer_events) == 1
    assert timer_events[0].payload["late_by_seconds"] == 3 * 3600
    assert timer_events[0].actor == "system"
    assert [e.type for e in history].count("time_standard_breached") == 1
    restarted.db.dispose()


def _fire_in_process(settings: Settings, now: datetime, barrier: multiprocessing.synchronize.Barrier,
                     results: multiprocessing.Queue) -> None:
    ctx = EngineContext.create(settings, clock=ManualClock(now), handlers=HANDLERS)
    barrier.wait()
    results.put(fire_due_timers(ctx, fired_by=multiprocessing.current_process().name))


def test_two_scheduler_processes_fire_a_timer_exactly_once(settings: Settings, ctx: EngineContext,
                                                           clock: ManualClock) -> None:
    instance_id, task = reach_step(ctx, 3)
    assert task.due_at is not None
    clock.set(task.due_at - timedelta(seconds=1))
    assert fire_due_timers(ctx) == 1  # the reminder goes first
    ctx.db.dispose()
    mp = multiprocessing.get_context("fork")
    barrier, results = mp.Barrier(2), mp.Queue()
    workers = [mp.Process(target=_fire_in_process, args=(settings, task.due_at, barrier, results), name=f"s{i}")
               for i in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert sorted(results.get(timeout=5) for _ in workers) == [0, 1]
    assert _count(ctx, "timer_fired", instance_id) == 1
    assert _count(ctx, "time_standard_breached", instance_id) == 1


def test_monthly_evaluation_starts_on_its_day_and_hour(ctx: EngineContext, clock: ManualClock) -> None:
    assert len(pending_timers(ctx)) == 1
    [due] = _start_dues(ctx)
    assert due == datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA)
    clock.set(due - timedelta(seconds=1))
    assert fire_due_timers(ctx) == 0
    clock.set(due)
    assert fire_due_timers(ctx) == 1
    [task] = task_list.list_tasks(ctx, task_list.TaskFilter(lane="PPID Utama"))
    assert (task.spec_id, task.process_id, task.time_standard) == ("Task_7_Monitoring", "ppid_monitoring", "PT60M")
    assert task.due_at == due + timedelta(minutes=60)
    data = instances.get_task(ctx, task.id).data["data_evaluasi"]
    assert datetime.fromisoformat(data["periode_mulai"]) == datetime(2026, 11, 1, tzinfo=JAKARTA)
    assert datetime.fromisoformat(data["periode_selesai"]) == datetime(2026, 12, 1, tzinfo=JAKARTA)
    assert _start_dues(ctx) == [datetime(2027, 1, 1, 9, 0, tzinfo=JAKARTA)]
    started = instances.get_instance(ctx, task.instance_id).history[0]
    assert (started.type, started.payload["trigger"], started.payload["late_by_seconds"]) == (
        "instance_started", "timer", 0)


def test_missed_months_start_one_late_evaluation(ctx: EngineContext, clock: ManualClock) -> None:
    clock.set(datetime(2027, 3, 15, 10, 0, tzinfo=JAKARTA))
    assert fire_due_timers(ctx) == 1
    assert fire_due_timers(ctx) == 0
    [task] = task_list.list_tasks(ctx, task_list.TaskFilter(lane="PPID Utama"))
    started = instances.get_instance(ctx, task.instance_id).history[0]
    late = clock.now() - datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA)
    assert started.payload["late_by_seconds"] == late.total_seconds()
    assert _start_dues(ctx) == [datetime(2027, 4, 1, 9, 0, tzinfo=JAKARTA)]


def _working_time(settings: Settings, *holidays: date) -> Settings:
    calendar = replace(settings.calendar, working_time=True, extra_holidays=frozenset(holidays))
    return replace(settings, calendar=calendar)


@pytest.mark.parametrize("holiday", [None, date(2026, 11, 30)])
def test_working_time_deadline_skips_the_weekend_and_holidays(settings: Settings, holiday: date | None) -> None:
    friday = datetime(2026, 11, 27, 15, 55, tzinfo=JAKARTA)
    clock = ManualClock(friday)
    ctx = EngineContext.create(_working_time(settings, *([holiday] if holiday else [])), clock=clock,
                               handlers=HANDLERS)
    instance_id, task = reach_step(ctx, 1)
    first_working_day = date(2026, 12, 1) if holiday else date(2026, 11, 30)
    assert task.due_at == datetime.combine(first_working_day, datetime.min.time(), JAKARTA) + timedelta(
        hours=8, minutes=10)
    for moment in (friday + timedelta(minutes=15), datetime(2026, 11, 28, 12, 0, tzinfo=JAKARTA),
                   datetime(2026, 11, 30, 8, 9, tzinfo=JAKARTA) if not holiday else
                   datetime(2026, 11, 30, 15, 0, tzinfo=JAKARTA)):
        clock.set(moment)
        fire_due_timers(ctx)  # the reminder at 80 % of the working time may go; the breach must not
        assert _count(ctx, "timer_fired", instance_id) == 0, moment
        assert task_list.list_tasks(ctx, task_list.TaskFilter(overdue=True)) == []
    clock.set(task.due_at)
    assert fire_due_timers(ctx) >= 1  # the breach, and the reminder if the holiday held it back until now
    assert _count(ctx, "time_standard_breached", instance_id) == 1
    assert _count(ctx, "reminder_sent", instance_id) == 1
    ctx.db.dispose()
