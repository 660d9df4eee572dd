"""The visual replay's frames: at each event, what was done, active and overdue, and who did what."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from engine.audit.audit_frames import replay_frames
from engine.clock import ManualClock
from engine.context import EngineContext
from tests.engine.flow import BELUM, STEP_2, complete, item_instance, start_with_plan, the_task


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
    assert breach["marks"]["Task_2_Siapkan_Data"] == "overdue" and breach["overdue"] == [
        "Menyiapkan dan mengidentifikasi data informasi publik sesuai klasifikasi DIP"]
    assert breach["marks"]["Timer_Task_2_Siapkan_Data"] == "done"
    completed = next(f for f in frames if f["type"] == "task_completed")
    assert completed["actor"] == "pembantu.dinkes" and completed["payload"]["data"]["kelas_dip"] == "berkala"
    assert completed["marks"]["Task_2_Siapkan_Data"] == "done"
    loop = next(f for f in frames if f["type"] == "gateway_decision")
    assert loop["payload"]["flow"] == "Belum sesuai" and loop["marks"]["Gateway_Verifikasi"] == "done"
    assert frames[-1]["type"] == "now" and frames[-1]["marks"]["Task_2_Siapkan_Data"] == "active"
    assert frames[-2]["type"] == "task_ready" and frames[-2]["payload"]["returned"] is True


def test_the_completion_frame_lists_the_files_given_with_the_task_and_replay_ignores_side_records(
        ctx: EngineContext, tmp_path: Path) -> None:
    from dataclasses import replace

    from engine.audit.audit_replay import replay_instance
    from engine.runtime import attachments, comments

    uploads = replace(ctx, settings=replace(ctx.settings, upload_dir=tmp_path))
    plan = start_with_plan(uploads)
    opd = "Dinas Kesehatan"
    task = the_task(uploads, plan.id, "Task_2_Siapkan_Data", opd)
    content = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    stored = attachments.add_attachment(uploads, task.instance_id, task.id, "data dinkes.pdf", content,
                                        "pembantu.dinkes")
    comments.add_comment(uploads, task.instance_id, "Data menyusul sore ini.", "pembantu.dinkes")
    complete(uploads, task, STEP_2)
    frames = replay_frames(uploads, task.instance_id).frames
    attached = next(f for f in frames if f["type"] == "attachment_added")
    assert attached["payload"]["filename"] == "data dinkes.pdf"
    completion = next(f for f in frames if f["type"] == "task_completed")
    [listed] = completion["attachments"]
    assert (listed["id"], listed["filename"], listed["uploaded_by"]) == (stored.id, "data dinkes.pdf",
                                                                          "pembantu.dinkes")
    assert listed["sha256"] == stored.sha256 and listed["size"] == len(content)
    result = replay_instance(uploads, task.instance_id)
    assert result.equal, result.divergence
