"""In a real Chromium: the auditor steps through an item's history on its diagram; the diagram shows what was
done, active and overdue at each point, and the side panel who did what with which data."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from tests.browser.conftest import VIEWPORTS, LiveServer, signed_in_at
from tests.conftest import ROOT
from tests.engine.flow import BELUM, SESUAI, STEP_2, complete, item_instance, start_with_plan, the_task

BUNDLES = [ROOT / "webapp" / "static" / "dist" / name for name in ("viewer.js", "replay.js")]


@pytest.fixture(scope="module")
def bundles() -> list[Path]:
    """The viewer and replay bundles the page loads; built from webapp/assets when missing."""
    if not all(bundle.exists() for bundle in BUNDLES):
        subprocess.run(["node", str(ROOT / "webapp" / "assets" / "build.mjs")], check=True, cwd=ROOT)
    return BUNDLES


def _marker(page: Page, element_id: str) -> str:
    return page.locator(f'#replay-diagram [data-element-id="{element_id}"]').first.get_attribute("class") or ""


def test_auditor_steps_back_and_forth_through_an_item_on_its_diagram(
        bundles: list[Path], live_server: LiveServer, sign_in: Callable[[str], Page]) -> None:
    ctx, clock, base = live_server.ctx, live_server.clock, live_server.url
    plan = start_with_plan(ctx)
    opd = "Dinas Kesehatan"
    clock.advance(timedelta(minutes=100))
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), BELUM)
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), SESUAI)
    item_id = item_instance(ctx, plan.id, opd).id

    page = sign_in("auditor")
    page.goto(f"{base}/audit/instances/{item_id}/replay")
    expect(page.locator("body[data-replay-ready='1']")).to_have_count(1)
    panel = page.locator("#replay-panel")
    expect(panel).to_have_attribute("data-type", "instance_started")

    page.click("#replay-forward")  # step 2 becomes ready
    expect(panel).to_have_attribute("data-index", "1")
    assert "mark-active" in _marker(page, "Task_2_Siapkan_Data")
    assert "mark-done" in _marker(page, "StartEvent_Item")

    page.click("#replay-forward")  # 100 minutes later its timer fires: overdue
    expect(panel).to_have_attribute("data-type", "timer_fired")
    assert "mark-overdue" in _marker(page, "Task_2_Siapkan_Data")
    expect(page.locator("#replay-overdue")).to_be_visible()

    completed = page.locator("#replay-slider")
    frames = int(completed.get_attribute("max") or 0) + 1
    for _ in range(frames):  # forward to the first completion: who, with which data
        if panel.get_attribute("data-type") == "task_completed":
            break
        page.click("#replay-forward")
    expect(page.locator("#replay-actor")).to_have_text("pembantu.dinkes")
    expect(page.locator("#replay-data")).to_contain_text("Klasifikasi DIPBerkala")  # the label, then the choice's
    assert "mark-done" in _marker(page, "Task_2_Siapkan_Data")

    page.click("#replay-last")
    expect(panel).to_have_attribute("data-index", str(frames - 1))
    assert "mark-active" in _marker(page, "Task_4_Unggah")
    assert "mark-done" in _marker(page, "Gateway_Verifikasi")
    page.click("#replay-back")
    expect(panel).to_have_attribute("data-index", str(frames - 2))

    page.locator("#replay-slider").fill("0")
    expect(panel).to_have_attribute("data-type", "instance_started")
    page.click("#replay-play")
    expect(panel).to_have_attribute("data-index", "2", timeout=5000)
    page.click("#replay-play")  # pause


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_a_divergence_reads_in_indonesian_with_labels_for_its_codes(
        browser: Browser, live_server: LiveServer, width: str, screenshot: Callable[..., Path]) -> None:
    """A stored status the log does not explain: the re-execution names it in the auditor's language, the
    statuses by their labels, not their codes."""
    plan = start_with_plan(live_server.ctx)
    item_id = item_instance(live_server.ctx, plan.id, "Dinas Kesehatan").id
    with live_server.ctx.db.engine.begin() as connection:
        connection.execute(text("UPDATE instances SET status = 'completed' WHERE id = :id"), {"id": item_id})
    with signed_in_at(browser, live_server, "auditor", width) as page:
        page.goto(f"{live_server.url}/audit/instances/{item_id}/replay/check")
        expect(page.locator("#replay-diverges")).to_be_visible()
        expect(page.locator("#replay-divergence")).to_have_text(
            "Item berstatus selesai, tetapi pemutaran ulang berakhir berjalan.")
        screenshot(page, f"divergence-{width}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


RAW = re.compile(r"\d{4}-\d{2}-\d{2}|[a-z]+_[a-z_]+|\btrue\b|\bfalse\b|\bnull\b|[{}]")


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_every_frame_of_the_replay_names_its_data_in_indonesian_words(
        bundles: list[Path], browser: Browser, live_server: LiveServer, width: str,
        screenshot: Callable[..., Path]) -> None:
    ctx, clock = live_server.ctx, live_server.clock
    plan = start_with_plan(ctx)
    clock.advance(timedelta(minutes=100))  # step 2's time standard passes: a timer fires, a breach is recorded
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", "Dinas Kesehatan"), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", "Dinas Kesehatan"), BELUM)
    item_id = item_instance(ctx, plan.id, "Dinas Kesehatan").id
    with signed_in_at(browser, live_server, "auditor", width) as page:
        page.goto(f"{live_server.url}/audit/instances/{item_id}/replay")
        expect(page.locator("body[data-replay-ready='1']")).to_have_count(1)
        panel, data = page.locator("#replay-panel"), page.locator("#replay-data")
        frames = int(page.locator("#replay-slider").get_attribute("max") or 0) + 1
        seen: dict[str, str] = {}
        for index in range(frames):
            page.locator("#replay-slider").fill(str(index))
            expect(panel).to_have_attribute("data-index", str(index))
            shown = data.inner_text()
            assert not RAW.search(shown), (panel.get_attribute("data-type"), shown)
            seen.setdefault(panel.get_attribute("data-type") or "", shown)
            if panel.get_attribute("data-type") == "task_completed":
                screenshot(page, f"completed-{width}")
        started = seen["instance_started"]
        assert "Laporan keuangan semester I" in started and "30 November 2026" in started
        assert "Batas waktu" in seen["task_ready"] and "WIB" in seen["task_ready"]
        assert "Terlambat" in seen["timer_fired"]
        assert "Berkala" in seen["task_completed"] and "Softcopy dan hardcopy" in seen["task_completed"]
        assert "Belum sesuai" in seen["gateway_decision"]
