"""A plan big enough for several batches, in a real browser at desktop and phone width: PPID Utama completes
step 1 with five items (two per batch here), the plan's page shows how many have started and follows the
background batches by itself, and ends listing every item."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from playwright.sync_api import Page, expect

from engine.runtime import plans
from engine.store import WorkItem
from tests.browser.conftest import LiveServer
from tests.webapp.pages import item_instances

SignIn = Callable[[str], Page]
TITLES = ["Laporan keuangan", "Jadwal imunisasi", "Rencana strategis", "Daftar aset", "Laporan kinerja"]


@pytest.mark.parametrize("width", [1366, 390])
def test_the_planner_sees_the_items_start_batch_by_batch_until_all_are_listed(
    live_server: LiveServer, sign_in: SignIn, screenshot: Callable[[Page, str], object], width: int
) -> None:
    ctx = live_server.ctx
    ctx.settings = replace(ctx.settings, plan_batch_size=2)
    ctx.plan_worker = None  # the test plays the background worker, one batch at a time
    utama = sign_in("ppid.utama")
    utama.set_viewport_size({"width": width, "height": 900})
    utama.goto(f"{live_server.url}/instances")
    utama.locator("#start-ppid_publikasi").click()
    for _ in range(len(TITLES) - 3):
        utama.locator('[data-add-row="rencana_unggahan"]').click()
    for index, title in enumerate(TITLES):
        utama.locator(f'[name="rencana_unggahan-{index}-judul"]').fill(title)
        utama.locator(f'[name="rencana_unggahan-{index}-kelas_dip"]').select_option("berkala")
        utama.locator(f'[name="rencana_unggahan-{index}-opd"]').select_option("Dinas Kesehatan")
        utama.locator(f'[name="rencana_unggahan-{index}-tanggal_target"]').fill("2026-11-30")
    utama.locator('[name="arahan_kerja"]').fill("Unggah sebelum akhir bulan.")
    plan_url = utama.url
    utama.locator("#complete").click()
    expect(utama.locator(".flash-success")).to_contain_text("Langkah 1 selesai")

    plan_id = _plan_of(live_server, plan_url)
    utama.goto(f"{live_server.url}/instances/{plan_id}")
    progress = utama.locator("#plan-progress")
    expect(progress).to_contain_text("2 dari 5 item dimulai")
    expect(progress.locator("progress")).to_have_attribute("value", "2")
    expect(utama.locator("#children tr")).to_have_count(2)
    screenshot(utama, f"1-two-of-five-{width}")

    assert plans.start_batch(ctx, plan_id) == 2
    expect(progress).to_contain_text("4 dari 5 item dimulai")  # the page follows by itself
    expect(progress.locator("progress")).to_have_attribute("value", "4")
    screenshot(utama, f"2-four-of-five-{width}")

    assert plans.start_batch(ctx, plan_id) == 1
    expect(utama.locator("#plan-progress")).to_contain_text("Semua 5 item sudah dimulai.")
    expect(utama.locator("#children tr")).to_have_count(5)
    for title in TITLES:
        expect(utama.locator("#children")).to_contain_text(title)
    assert utama.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(utama, f"3-all-five-{width}")
    assert len(item_instances(ctx, plan_id)) == 5


def _plan_of(server: LiveServer, task_url: str) -> int:
    with server.ctx.db.session() as session:
        item = session.get(WorkItem, task_url.rstrip("/").rsplit("/", 1)[-1])
        assert item is not None
        return item.instance_id
