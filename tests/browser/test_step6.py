"""Step 6 in the browser at a laptop's and a phone's width: the address answering 404 is refused with the
Indonesian message, then the user answers "Tidak" with a reason and step 4 shows that reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.browser.test_publication_walkthrough import diagram_marks
from tests.engine import flow

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots" / "step6"
REASON = "Halaman tampil 404 bagi pengunjung; unggah ulang di kategori DIP berkala."


@pytest.mark.parametrize("width", [1366, 390])
def test_step_6_refuses_a_404_and_sends_the_item_back_to_step_4_with_the_reason(
    width: int, live_server: LiveServer, sign_in: Callable[[str], Page]
) -> None:
    instance_id, step_6 = flow.reach_step(live_server.ctx, 6)
    plid = sign_in("plid.utama")
    plid.set_viewport_size({"width": width, "height": 900})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    plid.goto(f"{live_server.url}/tasks/{step_6.id}")
    address = plid.locator('[name="tautan_publik"]')
    expect(address).to_have_value(flow.STEP_4["tautan_unggahan"])  # prefilled with step 4's address
    address.fill(flow.STEP_4["tautan_unggahan"].replace("/informasi/1", "/hilang"))
    plid.locator('[name="alasan_tautan_berbeda"]').fill("Alamat diganti oleh pengelola website.")
    plid.locator('[name="dapat_diakses"][value="ya"]').check()
    plid.locator('[name="tanggal_tayang"]').fill("2026-11-23")
    plid.locator("#complete").click()

    expect(plid.locator(".flash-error")).to_contain_text("tidak dapat diakses masyarakat")
    expect(plid.locator(".flash-error")).to_contain_text('"Tidak"')
    expect(plid.locator('[data-field="tautan_publik"] .field-error')).to_have_text(
        "Website menjawab HTTP 404, bukan halaman yang dapat dibaca.")
    assert plid.evaluate("document.documentElement.scrollWidth") <= width  # nothing runs off a phone's screen
    plid.screenshot(path=str(SCREENSHOTS / f"{width}-01-ditolak-404.png"), full_page=True)

    plid.locator('[name="dapat_diakses"][value="tidak"]').check()
    plid.locator('[name="alasan_tidak_diakses"]').fill(REASON)
    plid.locator("#complete").click()
    expect(plid.locator(".flash-success")).to_contain_text("Langkah 6 selesai")

    [step_4] = flow.open_tasks(live_server.ctx, instance_id)
    assert step_4.spec_id == "Task_4_Unggah"
    plid.goto(f"{live_server.url}/tasks/{step_4.id}")
    expect(plid.locator("h1")).to_contain_text("Langkah 4")
    expect(plid.locator("#returned-reasons")).to_have_text(
        f"Dikembalikan di langkah 6 (Dapat diakses? Tidak) Alasan dikembalikan ke langkah 4: {REASON}")
    plid.screenshot(path=str(SCREENSHOTS / f"{width}-02-kembali-ke-langkah-4.png"), full_page=True)

    plid.goto(f"{live_server.url}/instances/{instance_id}")  # the diagram draws the new decision and loop
    marks = diagram_marks(plid)
    assert (marks.get("Task_6_Pastikan_Tayang"), marks.get("Task_4_Unggah")) == ("mark-done", "mark-active")
    expect(plid.locator('#diagram [data-element-id="Gateway_Dapat_Diakses"]')).to_have_count(1)
    plid.screenshot(path=str(SCREENSHOTS / f"{width}-03-diagram.png"), full_page=True)
