"""The SOP document as the Permenpan RB 35/2012 SOP AP sheet, as a process owner opens it: connectors end in
arrowheads, and each decision's flow back to an earlier step is drawn up the loop column with its name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer


@pytest.mark.parametrize("width", [1366, 390])
def test_the_sop_sheet_draws_arrowheads_and_the_loops_back(
        live_server: LiveServer, sign_in: Callable[[str], Page], screenshot: Callable[[Page, str], Path],
        width: int) -> None:
    page = sign_in("pemilik.proses")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/modeler/sop")
    rows = page.locator("#sop-procedure tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.first.locator(".sop-arrow")).to_have_count(0)
    for index in range(1, 7):
        expect(rows.nth(index).locator(".sop-arrow:not(.sop-arrow-back)")).to_have_count(1)
    # 3 -> 2 (Belum sesuai), 5 -> 4 (Dikembalikan) and 6 -> 4 (Tidak) go back up the loop column
    for step, name in (("Task_3_Verifikasi", "Belum sesuai"), ("Task_5_Persetujuan", "Dikembalikan"),
                       ("Task_6_Pastikan_Tayang", "Tidak")):
        expect(page.locator(f'tr[data-element="{step}"] td.loop .sop-branch')).to_have_text(name)
    for step in ("Task_2_Siapkan_Data", "Task_4_Unggah"):
        expect(page.locator(f'tr[data-element="{step}"] .sop-arrow-back')).to_have_count(1)
    expect(page.locator('tr[data-element="Task_3_Verifikasi"] td.loop')).to_have_attribute(
        "data-lines", "mid-left up")
    screenshot(page, f"sop-sheet-{width}")
