"""The case file on task, item and API pages; read-only pages that say why; uploads that keep the typed form;
removing an attachment with a reason."""

from __future__ import annotations

import io

from flask import Flask

from engine.context import EngineContext
from engine.people import users
from engine.people.tokens import create_token
from engine.runtime import instances
from engine.store import Instance
from tests.engine import flow
from tests.webapp.conftest import login, post
from tests.webapp.pages import (
    People,
    advance_item,
    attach_a_pdf,
    event_count,
    field_value,
    open_task,
    page,
    pdf_bytes,
    plan_item,
    snapshot,
    start_items,
    step_form,
    submit,
    text_of,
)


def _case_text(response: object) -> str:
    found = page(response).xpath('//section[@id="case-file"]')
    assert found, "the page has no case file"
    return " ".join(found[0].text_content().split())


def test_the_verifier_reads_step_2_with_labels_and_only_this_items_plan_row(
    people: People, engine_ctx: EngineContext
) -> None:
    dinkes, _ = start_items(engine_ctx, plan_item("Laporan keuangan", "Dinas Kesehatan"),
                            plan_item("Jadwal sekolah", "Dinas Pendidikan"))
    step_3 = advance_item(engine_ctx, dinkes.id, 3)
    for viewer in ("plid.utama", "pembantu.dinkes"):
        response = people(viewer).get(f"/tasks/{step_3.id}")
        case = _case_text(response)
        assert "Softcopy dan hardcopy" in case and "softcopy_dan_hardcopy" not in case
        assert "Bentuk informasi yang tersedia" in case and "Sekretaris Dinas" in case
        assert "Laporan keuangan" in case and "Unggah sebelum akhir bulan." in case
        assert "Jadwal sekolah" not in response.get_data(as_text=True)
    readonly = people("pembantu.dinkes").get(f"/tasks/{step_3.id}")
    assert page(readonly).xpath('//input[not(@type="hidden")] | //textarea | //select') == []
    assert "Hanya PLID Utama yang dapat mengerjakan ini." in text_of(readonly)


def test_a_finished_task_shows_what_was_submitted_and_no_inputs(people: People, engine_ctx: EngineContext,
                                                                 item: Instance) -> None:
    step_2 = open_task(engine_ctx, item.id)
    advance_item(engine_ctx, item.id, 3)
    response = people("pembantu.dinkes").get(f"/tasks/{step_2.id}")
    assert "Tugas ini sudah selesai." in text_of(response)
    assert "Kepala Subbagian Program" in _case_text(response)
    assert page(response).xpath('//form[@id="step-form"]') == []


