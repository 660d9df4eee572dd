"""The step forms the diagram asks for: errors beside the field in Indonesian with the entered values kept,
the Belum sesuai loop with its reasons, an exempt item stopping before upload, and the paraf at step 5."""

from __future__ import annotations

from sqlalchemy import select

from engine.context import EngineContext
from engine.runtime import task_list
from engine.store import Event, Instance, WorkItem
from tests.engine import flow
from tests.webapp.conftest import post
from tests.webapp.pages import (
    People,
    advance_item,
    event_count,
    field_error,
    field_value,
    flash_messages,
    item_instances,
    open_task,
    page,
    plan_item,
    start_items,
    submit,
    text_of,
)

DINKES = "Dinas Kesehatan"


def test_missing_step_2_fields_read_wajib_diisi_beside_each_field_and_the_entered_values_stay(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    task = open_task(engine_ctx, item.id)
    partial = {k: v for k, v in flow.STEP_2.items() if k not in ("ringkasan", "pejabat_penguasa")}
    response = submit(people("pembantu.dinkes"), task.id, {**partial, "tautan_video": "bukan alamat"})
    assert response.status_code == 422
    assert field_error(response, "ringkasan") == "wajib diisi"
    assert field_error(response, "pejabat_penguasa") == "wajib diisi"
    assert field_error(response, "tautan_video") == "harus berupa alamat http(s)"
    assert field_error(response, "penanggung_jawab") == ""
    assert field_value(response, "penanggung_jawab") == flow.STEP_2["penanggung_jawab"]
    assert field_value(response, "bentuk_informasi") == "softcopy_dan_hardcopy"
    assert field_value(response, "tautan_video") == "bukan alamat"
    assert event_count(engine_ctx, "task_completed") == 1  # step 1 only
    assert open_task(engine_ctx, item.id).id == task.id


def test_a_plan_row_missing_its_date_is_named_in_indonesian_and_every_row_is_kept(
    people: People, engine_ctx: EngineContext
) -> None:
    utama = people("ppid.utama")
    started = post(utama, "/instances", {"process": "ppid_publikasi"})
    assert started.status_code == 302 and "/tasks/" in started.headers["Location"]
    task_path = started.headers["Location"]
    rows = [plan_item("Profil dinas", DINKES), {**plan_item("Data sekolah", "Dinas Pendidikan"), "tanggal_target": ""}]
    response = post(utama, f"{task_path}/complete", {
        "arahan_kerja": "Segera.",
        **{f"rencana_unggahan-{i}-{key}": value for i, row in enumerate(rows) for key, value in row.items()},
    })
    assert response.status_code == 422
    assert field_error(response, "rencana_unggahan") == "item 2 belum memuat tanggal_target"
    assert field_value(response, "rencana_unggahan-1-judul") == "Data sekolah"
    assert field_value(response, "rencana_unggahan-1-kelas_dip") == "berkala"
    assert field_value(response, "arahan_kerja") == "Segera."

    rows[1]["tanggal_target"] = "2026-12-01"
    done = post(utama, f"{task_path}/complete", {
        "arahan_kerja": "Segera.",
        **{f"rencana_unggahan-{i}-{key}": value for i, row in enumerate(rows) for key, value in row.items()},
    })
    assert done.status_code == 302
    with engine_ctx.db.session() as session:
        plan_id = session.scalar(select(Instance.id).where(Instance.process_id == "ppid_publikasi"))
    assert [(c.title, c.opd) for c in item_instances(engine_ctx, plan_id)] == [
        ("Profil dinas", DINKES), ("Data sekolah", "Dinas Pendidikan")]


def test_belum_sesuai_without_reasons_is_refused_beside_the_reason_field(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_3 = advance_item(engine_ctx, item.id, 3)
    response = submit(people("plid.utama"), step_3.id, {"hasil_verifikasi": "belum_sesuai"})
    assert response.status_code == 422
    assert field_error(response, "alasan_verifikasi") == "wajib diisi"
    assert field_value(response, "hasil_verifikasi") == "belum_sesuai"
    assert open_task(engine_ctx, item.id).id == step_3.id


def test_sesuai_needs_every_box_of_the_checklist_ticked(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_3 = advance_item(engine_ctx, item.id, 3)
    response = submit(people("plid.utama"), step_3.id, {**flow.SESUAI, "cek_akurat": False})
    assert response.status_code == 422
    assert field_error(response, "cek_akurat") == "harus dicentang"
    assert field_error(response, "cek_lengkap") == ""
    assert field_value(response, "cek_lengkap") == "on"


def test_belum_sesuai_returns_the_item_to_step_2_with_the_reasons_shown_to_the_pembantu(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_3 = advance_item(engine_ctx, item.id, 3)
    reasons = "Lampiran SK belum ada; ringkasan terlalu umum."
    done = submit(people("plid.utama"), step_3.id, {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": reasons})
    assert done.status_code == 302
    again = open_task(engine_ctx, item.id)
    assert again.spec_id == "Task_2_Siapkan_Data" and again.id != step_3.id

    pembantu = people("pembantu.dinkes")
    form = pembantu.get(f"/tasks/{again.id}")
    returned = page(form).xpath('//*[@id="returned-reasons"]')
    assert returned and ("Dikembalikan di langkah 3 (Hasil verifikasi? Belum sesuai) Alasan belum sesuai:"
                         in returned[0].text_content())
    assert reasons in returned[0].text_content()
    notes = text_of(pembantu.get("/notifications"))
    assert "Dikembalikan: langkah 2" in notes


def test_an_item_classed_dikecualikan_ends_after_verification_and_never_reaches_upload(
    people: People, engine_ctx: EngineContext
) -> None:
    (item,) = start_items(engine_ctx, plan_item("Data pribadi pasien", DINKES, "dikecualikan"))
    step_2 = open_task(engine_ctx, item.id)
    assert submit(people("pembantu.dinkes"), step_2.id, {**flow.STEP_2, "kelas_dip": "dikecualikan"}).status_code == 302
    step_3 = open_task(engine_ctx, item.id, "Task_3_Verifikasi")
    assert submit(people("plid.utama"), step_3.id, flow.SESUAI).status_code == 302

    with engine_ctx.db.session() as session:
        finished = session.get(Instance, item.id)
        steps = session.scalars(select(WorkItem.spec_id).where(WorkItem.instance_id == item.id)).all()
    assert finished is not None and finished.status == "completed"
    assert "Task_4_Unggah" not in steps
    assert task_list.list_tasks(engine_ctx, task_list.TaskFilter(instance_id=item.id)) == []
    inbox = text_of(people("plid.utama").get("/tasks"))
    assert "Data pribadi pasien" not in inbox


def test_approval_at_step_5_needs_the_paraf_name_and_an_18_digit_nip(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_5 = advance_item(engine_ctx, item.id, 5)
    utama = people("ppid.utama")
    missing = submit(utama, step_5.id, {"keputusan_persetujuan": "disetujui"})
    assert missing.status_code == 422
    assert field_error(missing, "paraf_nama") == "wajib diisi"
    assert field_error(missing, "paraf_nip") == "wajib diisi"
    for bad in ("19801122200604100", "1980112220060410091", "19801122200604100X"):
        short = submit(utama, step_5.id, {**flow.DISETUJUI, "paraf_nip": bad})
        assert short.status_code == 422
        assert field_error(short, "paraf_nip") == "harus berupa NIP 18 angka"
        assert field_value(short, "paraf_nama") == flow.DISETUJUI["paraf_nama"]
    assert open_task(engine_ctx, item.id).id == step_5.id

    approved = submit(utama, step_5.id, {**flow.DISETUJUI, "paraf_nip": "19801122 2006041 009"})
    assert approved.status_code == 302
    assert open_task(engine_ctx, item.id).spec_id == "Task_6_Pastikan_Tayang"
    with engine_ctx.db.session() as session:
        event = session.scalars(select(Event).where(Event.type == "task_completed", Event.task_id == step_5.id)).one()
    assert event.payload["data"]["paraf_nama"] == flow.DISETUJUI["paraf_nama"]
    assert event.payload["data"]["paraf_nip"] == "198011222006041009"
    assert event.actor == "ppid.utama" and event.occurred_at is not None


def test_returning_at_step_5_needs_a_reason_and_shows_it_back_at_step_4(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_5 = advance_item(engine_ctx, item.id, 5)
    utama = people("ppid.utama")
    refused = submit(utama, step_5.id, {"keputusan_persetujuan": "dikembalikan"})
    assert refused.status_code == 422 and field_error(refused, "alasan_pengembalian") == "wajib diisi"
    assert field_error(refused, "paraf_nip") == ""
    returned = submit(utama, step_5.id, {"keputusan_persetujuan": "dikembalikan",
                                         "alasan_pengembalian": "Judul halaman salah ketik."})
    assert returned.status_code == 302
    step_4 = open_task(engine_ctx, item.id)
    assert step_4.spec_id == "Task_4_Unggah"
    shown = page(people("plid.utama").get(f"/tasks/{step_4.id}")).xpath('//*[@id="returned-reasons"]')
    assert shown and "Judul halaman salah ketik." in shown[0].text_content()


def test_a_step_4_address_must_be_http(people: People, engine_ctx: EngineContext, item: Instance) -> None:
    step_4 = advance_item(engine_ctx, item.id, 4)
    response = submit(people("plid.utama"), step_4.id, {"tautan_unggahan": "ftp://ppid.tanjabtimkab.go.id/x"})
    assert response.status_code == 422
    assert field_error(response, "tautan_unggahan") == "harus berupa alamat http(s)"
    assert field_value(response, "tautan_unggahan") == "ftp://ppid.tanjabtimkab.go.id/x"


def test_a_completed_step_says_so_in_indonesian(people: People, engine_ctx: EngineContext, item: Instance) -> None:
    step_2 = open_task(engine_ctx, item.id)
    pembantu = people("pembantu.dinkes")
    done = submit(pembantu, step_2.id, flow.STEP_2)
    assert done.status_code == 302
    assert any(m.startswith("Langkah 2 selesai") for m in flash_messages(pembantu.get(done.headers["Location"])))
    waiting = people("plid.utama").get("/notifications")
    assert f"/tasks/{open_task(engine_ctx, item.id).id}" in waiting.get_data(as_text=True)


def test_step_2_starts_from_the_planned_class_and_summary(
    people: People, engine_ctx: EngineContext
) -> None:
    (item,) = start_items(engine_ctx, plan_item("Data pribadi pasien", DINKES, "dikecualikan"))
    form = people("pembantu.dinkes").get(f"/tasks/{open_task(engine_ctx, item.id).id}")
    assert field_value(form, "kelas_dip") == "dikecualikan"
    assert field_value(form, "ringkasan") == "Ringkasan Data pribadi pasien."


def test_field_errors_follow_the_chosen_language(people: People, engine_ctx: EngineContext, item: Instance) -> None:
    pembantu = people("pembantu.dinkes")
    assert post(pembantu, "/language/en", headers={"Referer": "/tasks"}).status_code == 302
    response = submit(pembantu, open_task(engine_ctx, item.id).id, {"kelas_dip": "rahasia"})
    assert response.status_code == 422
    assert field_error(response, "ringkasan") == "is required"
    assert field_error(response, "kelas_dip") == "must be one of: Berkala, Serta-merta, Setiap saat, Dikecualikan"


def test_a_conditional_field_names_the_condition_by_its_label(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_3 = advance_item(engine_ctx, item.id, 3)
    form = page(people("plid.utama").get(f"/tasks/{step_3.id}"))
    hint = " ".join(form.xpath('string(//div[@data-field="alasan_verifikasi"]//small)').split())
    assert hint == "Wajib bila Hasil verifikasi bernilai Belum sesuai"
