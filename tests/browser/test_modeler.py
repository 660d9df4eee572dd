"""In a real Chromium: the process owner changes a time standard in the modeler's properties panel and
deploys; an instance started afterwards runs under the new standard, one started before keeps the old one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.diagrams import definitions
from engine.people.users import SYSTEM_ACTOR
from engine.runtime import timers
from tests.browser.conftest import LiveServer, signed_in_at
from tests.conftest import ROOT
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



@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_version_the_installation_deployed_reads_as_deployed_by_sistem(
        live_server: LiveServer, browser: Browser, screenshot: Callable[[Page, str], Path], width: str) -> None:
    xml = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes().replace(
        b'name="Item rencana"', b'name="Item rencana terjadwal"', 1)
    assert definitions.deploy(live_server.ctx, xml, SYSTEM_ACTOR).created
    with signed_in_at(browser, live_server, "pemilik.proses", width) as page:
        page.goto(f"{live_server.url}/modeler/ppid_publikasi_item")
        origin = page.locator("#diagram-origin")
        expect(origin).to_contain_text("Versi 2, diterapkan")
        expect(origin).to_contain_text("oleh sistem.")
        assert SYSTEM_ACTOR not in origin.inner_text()
        screenshot(page, width)
