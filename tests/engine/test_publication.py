"""The publication SOP end to end through the engine API."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.audit.events import verify_chain
from engine.context import EngineContext
from engine.errors import InvalidTaskData, NotAllowed, SopflowError, TaskConflict
from engine.runtime import instances, task_list
from tests.engine.flow import (
    DISETUJUI,
    PLAN,
    SESUAI,
    STEP_2,
    STEP_4,
    complete,
    item_instance,
    open_tasks,
    publish_item,
    start_publication,
    start_with_plan,
    the_task,
)


def _events(ctx: EngineContext, instance_id: int, type: str | None = None) -> list:
    history = instances.get_instance(ctx, instance_id).history
    return [e for e in history if type is None or e.type == type]


def test_step_1_waits_in_ppid_utama_lane_with_its_deadline(ctx: EngineContext) -> None:
    instance = start_publication(ctx)
    [task] = open_tasks(ctx, instance.id)
    assert (task.spec_id, task.lane, task.role, task.step) == ("Task_1_Arahan", "PPID Utama", "ppid_utama", "1")
    assert task.time_standard == "PT15M"
    assert task.due_at == ctx.clock.now() + timedelta(minutes=15)
    assert instance.current_task == task.name and instance.current_lane == "PPID Utama"
    assert instance.due_at == task.due_at


def test_happy_path_publishes_every_planned_item_and_completes(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx)
    step_2 = open_tasks(ctx, instance.id, "Task_2_Siapkan_Data")
    assert sorted((t.opd, t.lane, t.item_label) for t in step_2) == sorted(
        (item["opd"], "PPID Pembantu", item["judul"]) for item in PLAN
    )
    assert instances.get_instance(ctx, instance.id).instance.status == "completed"
    for item in PLAN:
        publish_item(ctx, instance.id, item["opd"])
        state = instances.get_instance(ctx, item_instance(ctx, instance.id, item["opd"]).id)
        assert state.instance.status == "completed" and state.instance.parent_id == instance.id
        assert (state.instance.title, state.instance.opd) == (item["judul"], item["opd"])
        assert state.open_tasks == []
        assert state.instance.current_task is None and state.instance.due_at is None
        flows = [e.payload["flow"] for e in state.history if e.type == "gateway_decision"]
        assert flows == ["Sesuai", "Disetujui", "Ya"]
        assert [e.type for e in state.history][-1] == "instance_completed"
        assert verify_chain(state.history) is None


def test_one_item_looping_does_not_hold_back_another(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx)
    kesehatan, pendidikan = (item["opd"] for item in PLAN)
    complete(ctx, the_task(ctx, instance.id, "Task_2_Siapkan_Data", kesehatan), STEP_2)
    complete(ctx, the_task(ctx, instance.id, "Task_3_Verifikasi", kesehatan),
             {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": "Ringkasan kurang lengkap."})
    publish_item(ctx, instance.id, pendidikan)
    assert item_instance(ctx, instance.id, pendidikan).status == "completed"
    assert item_instance(ctx, instance.id, kesehatan).status == "running"
    assert [t.spec_id for t in open_tasks(ctx, instance.id)] == ["Task_2_Siapkan_Data"]


def test_belum_sesuai_twice_then_sesuai_returns_item_to_pembantu_with_reasons(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx, PLAN[:1])
    opd = PLAN[0]["opd"]
    reasons = ["Klasifikasi DIP belum tepat.", "Penanggung jawab belum diisi dengan benar."]
    for reason in reasons:
        complete(ctx, the_task(ctx, instance.id, "Task_2_Siapkan_Data", opd), STEP_2)
        complete(ctx, the_task(ctx, instance.id, "Task_3_Verifikasi", opd),
                 {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": reason})
        returned = the_task(ctx, instance.id, "Task_2_Siapkan_Data", opd)
        assert returned.lane == "PPID Pembantu" and returned.opd == opd
        assert instances.get_task(ctx, returned.id).data["alasan_verifikasi"] == reason
    complete(ctx, the_task(ctx, instance.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, instance.id, "Task_3_Verifikasi", opd), SESUAI)
    assert the_task(ctx, instance.id, "Task_4_Unggah", opd).lane == "PLID Utama"
    item_id = item_instance(ctx, instance.id, opd).id
    decisions = _events(ctx, item_id, "gateway_decision")
    assert [e.payload["flow"] for e in decisions] == ["Belum sesuai", "Belum sesuai", "Sesuai"]
    assert decisions[0].payload["target_name"] is not None
    completed = [e for e in _events(ctx, item_id, "task_completed") if e.payload["step"] == "3"]
    assert [e.payload["data"].get("alasan_verifikasi") for e in completed] == [*reasons, None]


def test_final_check_can_send_the_item_back_to_upload_with_reasons(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx, PLAN[:1])
    for spec_id, data in (("Task_2_Siapkan_Data", STEP_2), ("Task_3_Verifikasi", SESUAI), ("Task_4_Unggah", STEP_4)):
        complete(ctx, the_task(ctx, instance.id, spec_id), data)
    complete(ctx, the_task(ctx, instance.id, "Task_5_Persetujuan"),
             {"keputusan_persetujuan": "dikembalikan", "alasan_pengembalian": "Judul salah ketik."})
    again = the_task(ctx, instance.id, "Task_4_Unggah")
    assert instances.get_task(ctx, again.id).data["alasan_pengembalian"] == "Judul salah ketik."
    complete(ctx, again, STEP_4)
    complete(ctx, the_task(ctx, instance.id, "Task_5_Persetujuan"), DISETUJUI)
    assert the_task(ctx, instance.id, "Task_6_Pastikan_Tayang")


def test_dikecualikan_item_never_reaches_upload(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx, PLAN[:1])
    complete(ctx, the_task(ctx, instance.id, "Task_2_Siapkan_Data"), {**STEP_2, "kelas_dip": "dikecualikan"})
    complete(ctx, the_task(ctx, instance.id, "Task_3_Verifikasi"), SESUAI)
    state = instances.get_instance(ctx, item_instance(ctx, instance.id).id)
    assert state.instance.status == "completed"
    assert [e.payload["flow"] for e in state.history if e.type == "gateway_decision"] == ["Dikecualikan"]
    assert not any(e.payload.get("spec") == "Task_4_Unggah" for e in state.history if e.type == "task_ready")


def test_completing_as_the_wrong_role_is_refused_and_changes_nothing(ctx: EngineContext) -> None:
    instance = start_publication(ctx)
    task = the_task(ctx, instance.id, "Task_1_Arahan")
    before = _events(ctx, instance.id)
    with pytest.raises(NotAllowed, match="Only the lane PPID Utama may do this"):
        instances.complete_task(ctx, task.id, {"rencana_unggahan": PLAN, "arahan_kerja": "x"}, "plid.utama")
    assert the_task(ctx, instance.id, "Task_1_Arahan").status == "ready"
    assert len(_events(ctx, instance.id)) == len(before)


def test_pembantu_of_another_opd_cannot_complete_the_item(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx, PLAN[:1])
    task = the_task(ctx, instance.id, "Task_2_Siapkan_Data")
    with pytest.raises(NotAllowed, match="Dinas Pendidikan"):
        instances.complete_task(ctx, task.id, STEP_2, "pembantu.disdik")
    assert the_task(ctx, instance.id, "Task_2_Siapkan_Data").status == "ready"


def test_unknown_user_is_refused(ctx: EngineContext) -> None:
    instance = start_publication(ctx)
    with pytest.raises(NotAllowed, match="Unknown user"):
        instances.claim_task(ctx, the_task(ctx, instance.id, "Task_1_Arahan").id, "intruder")


def test_data_missing_what_the_step_requires_is_refused_with_field_errors(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx, PLAN[:1])
    task = the_task(ctx, instance.id, "Task_2_Siapkan_Data")
    with pytest.raises(InvalidTaskData) as caught:
        complete(ctx, task, {**STEP_2, "kelas_dip": "rahasia", "ringkasan": "", "extra": 1})
    assert set(caught.value.field_errors) == {"kelas_dip", "ringkasan", "extra"}
    complete(ctx, task, STEP_2)
    verifikasi = the_task(ctx, instance.id, "Task_3_Verifikasi")
    with pytest.raises(InvalidTaskData) as caught:
        complete(ctx, verifikasi, {"hasil_verifikasi": "belum_sesuai"})
    assert {name: str(error) for name, error in caught.value.field_errors.items()} == {
        "alasan_verifikasi": "is required"}
    assert the_task(ctx, instance.id, "Task_3_Verifikasi").status == "ready"


def test_plan_items_need_title_and_opd(ctx: EngineContext) -> None:
    instance = start_publication(ctx)
    task = the_task(ctx, instance.id, "Task_1_Arahan")
    with pytest.raises(InvalidTaskData, match="item 1 lacks opd"):
        complete(ctx, task, {"rencana_unggahan": [{"judul": "A"}], "arahan_kerja": "x"})


def test_double_submission_is_a_conflict(ctx: EngineContext) -> None:
    instance = start_publication(ctx)
    task = the_task(ctx, instance.id, "Task_1_Arahan")
    complete(ctx, task, {"rencana_unggahan": PLAN, "arahan_kerja": "x"})
    with pytest.raises(TaskConflict, match="already completed by ppid.utama"):
        complete(ctx, task, {"rencana_unggahan": PLAN, "arahan_kerja": "x"})
    assert len(open_tasks(ctx, instance.id, "Task_2_Siapkan_Data")) == 2


def test_claimed_task_belongs_to_its_claimer_until_released(ctx: EngineContext) -> None:
    instance = start_with_plan(ctx, PLAN[:1])
    complete(ctx, the_task(ctx, instance.id, "Task_2_Siapkan_Data"), STEP_2)
    task = the_task(ctx, instance.id, "Task_3_Verifikasi")
    instances.claim_task(ctx, task.id, "plid.utama")
    assert the_task(ctx, instance.id, "Task_3_Verifikasi").claimed_by == "plid.utama"
    assert task_list.list_tasks(ctx, task_list.TaskFilter(claimed_by="plid.utama"))[0].id == task.id
    instances.release_task(ctx, task.id, "plid.utama")
    released = the_task(ctx, instance.id, "Task_3_Verifikasi")
    assert (released.status, released.claimed_by) == ("ready", None)
    with pytest.raises(NotAllowed, match="not claimed by"):
        instances.release_task(ctx, task.id, "plid.utama")
    types = [e.type for e in _events(ctx, task.instance_id)]
    assert "task_claimed" in types and "task_released" in types


def test_task_lists_filter_by_lane_opd_instance_and_overdue(ctx: EngineContext) -> None:
    first = start_with_plan(ctx)
    second = start_publication(ctx)
    by_lane = task_list.list_tasks(ctx, task_list.TaskFilter(lane="PPID Pembantu"))
    items_of_first = {item_instance(ctx, first.id, item["opd"]).id for item in PLAN}
    assert {t.instance_id for t in by_lane} == items_of_first and len(by_lane) == 2
    by_opd = task_list.list_tasks(ctx, task_list.TaskFilter(opd="Dinas Pendidikan"))
    assert [t.opd for t in by_opd] == ["Dinas Pendidikan"]
    assert [t.spec_id for t in task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=second.id))] == [
        "Task_1_Arahan"
    ]
    assert task_list.list_tasks(ctx, task_list.TaskFilter(overdue=True)) == []
    ctx.clock.advance(timedelta(minutes=16))  # type: ignore[attr-defined]
    overdue = task_list.list_tasks(ctx, task_list.TaskFilter(overdue=True))
    assert [t.spec_id for t in overdue] == ["Task_1_Arahan"]


def test_cancel_withdraws_open_tasks_and_drops_timers(ctx: EngineContext) -> None:
    from engine.runtime.timers import fire_due_timers, pending_timers

    plan = start_with_plan(ctx, PLAN[:1])
    instance = item_instance(ctx, plan.id)
    with pytest.raises(NotAllowed, match="Your role does not allow this"):
        instances.cancel_instance(ctx, instance.id, "plid.utama", "salah")
    instances.cancel_instance(ctx, instance.id, "ppid.utama", "Item dibatalkan")
    state = instances.get_instance(ctx, instance.id)
    assert state.instance.status == "cancelled" and state.open_tasks == []
    assert [e.type for e in state.history].count("task_withdrawn") == 1
    assert state.history[-1].type == "instance_cancelled"
    assert len(pending_timers(ctx)) == 1  # only the monthly start of ppid_monitoring is left
    ctx.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
    assert fire_due_timers(ctx) == 0
    with pytest.raises(SopflowError, match="was cancelled"):
        instances.cancel_instance(ctx, instance.id, "ppid.utama", "lagi")


def test_a_task_claimed_by_one_person_cannot_be_completed_by_a_colleague(ctx: EngineContext) -> None:
    from engine.people import users

    users.create_user(ctx, "plid.kedua", "rahasia-uji-456", ["plid_utama"], "PLID kedua", "plid2@ppid.test")
    instance = start_with_plan(ctx, PLAN[:1])
    complete(ctx, the_task(ctx, instance.id, "Task_2_Siapkan_Data"), STEP_2)
    task = the_task(ctx, instance.id, "Task_3_Verifikasi")
    instances.claim_task(ctx, task.id, "plid.kedua")
    with pytest.raises(NotAllowed, match="claimed by plid.kedua"):
        instances.complete_task(ctx, task.id, SESUAI, "plid.utama")
    with pytest.raises(TaskConflict, match="already claimed by plid.kedua"):
        instances.claim_task(ctx, task.id, "plid.utama")
    instances.complete_task(ctx, task.id, SESUAI, "plid.kedua")
    assert the_task(ctx, instance.id, "Task_4_Unggah").status == "ready"
