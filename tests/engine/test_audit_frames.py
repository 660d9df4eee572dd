"""The visual replay's frames: at each event, what was done, active and overdue, and who did what."""

from __future__ import annotations

from datetime import timedelta

from engine.audit_frames import replay_frames
from engine.clock import ManualClock
from engine.context import EngineContext
from tests.engine.flow import STEP_2, complete, item_instance, start_with_plan, the_task

BELUM = {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": "Ringkasan belum lengkap."}


def test_frames_follow_the_item_through_a_breach_and_a_loop(ctx: EngineContext, clock: ManualClock) -> None:
    plan = start_with_plan(ctx)
    opd = "Dinas Kesehatan"
    item = item_instance(ctx, plan.id, opd)
    clock.advance(timedelta(minutes=100))
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), BELUM)
    clock.advance(timedelta(minutes=10))
    view = replay_frames(ctx, item.id)
    frames = view.frames
    assert view.process_id == "ppid_publikasi_item" and "Task_2_Siapkan_Data" in view.bpmn_xml
    assert [f["index"] for f in frames] == list(range(len(frames)))
    first_ready = next(f for f in frames if f["type"] == "task_ready")
    assert first_ready["marks"]["Task_2_Siapkan_Data"] == "active"
    assert first_ready["marks"]["StartEvent_Item"] == "done"
    breach = next(f for f in frames if f["type"] == "time_standard_breached")
    assert breach["marks"]["Task_2_Siapkan_Data"] == "overdue" and breach["overdue"] == ["Task_2_Siapkan_Data"]
    assert breach["marks"]["Timer_Task_2_Siapkan_Data"] == "done"
    completed = next(f for f in frames if f["type"] == "task_completed")
    assert completed["actor"] == "pembantu.dinkes" and completed["payload"]["data"]["kelas_dip"] == "berkala"
    assert completed["marks"]["Task_2_Siapkan_Data"] == "done"
    loop = next(f for f in frames if f["type"] == "gateway_decision")
    assert loop["payload"]["flow"] == "Belum sesuai" and loop["marks"]["Gateway_Verifikasi"] == "done"
    assert frames[-1]["type"] == "now" and frames[-1]["marks"]["Task_2_Siapkan_Data"] == "active"
    assert frames[-2]["type"] == "task_ready" and frames[-2]["payload"]["returned"] is True
