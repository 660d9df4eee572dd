"""Deterministic replay: instances with loops, breaches and cancellations replay to their stored state, and a
log that disagrees with the stored state is named."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from engine.audit.audit_replay import replay_instance
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.runtime import instances, task_list
from engine.store import Instance
from tests.engine.flow import (
    BELUM,
    DISETUJUI,
    SESUAI,
    STEP_2,
    STEP_4,
    STEP_6,
    complete,
    item_instance,
    start_with_plan,
    the_task,
)

DIKEMBALIKAN = {"keputusan_persetujuan": "dikembalikan", "alasan_pengembalian": "Tautan salah."}


def _item_with_loops_and_breach(ctx: EngineContext, clock: ManualClock, finish: bool = True) -> tuple[int, int]:
    """A plan of two items; the Dinkes item loops twice (Belum sesuai, Dikembalikan) and breaches step 2; without
    `finish` it waits at step 6 (running, so it keeps a workflow state)."""
    plan = start_with_plan(ctx)
    opd = "Dinas Kesehatan"
    clock.advance(timedelta(minutes=100))  # step 2 (90 min) breaches; the scheduler's firing is on load
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), BELUM)
    clock.advance(timedelta(minutes=5))
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), SESUAI)
    complete(ctx, the_task(ctx, plan.id, "Task_4_Unggah", opd), STEP_4)
    complete(ctx, the_task(ctx, plan.id, "Task_5_Persetujuan", opd), DIKEMBALIKAN)
    complete(ctx, the_task(ctx, plan.id, "Task_4_Unggah", opd), STEP_4)
    complete(ctx, the_task(ctx, plan.id, "Task_5_Persetujuan", opd), DISETUJUI)
    if finish:
        complete(ctx, the_task(ctx, plan.id, "Task_6_Pastikan_Tayang", opd), STEP_6)
    return plan.id, item_instance(ctx, plan.id, opd).id


def test_an_item_with_loops_and_a_breach_replays_to_its_stored_state(ctx: EngineContext, clock: ManualClock) -> None:
    plan_id, item_id = _item_with_loops_and_breach(ctx, clock)
    history = instances.get_instance(ctx, item_id).history
    assert {"timer_fired", "time_standard_breached", "service_completed", "instance_completed"} <= {
        e.type for e in history}
    result = replay_instance(ctx, item_id)
    assert result.equal, result.divergence
    assert result.inputs >= 10
    assert "task states and data" not in result.checked  # a finished item keeps its log, no workflow state
    assert replay_instance(ctx, plan_id).equal
    _, waiting_id = _item_with_loops_and_breach(ctx, clock, finish=False)
    assert "task states and data" in replay_instance(ctx, waiting_id).checked


def test_a_running_item_and_a_cancelled_one_replay_to_their_stored_state(ctx: EngineContext,
                                                                          clock: ManualClock) -> None:
    plan = start_with_plan(ctx)
    running = item_instance(ctx, plan.id, "Dinas Pendidikan")
    cancelled = item_instance(ctx, plan.id, "Dinas Kesehatan")
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", "Dinas Pendidikan"), STEP_2)
    instances.claim_task(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", "Dinas Pendidikan").id, "plid.utama")
    clock.advance(timedelta(minutes=30))
    instances.cancel_instance(ctx, cancelled.id, "ppid.utama", "Item ditarik dari rencana.")
    clock.advance(timedelta(hours=2))  # step 3 breaches while it is claimed; nobody loads the instance
    from engine.runtime.timers import fire_due_timers

    fire_due_timers(ctx)
    for instance_id in (running.id, cancelled.id):
        result = replay_instance(ctx, instance_id)
        assert result.equal, (instance_id, result.divergence)
    with ctx.db.session() as session:
        assert session.get(Instance, cancelled.id).status == "cancelled"  # type: ignore[union-attr]


def _forge_state(ctx: EngineContext, instance_id: int, find: str, put: str) -> None:
    with ctx.db.engine.begin() as connection:
        state = connection.execute(text("SELECT state FROM instances WHERE id = :id"), {"id": instance_id}).scalar()
        assert find in state
        connection.execute(text("UPDATE instances SET state = :s WHERE id = :id"),
                           {"s": state.replace(find, put), "id": instance_id})


def test_stored_data_that_the_log_does_not_explain_is_named(ctx: EngineContext, clock: ManualClock) -> None:
    _, item_id = _item_with_loops_and_breach(ctx, clock, finish=False)
    _forge_state(ctx, item_id, "Tautan salah.", "Tautan benar.")
    result = replay_instance(ctx, item_id)
    assert not result.equal
    assert "Melakukan pemeriksaan akhir" in str(result.divergence)
    assert "alasan_pengembalian" in str(result.divergence)


def test_a_stored_status_that_the_log_does_not_explain_is_named(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    item = item_instance(ctx, plan.id, "Dinas Kesehatan")
    with ctx.db.engine.begin() as connection:
        connection.execute(text("UPDATE instances SET status = 'completed' WHERE id = :id"), {"id": item.id})
    result = replay_instance(ctx, item.id)
    assert str(result.divergence) == "The item is completed but the replay ends running."
    assert result.divergence is not None and result.divergence.params == {"status": "completed",
                                                                          "replayed_status": "running"}


def test_a_deleted_completion_makes_the_replay_diverge_at_the_next_event(ctx: EngineContext,
                                                                        clock: ManualClock) -> None:
    _, item_id = _item_with_loops_and_breach(ctx, clock)
    history = instances.get_instance(ctx, item_id).history
    verdicts = [e for e in history if e.type == "task_completed" and e.payload["data"].get("hasil_verifikasi")]
    removed = verdicts[0]
    with ctx.db.engine.begin() as connection:
        if ctx.db.engine.dialect.name == "postgresql":
            connection.execute(text("DROP TRIGGER events_no_change ON events"))
        else:
            connection.execute(text("DROP TRIGGER events_no_delete"))
        connection.execute(text("DELETE FROM events WHERE id = :id"), {"id": removed.id})
    result = replay_instance(ctx, item_id)
    assert not result.equal
    assert result.divergence is not None and (result.divergence.event_id or 0) > removed.id
    assert "Hasil verifikasi?" in str(result.divergence) and "does not produce" in str(result.divergence)


def test_a_monitoring_run_started_by_its_timer_replays_with_its_recorded_service_result(
        ctx: EngineContext, clock: ManualClock) -> None:
    from engine.runtime.timers import fire_due_timers
    from tests.conftest import JAKARTA

    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA))
    assert fire_due_timers(ctx) == 1
    [task] = task_list.list_tasks(ctx, task_list.TaskFilter(lane="PPID Utama"))
    clock.advance(timedelta(minutes=75))  # past its 60-minute standard
    instances.complete_task(ctx, task.id, {"ringkasan_evaluasi": "Baik.", "tindak_lanjut": "Lanjutkan."},
                            "ppid.utama")
    history = instances.get_instance(ctx, task.instance_id).history
    assert [e.payload["operation"] for e in history if e.type == "service_completed"] == [
        "evaluation_data", "breach_handler"]
    result = replay_instance(ctx, task.instance_id)
    assert result.equal, result.divergence


class _TickingClock:
    """Like the system clock, time passes between two readings within one state change."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def now(self) -> datetime:
        self.moment += timedelta(milliseconds=3)
        return self.moment


