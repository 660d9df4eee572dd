"""Who hears about what: returned steps to their lane only, reminders at 80 % once, mail for those who opted
in through an outbox that retries; the supervisor assigns and takes back tasks and starts a missed monthly
monitoring by hand, once a month."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from engine.clock import ManualClock
from engine.config import Settings, load_settings
from engine.context import EngineContext
from engine.errors import ConfigError, NotAllowed, NotFound, TaskConflict
from engine.people import users
from engine.runtime import instances, notices, outbox, supervision
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.timers import fire_due_timers
from engine.store import Event, Instance, OutboxMail, PeriodStart, Timer
from handlers import HANDLERS
from tests.conftest import JAKARTA, PASSWORD, ROOT, Mailbox
from tests.engine.flow import (
    BELUM,
    DISETUJUI,
    SESUAI,
    STEP_2,
    STEP_4,
    complete,
    reach_step,
    the_task,
)

DIKEMBALIKAN = {"keputusan_persetujuan": "dikembalikan", "alasan_pengembalian": "Tautan salah."}


def _subjects(ctx: EngineContext, username: str) -> list[str]:
    return [n.subject for n in notices.list_notifications(ctx, username)]


def _count(ctx: EngineContext, model: type, *where: object) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_belum_sesuai_tells_step_2s_lane_not_the_verifier_who_also_holds_that_role(ctx: EngineContext) -> None:
    users.create_user(ctx, "verifikator", PASSWORD, ["plid_utama", "ppid_pembantu"], "Verifikator", "v@ppid.test",
                      "Dinas Kesehatan")
    instance_id, step_2 = reach_step(ctx, 2)
    complete(ctx, step_2, STEP_2)
    step_3 = the_task(ctx, instance_id, "Task_3_Verifikasi")
    instances.complete_task(ctx, step_3.id, BELUM, "verifikator")
    returned = the_task(ctx, instance_id, "Task_2_Siapkan_Data")
    assert _subjects(ctx, "pembantu.dinkes") == [f"Dikembalikan: langkah 2 {returned.name} ({returned.item_label})"]
    assert _subjects(ctx, "verifikator") == []  # the returner, although step 2's lane is also theirs
    assert _subjects(ctx, "pembantu.disdik") == [] and _subjects(ctx, "plid.utama") == []
    [notice] = notices.list_notifications(ctx, "pembantu.dinkes")
    assert (notice.task_id, notice.done) == (returned.id, False)
    assert notices.unread_count(ctx, "pembantu.dinkes") == 1
    complete(ctx, returned, STEP_2)
    [notice] = notices.list_notifications(ctx, "pembantu.dinkes")
    assert notice.done and notices.unread_count(ctx, "pembantu.dinkes") == 0


def test_dikembalikan_tells_step_4s_lane_and_never_the_approver(ctx: EngineContext) -> None:
    instance_id, step_5 = reach_step(ctx, 5)
    complete(ctx, step_5, DIKEMBALIKAN)
    step_4 = the_task(ctx, instance_id, "Task_4_Unggah")
    assert _subjects(ctx, "plid.utama") == [f"Dikembalikan: langkah 4 {step_4.name} ({step_4.item_label})"]
    assert [s for s in _subjects(ctx, "ppid.utama") if s.startswith("Dikembalikan")] == []
    assert _subjects(ctx, "pembantu.dinkes") == []


def test_a_reminder_at_80_percent_of_the_standard_goes_once_to_the_lane(ctx: EngineContext,
                                                                        clock: ManualClock) -> None:
    instance_id, step_2 = reach_step(ctx, 2)  # 90 minutes: the reminder at 72
    clock.set(step_2.ready_at + timedelta(minutes=72) - timedelta(seconds=1))
    assert fire_due_timers(ctx) == 0 and _subjects(ctx, "pembantu.dinkes") == []
    clock.set(step_2.ready_at + timedelta(minutes=72))
    assert fire_due_timers(ctx) == 1
    assert _subjects(ctx, "pembantu.dinkes") == [f"Pengingat: langkah 2 {step_2.name} ({step_2.item_label})"]
    assert _subjects(ctx, "pembantu.disdik") == []
    clock.advance(timedelta(minutes=1))
    assert fire_due_timers(ctx) == 0
    assert _count(ctx, Event, Event.type == "reminder_sent", Event.instance_id == instance_id) == 1


def test_a_reminder_goes_to_whoever_claimed_the_task_and_never_after_it_is_done(
    ctx: EngineContext, clock: ManualClock
) -> None:
    instance_id, step_4 = reach_step(ctx, 4)  # 30 minutes: the reminder at 24
    users.create_user(ctx, "plid.dua", PASSWORD, ["plid_utama"], "PLID Dua", "plid.dua@ppid.test")
    instances.claim_task(ctx, step_4.id, "plid.dua")
    clock.advance(timedelta(minutes=24))
    assert fire_due_timers(ctx) == 1
    assert _subjects(ctx, "plid.dua") == [f"Pengingat: langkah 4 {step_4.name} ({step_4.item_label})"]
    assert _subjects(ctx, "plid.utama") == []
    instances.complete_task(ctx, step_4.id, STEP_4, "plid.dua")
    step_5 = the_task(ctx, instance_id, "Task_5_Persetujuan")
    complete(ctx, step_5, DISETUJUI)  # done within its 20 minutes: its reminder is dropped
    assert _count(ctx, Timer, Timer.spiff_task_id == step_5.id, Timer.status == "cancelled") == 1
    clock.advance(timedelta(minutes=20))
    fire_due_timers(ctx)
    assert [s for s in _subjects(ctx, "ppid.utama") if s.startswith("Pengingat")] == []


def test_two_schedulers_send_a_reminder_exactly_once(settings: Settings, ctx: EngineContext,
                                                     clock: ManualClock) -> None:
    instance_id, step_3 = reach_step(ctx, 3)
    moment = step_3.ready_at + timedelta(minutes=48)
    contexts = [EngineContext.create(settings, clock=ManualClock(moment), handlers=HANDLERS) for _ in range(2)]
    barrier, results = threading.Barrier(2), []

    def fire(worker: EngineContext) -> None:
        barrier.wait()
        results.append(fire_due_timers(worker, fired_by=f"s{len(results)}"))

    threads = [threading.Thread(target=fire, args=(worker,)) for worker in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == [0, 1]
    assert _count(ctx, Event, Event.type == "reminder_sent", Event.instance_id == instance_id) == 1
    assert len(_subjects(ctx, "plid.utama")) == 1
    for worker in contexts:
        worker.db.dispose()


def test_lane_members_who_opted_in_get_mail_when_a_task_becomes_their_lanes(
    ctx: EngineContext, mailbox: Mailbox
) -> None:
    assert notices.wants_mail(ctx, "plid.utama") is False
    notices.set_wants_mail(ctx, "plid.utama", True)
    assert notices.wants_mail(ctx, "plid.utama") is True
    instance_id, step_2 = reach_step(ctx, 2)
    assert _count(ctx, OutboxMail) == 0  # step 2's lane did not opt in: no mail, no row
    complete(ctx, step_2, STEP_2)
    [mail] = mailbox.wait_for(1)
    step_3 = the_task(ctx, instance_id, "Task_3_Verifikasi")
    assert (mail["To"], mail["Subject"]) == ("plid.utama@ppid.test",
                                             f"Tugas menunggu: langkah 3 {step_3.name} ({step_3.item_label})")
    assert _count(ctx, OutboxMail, OutboxMail.sent_at.is_not(None)) == 1
    assert _count(ctx, Event, Event.type == "notice_preference_changed") == 1


def test_a_returned_step_and_its_reminder_mail_only_the_opted_in_of_its_lane_but_the_returner(
    ctx: EngineContext, clock: ManualClock
) -> None:
    users.create_user(ctx, "verifikator", PASSWORD, ["plid_utama", "ppid_pembantu"], "Verifikator", "v@ppid.test",
                      "Dinas Kesehatan")
    users.create_user(ctx, "pembantu.dinkes2", PASSWORD, ["ppid_pembantu"], "Dua", "dua@ppid.test",
                      "Dinas Kesehatan")
    for username in ("verifikator", "pembantu.dinkes", "pembantu.disdik"):  # dinkes2 keeps the app only
        notices.set_wants_mail(ctx, username, True)
    instance_id, step_2 = reach_step(ctx, 2)
    complete(ctx, step_2, STEP_2)
    instances.complete_task(ctx, the_task(ctx, instance_id, "Task_3_Verifikasi").id, BELUM, "verifikator")
    returned = the_task(ctx, instance_id, "Task_2_Siapkan_Data")
    clock.set(returned.ready_at + timedelta(minutes=72))  # the returned step's reminder
    assert fire_due_timers(ctx) == 1
    with ctx.db.session() as session:
        mails = {mail.subject.split(":")[0]: mail.recipients for mail in session.scalars(select(OutboxMail))}
    assert mails["Dikembalikan"] == ["pembantu.dinkes@ppid.test"]
    assert mails["Pengingat"] == ["pembantu.dinkes@ppid.test", "v@ppid.test"]
    assert sorted(_subjects(ctx, "pembantu.dinkes2")) == [f"Dikembalikan: langkah 2 {returned.name} "
                                                          f"({returned.item_label})",
                                                          f"Pengingat: langkah 2 {returned.name} "
                                                          f"({returned.item_label})"]


def test_undelivered_mail_is_retried_with_backoff_until_the_server_answers(
    settings: Settings, ctx: EngineContext, clock: ManualClock, mailbox: Mailbox
) -> None:
    notices.set_wants_mail(ctx, "plid.utama", True)
    down = EngineContext.create(replace(settings, smtp=replace(settings.smtp, port=1)), clock=clock,
                                handlers=HANDLERS)
    instance_id, step_2 = reach_step(down, 2)
    complete(down, step_2, STEP_2)
    [mail] = outbox.undelivered(ctx)
    assert (mail.attempts, mail.sent_at, mail.next_attempt_at) == (1, None, clock.now() + timedelta(minutes=1))
    assert mail.last_error == "Server surat tidak dapat dihubungi"  # Indonesian; "[Errno 111] ..." only in the log
    assert outbox.deliver_due(ctx) == 0  # not due yet: backoff
    clock.advance(timedelta(minutes=1))
    assert outbox.deliver_due(down) == 0
    [mail] = outbox.undelivered(ctx)
    assert (mail.attempts, mail.next_attempt_at) == (2, clock.now() + timedelta(minutes=2))
    clock.advance(timedelta(minutes=2))
    assert outbox.deliver_due(ctx) == 1  # the server answers now
    assert mailbox.wait_for(1)[0]["To"] == "plid.utama@ppid.test"
    assert outbox.undelivered(ctx) == [] and outbox.deliver_due(ctx) == 0
    down.db.dispose()


def test_an_admin_retries_an_undelivered_mail_at_once(settings: Settings, ctx: EngineContext, clock: ManualClock,
                                                     mailbox: Mailbox) -> None:
    notices.set_wants_mail(ctx, "plid.utama", True)
    down = EngineContext.create(replace(settings, smtp=replace(settings.smtp, port=1)), clock=clock,
                                handlers=HANDLERS)
    _, step_2 = reach_step(down, 2)
    complete(down, step_2, STEP_2)
    [mail] = outbox.undelivered(ctx)
    assert outbox.retry_now(ctx, mail.id, "admin") is True
    assert len(mailbox.wait_for(1)) == 1 and outbox.undelivered(ctx) == []
    assert _count(ctx, Event, Event.type == "mail_retried") == 1
    with pytest.raises(NotFound, match="No undelivered mail"):
        outbox.retry_now(ctx, mail.id, "admin")
    down.db.dispose()


def test_the_supervisor_assigns_a_task_to_a_named_person_and_takes_a_claim_back(ctx: EngineContext) -> None:
    instance_id, step_3 = reach_step(ctx, 3)
    assert supervision.assignable(ctx, step_3.id) == ["plid.utama"]
    with pytest.raises(NotAllowed, match="Only PPID Utama may do this"):
        supervision.assign_task(ctx, step_3.id, "plid.utama", "plid.utama")
    with pytest.raises(NotAllowed):
        supervision.assign_task(ctx, step_3.id, "pembantu.dinkes", "ppid.utama")  # not step 3's lane
    assert the_task(ctx, instance_id, "Task_3_Verifikasi").claimed_by is None  # refused: nothing changed
    assigned = supervision.assign_task(ctx, step_3.id, "plid.utama", "ppid.utama")
    assert (assigned.status, assigned.claimed_by) == ("claimed", "plid.utama")
    assert _subjects(ctx, "plid.utama") == [f"Ditugaskan kepada Anda: langkah 3 {step_3.name} ({step_3.item_label})"]
    with pytest.raises(TaskConflict):
        supervision.assign_task(ctx, step_3.id, "plid.utama", "ppid.utama")
    released = supervision.take_back(ctx, step_3.id, "ppid.utama")
    assert (released.status, released.claimed_by) == ("ready", None)
    assert _subjects(ctx, "plid.utama")[0].startswith("Ditarik kembali dari Anda: langkah 3")
    with pytest.raises(TaskConflict, match="not claimed"):
        supervision.take_back(ctx, step_3.id, "ppid.utama")
    with ctx.db.session() as session:
        events = session.scalars(select(Event).where(Event.instance_id == instance_id,
                                                     Event.type.in_(("task_assigned", "claim_taken_back")))).all()
    assert [(e.type, e.actor, e.payload["previous"]) for e in events] == [
        ("task_assigned", "ppid.utama", None), ("claim_taken_back", "ppid.utama", "plid.utama")]
    complete(ctx, the_task(ctx, instance_id, "Task_3_Verifikasi"), SESUAI)  # the step goes on as before


def _monitoring(ctx: EngineContext) -> list[Instance]:
    with ctx.db.session() as session:
        return list(session.scalars(select(Instance).where(Instance.process_id == "ppid_monitoring")))


def test_a_missed_monthly_monitoring_is_started_by_hand_once_and_the_timer_then_skips_the_month(
    ctx: EngineContext, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 12, 3, 10, 0, tzinfo=JAKARTA))  # the timer of 1 December did not run
    with pytest.raises(NotAllowed):
        supervision.start_period_by_hand(ctx, "ppid_monitoring", "plid.utama")
    started = supervision.start_period_by_hand(ctx, "ppid_monitoring", "ppid.utama")
    [monthly] = supervision.periodic_processes(ctx)
    assert (monthly.process_id, monthly.period, monthly.started) == ("ppid_monitoring", "2026-12", True)
    with pytest.raises(TaskConflict, match="already been started"):
        supervision.start_period_by_hand(ctx, "ppid_monitoring", "ppid.utama")
    assert fire_due_timers(ctx) == 1  # the late timer is claimed, and starts nothing for December
    assert [i.id for i in _monitoring(ctx)] == [started.id]
    with ctx.db.session() as session:
        assert session.scalars(select(PeriodStart.period)).all() == ["2026-12"]
        pending = session.scalars(select(Timer.due_at).where(Timer.kind == "start", Timer.status == "pending")).all()
    assert pending == [datetime(2027, 1, 1, 9, 0, tzinfo=JAKARTA)]
    assert started.started_by == "ppid.utama"
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=JAKARTA))
    assert fire_due_timers(ctx) >= 1
    assert len(_monitoring(ctx)) == 2  # January's, by its timer
    with pytest.raises(TaskConflict):
        supervision.start_period_by_hand(ctx, "ppid_monitoring", "ppid.utama")


def test_the_scheduler_sends_mail_whose_retry_is_due(settings: Settings, ctx: EngineContext, clock: ManualClock,
                                                     mailbox: Mailbox) -> None:
    notices.set_wants_mail(ctx, "plid.utama", True)
    down = EngineContext.create(replace(settings, smtp=replace(settings.smtp, port=1)), clock=clock,
                                handlers=HANDLERS)
    _, step_2 = reach_step(down, 2)
    complete(down, step_2, STEP_2)
    down.db.dispose()
    scheduler = TimerScheduler(ctx, BackgroundScheduler(timezone="UTC"))
    scheduler.resync()
    assert len(outbox.undelivered(ctx)) == 1  # its next attempt is a minute away
    clock.advance(timedelta(minutes=1))
    scheduler.resync()
    assert mailbox.wait_for(1)[0]["To"] == "plid.utama@ppid.test" and outbox.undelivered(ctx) == []


def test_the_reminder_share_comes_from_the_configuration() -> None:
    assert load_settings(ROOT / "config.yaml", environ={}).reminder_fraction == 0.8
    half = load_settings(ROOT / "config.yaml", environ={"SOPFLOW_NOTICES_REMINDER_AT_PERCENT": "50"})
    assert half.reminder_fraction == 0.5
    with pytest.raises(ConfigError, match="reminder_at_percent must be between 0 and 100"):
        load_settings(ROOT / "config.yaml", environ={"SOPFLOW_NOTICES_REMINDER_AT_PERCENT": "100"})