def test_a_new_round_shows_the_reasons_keeps_the_old_round_collapsed_and_prefills_no_decision(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    flow.complete(engine_ctx, open_task(engine_ctx, item.id), flow.STEP_2)
    flow.complete(engine_ctx, open_task(engine_ctx, item.id), flow.BELUM)
    returned = people("pembantu.dinkes").get(f"/tasks/{open_task(engine_ctx, item.id).id}")
    assert "Ringkasan belum lengkap." in text_of(returned)
    [old_round] = page(returned).xpath('//details[@data-round="1"]')
    assert old_round.get("open") is None and "Belum sesuai" in old_round.text_content()
    assert field_value(returned, "pejabat_penguasa") == "Sekretaris Dinas"  # step 2's own data is kept
    flow.complete(engine_ctx, open_task(engine_ctx, item.id), flow.STEP_2)
    again = people("plid.utama").get(f"/tasks/{open_task(engine_ctx, item.id).id}")
    assert field_value(again, "hasil_verifikasi") is None and field_value(again, "alasan_verifikasi") == ""


def test_step_5_sees_the_address_as_a_link_and_the_api_has_the_case_file(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_5 = advance_item(engine_ctx, item.id, 5)
    response = people("ppid.utama").get(f"/tasks/{step_5.id}")
    links = page(response).xpath('//section[@id="case-file"]//a/@href')
    assert flow.STEP_4["tautan_unggahan"] in links
    assert "Sesuai" in _case_text(response)
    item_page = people("ppid.utama").get(f"/instances/{item.id}")
    assert flow.STEP_4["tautan_unggahan"] in page(item_page).xpath('//section[@id="case-file"]//a/@href')
    token = create_token(engine_ctx, "ppid.utama", "test")
    api = people("ppid.utama").get(f"/api/v1/tasks/{step_5.id}", headers={"Authorization": f"Bearer {token}"})
    api = api.get_json()
    verified = api["case_file"]["rounds"][0]["entries"][1]["values"][0]
    assert (verified["value"], verified["text"], verified["label"]) == ("sesuai", "Sesuai", "Hasil verifikasi")
    row = api["case_file"]["plan"]["values"][0]["rows"][0]
    assert {cell["label"]: cell["text"] for cell in row}["Judul"] == "Laporan keuangan semester I"


def test_an_upload_keeps_what_was_typed(people: People, engine_ctx: EngineContext, item: Instance) -> None:
    task = open_task(engine_ctx, item.id)
    typed = {**step_form(flow.STEP_2), "pejabat_penguasa": "Kepala Dinas yang baru"}
    response = post(people("pembantu.dinkes"), f"/tasks/{task.id}/attachments",
                    {**typed, "file": (io.BytesIO(pdf_bytes()), "data.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 200
    assert field_value(response, "pejabat_penguasa") == "Kepala Dinas yang baru"
    assert "data.pdf" in text_of(response)


def test_files_chosen_in_the_step_form_go_with_the_completion(people: People, engine_ctx: EngineContext,
                                                              item: Instance) -> None:
    task = open_task(engine_ctx, item.id)
    response = post(people("pembantu.dinkes"), f"/tasks/{task.id}/complete",
                    {**step_form(flow.STEP_2), "file": (io.BytesIO(pdf_bytes()), "bukti.pdf")},
                    content_type="multipart/form-data")
    assert response.status_code == 302
    step_3 = people("plid.utama").get(f"/tasks/{open_task(engine_ctx, item.id).id}")
    assert "bukti.pdf" in page(step_3).xpath('//article[@data-step="2"]')[0].text_content()


def test_removing_an_attachment_needs_a_reason_and_leaves_it_struck_through(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    task = open_task(engine_ctx, item.id)
    pembantu = people("pembantu.dinkes")
    attachment_id = attach_a_pdf(pembantu, task.id)
    before = snapshot(engine_ctx)
    refused = post(pembantu, f"/attachments/{attachment_id}/remove", {"reason": " "})
    assert refused.status_code == 400 and "penghapusan memerlukan alasan" in text_of(refused)
    assert snapshot(engine_ctx) == before
    removed = post(pembantu, f"/attachments/{attachment_id}/remove",
                   {"reason": "Salah berkas.", "file": (io.BytesIO(pdf_bytes()), "benar.pdf")},
                   content_type="multipart/form-data")
    assert removed.status_code == 302 and event_count(engine_ctx, "attachment_removed") == 1
    shown = pembantu.get(f"/tasks/{task.id}")
    [struck] = page(shown).xpath('//li[contains(@class, "removed")]')
    assert struck.xpath(".//s/a")[0].text_content() == "salah.pdf" and "Salah berkas." in struck.text_content()
    assert "benar.pdf" in text_of(shown)
    assert people("auditor").get(f"/attachments/{attachment_id}").status_code == 200
    assert "Salah berkas." in text_of(people("auditor").get(f"/instances/{item.id}"))


def test_submit_helper_still_completes_with_the_multipart_form(people: People, engine_ctx: EngineContext,
                                                                item: Instance) -> None:
    assert submit(people("pembantu.dinkes"), open_task(engine_ctx, item.id).id, flow.STEP_2).status_code == 302


def test_a_task_claimed_by_a_colleague_reads_as_theirs_without_inputs(
    app: Flask, engine_ctx: EngineContext, item: Instance
) -> None:
    users.create_user(engine_ctx, "plid.kedua", "rahasia-uji-456", ["plid_utama"], "PLID kedua", "plid2@ppid.test")
    step_3 = advance_item(engine_ctx, item.id, 3)
    instances.claim_task(engine_ctx, step_3.id, "plid.utama")
    colleague = app.test_client()
    login(colleague, "plid.kedua", "rahasia-uji-456")
    response = colleague.get(f"/tasks/{step_3.id}")
    assert "Diambil oleh plid.utama." in text_of(response)
    assert page(response).xpath('//form[@id="step-form"]') == []
