"""In a real Chromium: the process owner deletes step 6's deadline timer in the modeler; validation marks step 6
with the reason and the diagram cannot be deployed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer


@pytest.mark.parametrize("width", [1366])  # under 700 px the modeler asks for a wider screen (test_modeler_panel)
def test_a_step_without_its_deadline_timer_is_marked_and_not_deployed(
        live_server: LiveServer, sign_in: Callable[[str], Page], screenshot: Callable[[Page, str], Path],
        width: int) -> None:
    base = live_server.url
    page = sign_in("pemilik.proses")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/modeler/ppid_publikasi_item")
    timer = page.locator(".djs-element[data-element-id=Timer_Task_6_Pastikan_Tayang]")
    timer.scroll_into_view_if_needed()
    timer.click(force=True)
    page.keyboard.press("Delete")
    expect(timer).to_have_count(0)
    page.click("#validate")
    problem = page.locator('#problems li[data-element="Task_6_Pastikan_Tayang"]')
    expect(problem).to_contain_text("tidak memiliki timer standar waktu")
    expect(page.locator(".djs-element.has-problem[data-element-id=Task_6_Pastikan_Tayang]")).to_have_count(1)
    screenshot(page, f"timer-dihapus-{width}")
    page.fill("#deploy-note", "uji")
    page.click("#deploy")
    expect(page.locator("#modeler-status")).to_contain_text("Permintaan gagal")
    page.goto(f"{base}/modeler/ppid_publikasi_item/versions")
    expect(page.locator("#versions tbody tr")).to_have_count(1)
