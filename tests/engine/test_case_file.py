"""The case file: labelled values per step and per round, the plan's own row only, no reasons carried forward."""

from __future__ import annotations

import pytest

from engine.audit.events import instance_history
from engine.context import EngineContext
from engine.diagrams.forms import parse_field
from engine.errors import NotAllowed, SopflowError
from engine.runtime import attachments, instances
from engine.runtime.case_file import CaseEntry, as_dict, case_file
from tests.engine.flow import (
    BELUM,
    PLAN,
    SESUAI,
    STEP_2,
    STEP_4,
    complete,
    item_instance,
    start_with_plan,
    the_task,
)

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _values(entry: CaseEntry) -> dict[str, str]:
    return {value.label: value.text for value in entry.values}


def test_choice_labels_come_from_the_diagram_and_fall_back_to_the_code_humanised() -> None:
    labelled = parse_field("hasil", "choice:sesuai=Sesuai,belum_sesuai=Belum sesuai|required|Hasil")
    plain = parse_field("bentuk", "choice:softcopy,soft_dan_hard|optional|Bentuk")
    assert labelled.choices == ("sesuai", "belum_sesuai")
    assert labelled.label_of("belum_sesuai") == "Belum sesuai"
    assert plain.label_of("soft_dan_hard") == "Soft dan hard"
    with pytest.raises(ValueError, match="no code"):
        parse_field("x", "choice:=Label|optional|X")


def test_step_3_sees_step_2_labelled_and_the_plan_shows_only_this_items_row(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", "Dinas Kesehatan"), STEP_2)
    child = item_instance(ctx, plan.id, "Dinas Kesehatan")
    case = case_file(ctx, child.id, "plid.utama")
    assert case.plan is not None and case.plan.step == "1" and case.plan.actor == "ppid.utama"
    plan_values = {value.name: value for value in case.plan.values}
    assert plan_values["arahan_kerja"].text == "Unggah sebelum akhir bulan."
    rows = plan_values["rencana_unggahan"].rows
    assert len(rows) == 1 and {cell.name: cell.text for cell in rows[0]}["judul"] == PLAN[0]["judul"]
    assert "Dinas Pendidikan" not in str(as_dict(case, str))
    [step_2] = case.rounds[0].entries
    seen = _values(step_2)
    assert seen["Bentuk informasi yang tersedia"] == "Softcopy dan hardcopy"
    assert seen["Klasifikasi DIP"] == "Berkala" and step_2.actor == "pembantu.dinkes"


def test_a_loop_opens_a_new_round_and_a_sesuai_round_keeps_no_earlier_reasons(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx, PLAN[:1])
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data"), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi"), BELUM)
    returned = the_task(ctx, plan.id, "Task_2_Siapkan_Data")
    assert instances.get_task(ctx, returned.id).data["alasan_verifikasi"] == BELUM["alasan_verifikasi"]
    complete(ctx, returned, STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi"), SESUAI)
    step_4 = the_task(ctx, plan.id, "Task_4_Unggah")
    assert "alasan_verifikasi" not in instances.get_task(ctx, step_4.id).data
    with ctx.db.session() as session:
        verified = [e for e in instance_history(session, step_4.instance_id) if e.type == "task_completed"][-1]
    assert verified.payload["cleared"] == ["alasan_verifikasi"]  # a replay clears the same
    case = case_file(ctx, step_4.instance_id, "ppid.utama")
    first, second = case.rounds
    assert first.returned_by == "Belum sesuai"
    assert _values(first.entries[1]) == {"Hasil verifikasi": "Belum sesuai",
                                         "Alasan belum sesuai": BELUM["alasan_verifikasi"]}
    assert "Alasan belum sesuai" not in _values(second.entries[1])
    assert _values(second.entries[1])["Hasil verifikasi"] == "Sesuai" and second.returned_by is None
    complete(ctx, step_4, STEP_4)
    case = case_file(ctx, step_4.instance_id, "ppid.utama")
    assert case.current is not None and case.current.entries[-1].values[0].kind == "url"


def test_another_office_may_not_read_the_case_file(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx)
    child = item_instance(ctx, plan.id, "Dinas Kesehatan")
    with pytest.raises(NotAllowed):
        case_file(ctx, child.id, "pembantu.disdik")


def test_the_uploader_removes_a_file_with_a_reason_and_the_record_keeps_it(ctx: EngineContext) -> None:
    plan = start_with_plan(ctx, PLAN[:1])
    task = the_task(ctx, plan.id, "Task_2_Siapkan_Data")
    added = attachments.add_attachment(ctx, task.instance_id, task.id, "surat.pdf", PDF, "pembantu.dinkes")
    with pytest.raises(NotAllowed):
        attachments.remove_attachment(ctx, added.id, "ppid.utama", "salah berkas")
    with pytest.raises(SopflowError, match="needs a reason"):
        attachments.remove_attachment(ctx, added.id, "pembantu.dinkes", "  ")
    attachments.remove_attachment(ctx, added.id, "pembantu.dinkes", "Salah berkas")
    [kept] = case_file(ctx, task.instance_id, "plid.utama").open_attachments
    assert (kept.removed_by, kept.removal_reason) == ("pembantu.dinkes", "Salah berkas")
    assert attachments.open_attachment(ctx, added.id, "plid.utama").path.read_bytes() == PDF
    with ctx.db.session() as session:
        removal = instance_history(session, task.instance_id)[-1]
    assert (removal.type, removal.actor, removal.payload["reason"]) == ("attachment_removed", "pembantu.dinkes",
                                                                        "Salah berkas")
    kept_file = attachments.add_attachment(ctx, task.instance_id, task.id, "data.pdf", PDF, "pembantu.dinkes")
    complete(ctx, task, STEP_2)
    with pytest.raises(NotAllowed, match="no longer open"):
        attachments.remove_attachment(ctx, kept_file.id, "pembantu.dinkes", "lagi")
    [step_2] = case_file(ctx, task.instance_id, "plid.utama").rounds[0].entries
    assert [a.filename for a in step_2.attachments] == ["surat.pdf", "data.pdf"]