def test_time_passing_during_a_state_change_does_not_make_the_replay_diverge(ctx: EngineContext) -> None:
    from dataclasses import replace

    from tests.conftest import START

    ticking = replace(ctx, clock=_TickingClock(START))
    plan = start_with_plan(ticking)
    item = item_instance(ticking, plan.id, "Dinas Kesehatan")
    complete(ticking, the_task(ticking, plan.id, "Task_2_Siapkan_Data", "Dinas Kesehatan"), STEP_2)
    for instance_id in (plan.id, item.id):
        result = replay_instance(ctx, instance_id)
        assert result.equal, result.divergence


def test_a_holiday_added_later_does_not_make_an_untouched_working_time_item_diverge(ctx: EngineContext,
                                                                                     clock: ManualClock) -> None:
    from dataclasses import replace

    working = replace(ctx, settings=replace(ctx.settings, calendar=replace(ctx.settings.calendar, working_time=True)))
    plan = start_with_plan(working)
    opd = "Dinas Kesehatan"
    clock.advance(timedelta(minutes=30))
    complete(working, the_task(working, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    step_3 = the_task(working, plan.id, "Task_3_Verifikasi", opd)
    assert step_3.due_at is not None

    ready_day = step_3.ready_at.astimezone(ctx.settings.calendar.timezone).date()
    cuti_bersama = replace(working.settings.calendar, extra_holidays=frozenset({ready_day}))
    later = replace(working, settings=replace(working.settings, calendar=cuti_bersama))
    assert cuti_bersama.deadline(step_3.ready_at, timedelta(minutes=60)) != step_3.due_at  # the rule did change
    for instance_id in (plan.id, item_instance(working, plan.id, opd).id):
        result = replay_instance(later, instance_id)
        assert result.equal, result.divergence
