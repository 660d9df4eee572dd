"""Notices in a real browser at desktop (1366 px) and phone (390 px) width: a step returned by PLID Utama is
announced to the Dinas Kesehatan pembantu and not to PLID Utama; a reminder appears once 80 % of the time
standard has passed (the clock moved, never slept); PPID Utama gives step 3 to plid.utama, who is told; the
Admin retries an undelivered mail from the outbox."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.context import EngineContext
from engine.runtime import notices
from engine.runtime.timers import fire_due_batch, fire_due_timers
from handlers import HANDLERS
from tests.browser.conftest import LiveServer
from tests.conftest import Mailbox
from tests.engine import flow
from tests.webapp.pages import advance_item, open_task, plan_item, start_items

SignIn = Callable[[str], Page]
Shot = Callable[[Page, str], Path]
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}
REASONS = "Ringkasan belum menyebut program."


@pytest.fixture(params=sorted(WIDTHS))
def width(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    folder = Path(__file__).resolve().parent / "screenshots"
    monkeypatch.setenv("SOPFLOW_SCREENSHOTS", os.environ.get("SOPFLOW_SCREENSHOTS") or str(folder))
    return str(request.param)


def _as(sign_in: SignIn, username: str, width: str) -> Page:
    page = sign_in(username)
    page.set_viewport_size({"width": WIDTHS[width][0], "height": WIDTHS[width][1]})
    return page


def test_the_returned_steps_lane_is_told_and_a_reminder_comes_at_80_percent(
    width: str, live_server: LiveServer, sign_in: SignIn, screenshot: Shot
) -> None:
    ctx = live_server.ctx
    [item] = start_items(ctx, plan_item("Jadwal imunisasi", "Dinas Kesehatan"))
    step_3 = advance_item(ctx, item.id, 3)
    plid = _as(sign_in, "plid.utama", width)
    plid.goto(f"{live_server.url}/tasks/{step_3.id}")
    plid.locator('[name="hasil_verifikasi"][value="belum_sesuai"]').check()
    plid.locator('[name="alasan_verifikasi"]').fill(REASONS)
    plid.locator("#complete").click()
    expect(plid.locator(".flash-success")).to_contain_text("Langkah 3 selesai")

    pembantu = _as(sign_in, "pembantu.dinkes", width)
    pembantu.goto(f"{live_server.url}/notifications")
    notice = pembantu.locator("#notifications li", has_text="Dikembalikan: langkah 2")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("baru")
    expect(pembantu.locator("#count-notifications")).to_have_text("1")
    screenshot(pembantu, f"{width}-01-pembantu-dikembalikan")
    plid.goto(f"{live_server.url}/notifications")
    expect(plid.locator("#notifications")).not_to_contain_text("Dikembalikan")
    screenshot(plid, f"{width}-02-plid-tanpa-pemberitahuan")

    returned = open_task(ctx, item.id)
    live_server.clock.set(returned.ready_at + timedelta(minutes=71))  # step 2 allows 90 minutes: 72 is 80 %
    fire_due_timers(ctx)
    pembantu.reload()
    expect(pembantu.locator("#notifications")).not_to_contain_text("Pengingat")
    live_server.clock.set(returned.ready_at + timedelta(minutes=72))
    assert fire_due_timers(ctx) == 1
    pembantu.reload()
    reminder = pembantu.locator("#notifications li", has_text="Pengingat: langkah 2")
    expect(reminder).to_have_count(1)
    expect(reminder).to_contain_text("Batas waktu tugas ini")
    screenshot(pembantu, f"{width}-03-pembantu-pengingat")

    pembantu.locator("#notifications a", has_text="Dikembalikan").click()
    expect(pembantu.locator("#returned-reasons")).to_contain_text(REASONS)
    flow.complete(ctx, open_task(ctx, item.id), flow.STEP_2)
    pembantu.goto(f"{live_server.url}/notifications")
    expect(pembantu.locator("#notifications li", has_text="Dikembalikan: langkah 2")).to_contain_text("selesai")
    expect(pembantu.locator("#count-notifications")).to_have_text("0")


def test_the_supervisor_gives_a_task_to_plid_utama_who_sees_the_notice(
    width: str, live_server: LiveServer, sign_in: SignIn, screenshot: Shot
) -> None:
    ctx = live_server.ctx
    [item] = start_items(ctx, plan_item("Laporan keuangan semester I", "Dinas Kesehatan"))
    step_3 = advance_item(ctx, item.id, 3)
    utama = _as(sign_in, "ppid.utama", width)
    utama.goto(f"{live_server.url}/tasks/{step_3.id}")
    panel = utama.locator("#supervision")
    expect(panel).to_contain_text("Pengawasan")
    panel.locator("#assignee").select_option("plid.utama")
    screenshot(utama, f"{width}-01-utama-menugaskan")
    panel.locator("#assign").click()
    expect(utama.locator(".flash-success")).to_have_text("Tugas diberikan kepada plid.utama.")
    expect(utama.locator("#supervision")).to_contain_text("Diambil oleh plid.utama.")

    plid = _as(sign_in, "plid.utama", width)
    plid.goto(f"{live_server.url}/notifications")
    notice = plid.locator("#notifications li", has_text="Ditugaskan kepada Anda: langkah 3")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("ppid.utama menugaskan tugas ini kepada Anda.")
    screenshot(plid, f"{width}-02-plid-ditugaskan")
    notice.locator("a").click()
    expect(plid.locator(".claim")).to_contain_text("Anda")
    expect(plid.locator("#supervision")).to_have_count(0)

    utama.locator("#take-back").click()
    expect(utama.locator(".flash-success")).to_contain_text("ditarik kembali")
    plid.goto(f"{live_server.url}/notifications")
    expect(plid.locator("#notifications li", has_text="Ditarik kembali dari Anda")).to_have_count(1)


def test_the_admin_retries_undelivered_mail_from_the_outbox(
    width: str, live_server: LiveServer, sign_in: SignIn, screenshot: Shot, mailbox: Mailbox
) -> None:
    ctx = live_server.ctx
    plid = _as(sign_in, "plid.utama", width)
    plid.goto(f"{live_server.url}/notifications")
    plid.locator("#notice-settings-link").click()
    plid.locator("#by-mail").check()
    plid.locator("#save-settings").click()
    expect(plid.locator(".flash-success")).to_have_text("Pengaturan pemberitahuan Anda tersimpan.")
    expect(plid.locator("#by-mail")).to_be_checked()
    screenshot(plid, f"{width}-01-pengaturan-surel")
    assert notices.wants_mail(ctx, "plid.utama")

    down = EngineContext.create(replace(ctx.settings, smtp=replace(ctx.settings.smtp, port=1)),
                                clock=live_server.clock, handlers=HANDLERS)
    [item] = start_items(down, plan_item("Jadwal imunisasi", "Dinas Kesehatan"))
    flow.complete(down, open_task(down, item.id), flow.STEP_2)  # step 3 is PLID Utama's: mail, SMTP down
    down.db.dispose()

    admin = _as(sign_in, "admin", width)
    admin.goto(f"{live_server.url}/admin/outbox")
    row = admin.locator("#outbox tbody tr", has_text="Tugas menunggu: langkah 3")
    expect(row).to_contain_text("plid.utama@ppid.test")
    expect(row).to_contain_text("Server surat tidak dapat dihubungi")
    screenshot(admin, f"{width}-02-kotak-keluar-gagal")
    row.get_by_role("button", name="Coba kirim sekarang").click()
    expect(admin.locator(".flash-success")).to_have_text("Surel terkirim.")
    expect(admin.locator("#outbox")).to_contain_text("Semua surel sudah terkirim.")
    screenshot(admin, f"{width}-03-kotak-keluar-terkirim")
    [mail] = mailbox.wait_for(1)
    assert mail["To"] == "plid.utama@ppid.test" and mail["Subject"].startswith("Tugas menunggu: langkah 3")


def test_a_breach_is_told_to_the_supervisor_and_marked_on_the_item(
    width: str, live_server: LiveServer, sign_in: SignIn, screenshot: Shot
) -> None:
    """A burst's firing path (claimed by one statement, the breach marked and told without the unit of work):
    PPID Utama reads the notice in Indonesian, the time standard in words, and sees the item's task marked."""
    ctx = live_server.ctx
    [item] = start_items(ctx, plan_item("Profil kesehatan daerah", "Dinas Kesehatan"))
    step_2 = open_task(ctx, item.id)
    assert step_2.due_at is not None
    live_server.clock.set(step_2.due_at + timedelta(minutes=1))
    while fire_due_batch(ctx, "scheduler").taken:
        pass
    utama = _as(sign_in, "ppid.utama", width)
    utama.goto(f"{live_server.url}/notifications")
    notice = utama.locator("#notifications li", has_text="Pelanggaran standar waktu: langkah 2")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Standar waktu: 1 jam 30 menit")
    expect(notice).to_contain_text("Profil kesehatan daerah")
    body = notice.inner_text()
    for raw in ("PT90M", "ppid_publikasi", "Task_2", "None"):
        assert raw not in body, raw
    screenshot(utama, f"{width}-01-utama-pelanggaran")
    utama.goto(f"{live_server.url}/instances/{item.id}")
    marked = utama.locator("tr", has_text=step_2.name)
    expect(marked.locator(".badge-overdue", has_text="pelanggaran")).to_have_count(1)
    expect(marked).not_to_contain_text("breach")
    history = utama.locator("#timeline")
    expect(history.locator("li[data-event='time_standard_breached']")).to_contain_text("sistem")
    expect(history).not_to_contain_text("system")
    screenshot(utama, f"{width}-02-utama-item-ditandai")
