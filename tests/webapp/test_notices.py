"""Notices on the pages: a returned step's lane is told and the returner is not, reminders at 80 %, the
supervisor's assign / take back and monthly start, each person's mail setting, the Admin's mail outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.clock import ManualClock
from engine.config import Settings
from engine.context import EngineContext
from engine.people.records import NoticePreference
from engine.runtime import instances
from engine.runtime.timers import fire_due_timers
from engine.store import Instance, OutboxMail
from handlers import HANDLERS
from tests.conftest import JAKARTA, Mailbox
from tests.engine import flow
from tests.webapp.conftest import post
from tests.webapp.pages import People, advance_item, error_message, open_task, page, snapshot, text_of


def _notices(people: People, username: str) -> list[str]:
    shown = page(people(username).get("/notifications"))
    return [" ".join(li.text_content().split()) for li in shown.xpath('//ul[@id="notifications"]/li')]


def test_the_returned_steps_lane_sees_the_notice_and_the_returner_does_not(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_3 = advance_item(engine_ctx, item.id, 3)
    instances.complete_task(engine_ctx, step_3.id, flow.BELUM, "plid.utama")
    [returned] = [n for n in _notices(people, "pembantu.dinkes") if "Dikembalikan" in n]
    assert "Dikembalikan: langkah 2" in returned and "baru" in returned
    assert not [n for n in _notices(people, "plid.utama") if "Dikembalikan" in n]
    flow.complete(engine_ctx, open_task(engine_ctx, item.id), flow.STEP_2)
    [returned] = [n for n in _notices(people, "pembantu.dinkes") if "Dikembalikan" in n]
    assert "selesai" in returned and "baru" not in returned
    counted = page(people("pembantu.dinkes").get("/notifications")).xpath('string(//*[@id="count-notifications"])')
    assert counted == "0"


def test_a_reminder_appears_when_80_percent_of_the_standard_has_passed(
    people: People, engine_ctx: EngineContext, clock: ManualClock, item: Instance
) -> None:
    step_2 = open_task(engine_ctx, item.id)
    clock.set(step_2.ready_at + timedelta(minutes=71))
    fire_due_timers(engine_ctx)
    assert not [n for n in _notices(people, "pembantu.dinkes") if "Pengingat" in n]
    clock.set(step_2.ready_at + timedelta(minutes=72))
    assert fire_due_timers(engine_ctx) == 1
    [reminder] = [n for n in _notices(people, "pembantu.dinkes") if "Pengingat" in n]
    assert "Pengingat: langkah 2" in reminder and "Batas waktu tugas ini" in reminder


def test_the_supervisor_assigns_a_task_and_takes_the_claim_back(
    people: People, engine_ctx: EngineContext, item: Instance
) -> None:
    step_3 = advance_item(engine_ctx, item.id, 3)
    utama, plid = people("ppid.utama"), people("plid.utama")
    shown = page(utama.get(f"/tasks/{step_3.id}"))
    assert shown.xpath('//select[@id="assignee"]/option/@value') == ["plid.utama"]
    assert not page(plid.get(f"/tasks/{step_3.id}")).xpath('//*[@id="supervision"]')
    before = snapshot(engine_ctx)
    refused = post(plid, f"/tasks/{step_3.id}/assign", {"assignee": "plid.utama"})
    assert refused.status_code == 403 and "Hanya PPID Utama" in error_message(refused)
    wrong_lane = post(utama, f"/tasks/{step_3.id}/assign", {"assignee": "pembantu.dinkes"})
    assert wrong_lane.status_code == 403 and error_message(wrong_lane)
    nobody = post(utama, f"/tasks/{step_3.id}/assign", {"assignee": ""})
    assert nobody.status_code == 403 and error_message(nobody)
    assert snapshot(engine_ctx) == before
    done = post(utama, f"/tasks/{step_3.id}/assign", {"assignee": "plid.utama"}, follow_redirects=True)
    assert "Tugas diberikan kepada plid.utama." in text_of(done)
    assert open_task(engine_ctx, item.id).claimed_by == "plid.utama"
    assert any("Ditugaskan kepada Anda: langkah 3" in n for n in _notices(people, "plid.utama"))
    back = post(utama, f"/tasks/{step_3.id}/take-back", follow_redirects=True)
    assert "ditarik kembali" in text_of(back)
    assert open_task(engine_ctx, item.id).claimed_by is None
    assert any("Ditarik kembali dari Anda" in n for n in _notices(people, "plid.utama"))
    again = post(utama, f"/tasks/{step_3.id}/take-back")
    assert again.status_code == 409 and "belum diambil siapa pun" in error_message(again)


def test_the_supervisor_starts_a_missed_monthly_monitoring_once(
    people: People, engine_ctx: EngineContext, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 12, 2, 8, 0, tzinfo=JAKARTA))
    utama = people("ppid.utama")
    assert page(utama.get("/instances")).xpath('//button[@id="start-ppid_monitoring"]')
    assert not page(people("plid.utama").get("/instances")).xpath('//*[@id="periodic"]')
    refused = post(people("plid.utama"), "/periodic/ppid_monitoring/start")
    assert refused.status_code == 403
    unknown = post(utama, "/periodic/tidak_ada/start")
    assert unknown.status_code == 400 and error_message(unknown)
    started = post(utama, "/periodic/ppid_monitoring/start", follow_redirects=True)
    assert "Monitoring bulan ini sudah dimulai." in text_of(started)
    listed = page(utama.get("/instances"))
    assert not listed.xpath('//button[@id="start-ppid_monitoring"]')
    assert "sudah dimulai bulan ini" in " ".join(listed.xpath('//*[@id="periodic"]//text()'))
    second = post(utama, "/periodic/ppid_monitoring/start")
    assert second.status_code == 409 and "2026-12 sudah dimulai" in error_message(second)
    with engine_ctx.db.session() as session:
        assert len(session.scalars(select(Instance).where(Instance.process_id == "ppid_monitoring")).all()) == 1


def test_a_person_opts_in_to_mail_and_gets_their_lanes_tasks_by_mail(
    people: People, engine_ctx: EngineContext, item: Instance, mailbox: Mailbox
) -> None:
    plid = people("plid.utama")
    shown = page(plid.get("/notifications/settings"))
    assert not shown.xpath('//input[@id="by-mail"]/@checked')
    assert post(plid, "/notifications/settings", {"by_mail": "on"}).status_code == 302
    assert page(plid.get("/notifications/settings")).xpath('//input[@id="by-mail"]/@checked')
    assert people("auditor").get("/notifications/settings").status_code == 403
    flow.complete(engine_ctx, open_task(engine_ctx, item.id), flow.STEP_2)
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "plid.utama@ppid.test" and mail["Subject"].startswith("Tugas menunggu: langkah 3")
    assert post(plid, "/notifications/settings", {}).status_code == 302
    with engine_ctx.db.session() as session:
        preference = session.get(NoticePreference, "plid.utama")
        assert preference is not None and preference.by_mail is False


def test_the_admin_sees_undelivered_mail_and_retries_it(
    people: People, engine_ctx: EngineContext, web_settings: Settings, clock: ManualClock, item: Instance,
    mailbox: Mailbox
) -> None:
    people("plid.utama")
    post(people("plid.utama"), "/notifications/settings", {"by_mail": "on"})
    down = EngineContext.create(replace(web_settings, smtp=replace(web_settings.smtp, port=1)), clock=clock,
                                handlers=HANDLERS)
    flow.complete(down, open_task(down, item.id), flow.STEP_2)
    down.db.dispose()
    admin = people("admin")
    assert people("ppid.utama").get("/admin/outbox").status_code == 403
    listed = page(admin.get("/admin/outbox"))
    [row] = listed.xpath('//table[@id="outbox"]/tbody/tr')
    assert "plid.utama@ppid.test" in row.text_content() and "tidak dapat dihubungi" in row.text_content()
    with engine_ctx.db.session() as session:
        mail_id = session.scalars(select(OutboxMail.id)).one()
    retried = post(admin, f"/admin/outbox/{mail_id}/retry", follow_redirects=True)
    assert "Surel terkirim." in text_of(retried) and "Semua surel sudah terkirim." in text_of(retried)
    assert mailbox.wait_for(1)[0]["To"] == "plid.utama@ppid.test"
    missing = post(admin, f"/admin/outbox/{mail_id}/retry")
    assert missing.status_code == 404 and error_message(missing)
