"""In a real Chromium at desktop and phone widths: an administrator sees the incident a failing breach handler
opened, with its step, instance and message, retries it after the handler is fixed, and the instance goes on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from engine.runtime.services import ServiceCall
from engine.runtime.timers import fire_due_timers
from handlers import HANDLERS
from tests.browser.conftest import LiveServer, open_menu
from tests.conftest import ROOT
from tests.webapp.pages import open_task, plan_item, start_items


def _mail_down(call: ServiceCall) -> dict[str, Any]:
    raise ConnectionError("server surat tidak menjawab")


@pytest.mark.parametrize("width", [1366, 390])
def test_an_admin_retries_an_incident_after_the_handler_is_fixed(
        live_server: LiveServer, sign_in: Callable[[str], Page], screenshot: Callable[[Page, str], Path],
        width: int) -> None:
    base, ctx = live_server.url, live_server.ctx
    [item] = start_items(ctx, plan_item("Laporan keuangan semester I", "Dinas Kesehatan"))
    ctx.handlers["breach_handler"] = _mail_down
    live_server.clock.advance(timedelta(minutes=91))
    fire_due_timers(ctx)

    page = sign_in("admin")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/tasks/")
    open_menu(page)
    page.click("#nav-incidents")
    row = page.locator("#incident-1")
    expect(row).to_contain_text("Catat pelanggaran standar waktu")
    expect(row).to_contain_text(f"#{item.id} Laporan keuangan semester I")
    expect(row).to_contain_text("server yang dihubungi langkah ini tidak menjawab")
    expect(row).to_contain_text("terbuka")
    retry = row.get_by_role("button", name="Coba ulang")
    box = retry.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width  # reachable without scrolling sideways
    screenshot(page, f"incidents-open-{width}")

    page.goto(f"{base}/instances/{item.id}")
    expect(page.locator("#instance-incident")).to_contain_text(
        "Insiden terbuka #1 pada langkah Catat pelanggaran standar waktu")
    expect(page.get_by_text("Insiden dibuka")).to_be_visible()
    screenshot(page, f"instance-with-incident-{width}")

    ctx.handlers["breach_handler"] = HANDLERS["breach_handler"]
    page.goto(f"{base}/incidents/")
    page.locator("#incident-1").get_by_role("button", name="Coba ulang").click()
    expect(page.locator(".flash")).to_have_text(
        "Insiden #1 selesai: langkahnya dijalankan ulang dan item berlanjut.")
    expect(page.locator("#no-incidents")).to_have_text("Tidak ada insiden terbuka.")
    screenshot(page, f"incidents-resolved-{width}")
    assert open_task(ctx, item.id).breached_at is not None
    page.goto(f"{base}/instances/{item.id}")
    expect(page.locator("#instance-incident")).to_have_count(0)
    expect(page.get_by_text("Insiden selesai")).to_be_visible()


@pytest.mark.parametrize("width", [1366, 390])
def test_a_typo_in_a_condition_is_marked_on_its_flow_in_the_modeler(
        live_server: LiveServer, sign_in: Callable[[str], Page], screenshot: Callable[[Page, str], Path],
        tmp_path: Path, width: int) -> None:
    typo = tmp_path / "ppid_publikasi_item.bpmn"
    typo.write_bytes((ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_bytes().replace(
        b'keputusan_persetujuan == "disetujui"', b'keputusan_persetujan == "disetujui"'))
    page = sign_in("pemilik.proses")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/modeler/ppid_publikasi_item")
    page.locator("#import-form input[type=file]").set_input_files(str(typo))
    page.locator("#import-form button[type=submit]").click()
    problem = page.locator('#problems li[data-element="Flow_Disetujui"]')
    expect(problem).to_contain_text("kondisi alur 'Disetujui' dari gateway 'Konten disetujui?'")
    expect(problem).to_contain_text("nama 'keputusan_persetujan' tidak dikenal")
    expect(page.locator(".djs-element.has-problem[data-element-id=Flow_Disetujui]")).to_have_count(1)
    screenshot(page, f"modeler-condition-typo-{width}")
