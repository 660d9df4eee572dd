"""In a real Chromium: the process owner changes a time standard in the modeler's properties panel and
deploys; an instance started afterwards runs under the new standard, one started before keeps the old one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from playwright.sync_api import Page, expect

from engine.runtime import timers
from tests.browser.conftest import LiveServer
from tests.webapp.pages import open_task, plan_item, start_items


def test_a_time_standard_changed_in_the_modeler_applies_to_new_instances_only(
        live_server: LiveServer, sign_in: Callable[[str], Page]) -> None:
    base, ctx, clock = live_server.url, live_server.ctx, live_server.clock
    [before] = start_items(ctx, plan_item("Profil OPD", "Dinas Kesehatan"))
    assert open_task(ctx, before.id).time_standard == "PT90M"

    page = sign_in("pemilik.proses")
    page.goto(f"{base}/modeler/ppid_publikasi_item")
    page.click(".djs-element[data-element-id=Task_2_Siapkan_Data]")
    field = page.locator("input[name=sopflow-standar_waktu]")
    expect(field).to_have_value("1 jam 30 menit")
    expect(page.locator("input[name=sopflow-lane]")).to_have_value("PPID Pembantu")
    field.fill("45 menit")
    page.click("#validate")
    expect(page.locator("#modeler-status")).to_have_text("Tidak ada masalah: diagram dapat diterapkan.")
    page.fill("#deploy-note", "Langkah 2 dipercepat menjadi 45 menit")
    page.click("#deploy")
    expect(page.locator("#modeler-status")).to_have_text("Diterapkan sebagai versi 2.")

    [after] = start_items(ctx, plan_item("Jadwal imunisasi", "Dinas Kesehatan"))
    old_task, new_task = open_task(ctx, before.id), open_task(ctx, after.id)
    assert (old_task.time_standard, new_task.time_standard) == ("PT90M", "PT45M")
    assert new_task.due_at is not None and new_task.due_at - new_task.ready_at == timedelta(minutes=45)
    assert old_task.due_at is not None and old_task.due_at - old_task.ready_at == timedelta(minutes=90)
    clock.advance(timedelta(minutes=50))
    timers.fire_due_timers(ctx)
    assert open_task(ctx, after.id).breached_at is not None
    assert open_task(ctx, before.id).breached_at is None

    page.goto(f"{base}/modeler/ppid_publikasi_item/versions")
    expect(page.locator("#versions")).to_contain_text("Langkah 2 dipercepat menjadi 45 menit")
    page.goto(f"{base}/modeler/sop")
    expect(page.locator('tr[data-element="Task_2_Siapkan_Data"] td.time')).to_have_text("45 menit")


def test_problems_are_marked_on_the_diagram_and_block_the_deploy(
        live_server: LiveServer, sign_in: Callable[[str], Page]) -> None:
    base = live_server.url
    page = sign_in("pemilik.proses")
    page.goto(f"{base}/modeler/ppid_publikasi_item")
    page.click(".djs-element[data-element-id=Timer_Task_3_Verifikasi]")
    page.locator("#properties").get_by_text("Pengatur waktu", exact=True).click()
    page.locator("input[name=timerEventDefinitionValue]").fill('"PT2H"')
    page.fill("#deploy-note", "uji")
    page.click("#deploy")
    expect(page.locator("#modeler-status")).to_contain_text("Permintaan gagal")
    expect(page.locator('.problem-badge[data-element="Timer_Task_3_Verifikasi"]')).to_be_visible()
    expect(page.locator('#problems li[data-element="Timer_Task_3_Verifikasi"]')).to_contain_text("harus sama")
    expect(page.locator(".djs-element.has-problem[data-element-id=Timer_Task_3_Verifikasi]")).to_have_count(1)
    page.goto(f"{base}/modeler/ppid_publikasi_item/versions")
    expect(page.locator("#versions tbody tr")).to_have_count(1)
