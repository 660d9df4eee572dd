"""The staff pages around the forms: claim and release, the instance page (steps, timeline, comments, files,
diagram data), cancelling, the publications list, notifications, the step 6 address check, unknown ids, and
hostile text shown harmlessly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.runtime import attachments, instances, task_list, timers
from engine.store import Event, Instance, WorkItem
from tests.conftest import Mailbox
from tests.engine import flow
from tests.webapp.conftest import post
from tests.webapp.pages import (
    People,
    advance_item,
    error_message,
    event_count,
    field_error,
    field_value,
    flash_messages,
    open_task,
    page,
    pdf_bytes,
    plan_item,
    snapshot,
    start_items,
    submit,
    text_of,
    website,
)

DINKES = "Dinas Kesehatan"


@pytest.fixture
def site() -> Iterator[str]:
    with website() as address:
        yield address


def test_claim_makes_the_task_mine_and_release_puts_it_back_in_the_lane(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    task = open_task(engine_ctx, item.id)
    pembantu = people("pembantu.dinkes")
    claimed = post(pembantu, f"/tasks/{task.id}/claim")
    assert claimed.status_code == 302
    form = pembantu.get(claimed.headers["Location"])
    assert "Tugas ini sekarang milik Anda." in flash_messages(form)
    assert page(form).xpath(f'//form[@action="/tasks/{task.id}/release"]')
    assert open_task(engine_ctx, item.id).claimed_by == "pembantu.dinkes"

    released = post(pembantu, f"/tasks/{task.id}/release")
    assert released.status_code == 302 and released.headers["Location"] == "/tasks"
    assert open_task(engine_ctx, item.id).claimed_by is None
    assert event_count(engine_ctx, "task_released") == 1


def test_a_task_claimed_by_a_colleague_cannot_be_completed_by_me(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    from engine.people import users
    from tests.conftest import PASSWORD

    users.create_user(engine_ctx, "pembantu.dinkes2", PASSWORD, ["ppid_pembantu"], "Dinkes 2", "d2@ppid.test", DINKES)
    task = open_task(engine_ctx, item.id)
    instances.claim_task(engine_ctx, task.id, "pembantu.dinkes2")
    pembantu = people("pembantu.dinkes")
    shown = pembantu.get(f"/tasks/{task.id}")
    assert "Diambil oleh pembantu.dinkes2." in text_of(shown)
    before = snapshot(engine_ctx)
    refused = submit(pembantu, task.id, flow.STEP_2)
    assert refused.status_code == 403 and "pembantu.dinkes2" in error_message(refused)
    assert post(pembantu, f"/tasks/{task.id}/release").status_code == 403
    assert snapshot(engine_ctx) == before


def test_the_instance_page_shows_steps_timeline_files_comments_and_the_diagram_marks(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    attachments.add_attachment(engine_ctx, item.id, None, "laporan.pdf", pdf_bytes(), "pembantu.dinkes")
    advance_item(engine_ctx, item.id, 3)
    plid = people("plid.utama")
    sent = post(plid, f"/instances/{item.id}/comments", {"body": "Mohon lampirkan SK."})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/instances/{item.id}#comments")

    shown = plid.get(f"/instances/{item.id}")
    doc = page(shown)
    assert json.loads(doc.xpath('//script[@id="diagram-marks"]')[0].text_content()) == {
        "Task_2_Siapkan_Data": "done", "Task_3_Verifikasi": "active"}
    xml = json.loads(doc.xpath('//script[@id="diagram-xml"]')[0].text_content())
    assert 'id="Task_3_Verifikasi"' in xml
    assert "Mohon lampirkan SK." in text_of(shown) and "plid.utama" in doc.xpath('string(//*[@id="comments"])')
    assert doc.xpath('//*[@id="attachments"]//a[starts-with(@href, "/attachments/")]/text()') == ["laporan.pdf"]
    events = [li.get("data-event") for li in doc.xpath('//ol[@id="timeline"]/li')]
    assert events[0] == "instance_started" and events[-1] == "comment_added"
    assert {"attachment_added", "task_completed", "task_ready"} <= set(events)
    timeline = doc.xpath('string(//ol[@id="timeline"])')
    assert "Berkas dilampirkan" in timeline and "task_completed" not in timeline
    assert "Rencana unggahan #" in text_of(shown)


def test_an_empty_comment_is_refused_with_a_message(people: People, engine_ctx: EngineContext, item: Instance) -> None:
    before = snapshot(engine_ctx)
    refused = post(people("pembantu.dinkes"), f"/instances/{item.id}/comments", {"body": "   "})
    assert refused.status_code == 400 and field_error(refused, "body") == "Komentar tidak boleh kosong."
    assert snapshot(engine_ctx) == before


def test_ppid_utama_cancels_an_item_with_a_reason_and_its_task_leaves_the_inboxes(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    utama = people("ppid.utama")
    assert "Batalkan" in text_of(utama.get(f"/instances/{item.id}"))
    done = post(utama, f"/instances/{item.id}/cancel", {"reason": "Dokumen ditarik OPD."})
    assert done.status_code == 302
    shown = utama.get(done.headers["Location"])
    assert "dibatalkan" in page(shown).xpath("string(//h1)")
    assert "Dokumen ditarik OPD." in page(shown).xpath('string(//ol[@id="timeline"])')
    assert task_list.list_tasks(engine_ctx, task_list.TaskFilter(instance_id=item.id)) == []
    assert "Laporan keuangan semester I" not in text_of(people("pembantu.dinkes").get("/tasks"))
    again = post(utama, f"/instances/{item.id}/cancel", {"reason": "Lagi."})
    assert again.status_code == 400 and "sudah dibatalkan" in error_message(again)
    assert not page(shown).xpath(f'//form[@action="/instances/{item.id}/cancel"]')


def test_the_publications_list_filters_by_status_and_searches_title_and_office(
    people: People, engine_ctx: EngineContext
) -> None:
    first, second = start_items(engine_ctx, plan_item("Profil kesehatan", DINKES),
                                plan_item("Data sekolah", "Dinas Pendidikan"))
    instances.cancel_instance(engine_ctx, second.id, "ppid.utama", "Tidak jadi.")
    auditor = people("auditor")

    def titles(query: str) -> list[str]:
        rows = page(auditor.get(f"/instances{query}")).xpath('//table[@id="instances"]/tbody/tr')
        return [" ".join(row.xpath("./td")[min(1, len(row) - 1)].text_content().split()) for row in rows]

    assert titles("") == ["Data sekolah", "Profil kesehatan", "Rencana unggahan"]
    assert titles("?status=cancelled") == ["Data sekolah"]
    assert titles("?status=running") == ["Profil kesehatan"]
    assert titles("?q=kesehatan") == ["Profil kesehatan"]
    assert titles("?q=Pendidikan") == ["Data sekolah"]
    assert titles("?q=tidak-ada-yang-cocok") == ["Belum ada apa-apa."]


def test_step_6_shows_whether_the_address_answers_and_completing_records_the_check(
    people: People, engine_ctx: EngineContext, item: Instance, site: str
) -> None:
    step_6 = advance_item(engine_ctx, item.id, 6)
    plid = people("plid.utama")
    missing = post(plid, f"/tasks/{step_6.id}/check-url", {"tautan_publik": f"{site}/hilang", "tanggal_tayang": ""})
    assert missing.status_code == 200
    assert "HTTP 404" in page(missing).xpath('string(//*[@id="url-check-result"])')
    assert field_value(missing, "tautan_publik") == f"{site}/hilang"
    closed = post(plid, f"/tasks/{step_6.id}/check-url", {"tautan_publik": "http://127.0.0.1:9/"})
    assert "bukan bagian dari website PPID" in page(closed).xpath('string(//*[@id="url-check-result"])')
    answered = post(plid, f"/tasks/{step_6.id}/check-url", {"tautan_publik": f"{site}/informasi/1"})
    assert "Menjawab HTTP 200" in page(answered).xpath('string(//*[@id="url-check-result"])')
    assert event_count(engine_ctx, "task_completed") == 5  # checking changes nothing

    done = submit(plid, step_6.id, {"tautan_publik": f"{site}/informasi/1", "dapat_diakses": "ya",
                                    "tanggal_tayang": "2026-11-23"})
    assert done.status_code == 302
    with engine_ctx.db.session() as session:
        event = session.scalars(select(Event).where(Event.task_id == step_6.id, Event.type == "task_completed")).one()
        finished = session.get(Instance, item.id)
    check = event.payload["data"]["pemeriksaan_tautan"]
    assert check["status"] == 200 and check["ok"] is True and check["url"] == f"{site}/informasi/1"
    assert finished is not None and finished.status == "completed"


def test_notifications_list_the_waiting_task_and_mark_all_read_clears_the_count(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    pembantu = people("pembantu.dinkes")
    step_2 = open_task(engine_ctx, item.id)
    instances.complete_task(engine_ctx, step_2.id, flow.STEP_2, "pembantu.dinkes")
    instances.complete_task(engine_ctx, open_task(engine_ctx, item.id).id,
                  {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": "Lampiran kurang."}, "plid.utama")
    shown = pembantu.get("/notifications")
    assert "Tugas menunggu Anda" in text_of(shown)
    waiting = page(shown).xpath('//*[@id="waiting"]//a/@href')
    assert f"/tasks/{open_task(engine_ctx, item.id).id}" in waiting
    assert "Dikembalikan: langkah 2" in text_of(shown)
    assert int(page(shown).xpath('string(//*[@id="count-notifications"])')) == 1
    link = page(shown).xpath('//ul[@id="notifications"]//a/@href')
    assert f"/tasks/{open_task(engine_ctx, item.id).id}" in link
    assert post(pembantu, "/notifications/read").status_code == 302
    assert page(pembantu.get("/notifications")).xpath('string(//*[@id="count-notifications"])') == "0"


@pytest.mark.parametrize("path", ["/tasks/00000000-0000-0000-0000-000000000000", "/instances/9999",
                                  "/instances/99999999999999999999", "/attachments/tidak-ada"])
def test_an_unknown_id_answers_404_with_a_page(people: People, path: str) -> None:
    response = people("ppid.utama").get(path)
    assert response.status_code == 404 and error_message(response)


def test_hostile_text_in_a_plan_is_shown_as_text_never_run(people: People, engine_ctx: EngineContext) -> None:
    hostile = '<img src=x onerror="alert(1)"></script><script>alert(2)</script>'
    (item,) = start_items(engine_ctx, plan_item(hostile, DINKES))
    task = open_task(engine_ctx, item.id)
    reasons = "</script><script>alert(3)</script>"
    for client, path in ((people("pembantu.dinkes"), "/tasks"), (people("pembantu.dinkes"), f"/tasks/{task.id}"),
                         (people("ppid.utama"), f"/instances/{item.id}"), (people("ppid.utama"), "/instances")):
        body = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in body and "<script>alert" not in body, path
        assert "&lt;img src=x" in body, path
    submit(people("pembantu.dinkes"), task.id, flow.STEP_2)
    step_3 = open_task(engine_ctx, item.id)
    submit(people("plid.utama"), step_3.id, {"hasil_verifikasi": "belum_sesuai", "alasan_verifikasi": reasons})
    again = open_task(engine_ctx, item.id)
    body = people("pembantu.dinkes").get(f"/tasks/{again.id}").get_data(as_text=True)
    assert "<script>alert(3)" not in body and "&lt;script&gt;alert(3)" in body
    with engine_ctx.db.session() as session:
        assert session.get(WorkItem, again.id) is not None


def test_the_auditor_reads_notifications_without_a_button_it_may_not_use(people: People) -> None:
    shown = people("auditor").get("/notifications")
    assert shown.status_code == 200
    assert not page(shown).xpath('//form[@action="/notifications/read"]')
    assert page(people("admin").get("/notifications")).xpath('//form[@action="/notifications/read"]')


@pytest.mark.parametrize("cursor", ["after=-3", "after=0", "before=dua", "after=99999999999999999999", "after=1e3"])
def test_a_page_link_that_is_not_one_is_refused_with_its_reason(people: People, item: Instance, cursor: str) -> None:
    for path in ("/instances", "/audit/"):
        response = people("auditor").get(f"{path}?{cursor}")
        assert response.status_code == 400, path
        assert "Tautan halaman tidak sah; mulai lagi dari halaman pertama." in text_of(response)


def test_the_item_list_pages_by_the_last_row_shown(people: People, item: Instance) -> None:
    dinkes = people("pembantu.dinkes")
    assert "Laporan keuangan semester I" in text_of(dinkes.get("/instances"))
    assert "Laporan keuangan semester I" not in text_of(dinkes.get(f"/instances?after={item.id}"))
    assert "Laporan keuangan semester I" in text_of(dinkes.get(f"/instances?after={item.id + 1}"))


def test_a_breached_time_standard_notifies_ppid_utama_in_the_app_and_marks_the_step(
    people: People, engine_ctx: EngineContext, clock: ManualClock, item: Instance, mailbox: Mailbox
) -> None:
    step_2 = open_task(engine_ctx, item.id)
    clock.advance(timedelta(minutes=91))  # step 2 allows 90 minutes
    assert timers.fire_due_timers(engine_ctx) >= 1
    utama = people("ppid.utama")
    notes = page(utama.get("/notifications"))
    breach = [li for li in notes.xpath('//ul[@id="notifications"]/li') if f"/tasks/{step_2.id}" in
              " ".join(li.xpath(".//a/@href"))]
    assert breach and "Laporan keuangan semester I" in breach[0].text_content()
    shown = page(utama.get(f"/instances/{item.id}"))
    marks = json.loads(shown.xpath('//script[@id="diagram-marks"]')[0].text_content())
    assert marks == {"Task_2_Siapkan_Data": "overdue"}
    row = shown.xpath(f'//table[@id="steps"]//tr[.//a[@href="/tasks/{step_2.id}"]]')[0]
    assert "pelanggaran" in row.text_content().lower() and "Terlambat 1 menit" in row.text_content()
    assert "Pelanggaran tercatat" in shown.xpath('string(//ol[@id="timeline"])')
    assert mailbox.wait_for(1)


def test_the_plan_page_lists_each_item_it_started_with_its_office_and_current_step(
    people: People, engine_ctx: EngineContext
) -> None:
    first, second = start_items(engine_ctx, plan_item("Profil kesehatan", DINKES),
                                plan_item("Data sekolah", "Dinas Pendidikan"))
    assert first.parent_id is not None and first.parent_id == second.parent_id
    shown = page(people("auditor").get(f"/instances/{first.parent_id}"))
    rows = [[" ".join(td.text_content().split()) for td in tr.xpath("./td")]
            for tr in shown.xpath('//section[h2="Item dalam rencana ini"]//tr')]
    step_2 = "Menyiapkan dan mengidentifikasi data informasi publik sesuai klasifikasi DIP"
    assert rows == [[f"#{first.id} Profil kesehatan", DINKES, "berjalan", step_2],
                    [f"#{second.id} Data sekolah", "Dinas Pendidikan", "berjalan", step_2]]
