"""Values as a person reads them, at a laptop's and a phone's width: a plan row's past target date in the step-1
error, the period and processes of step 7's evaluation data, and step 6's date and question in the audit record
are words in Indonesian, never ISO text, process ids or a doubled "?:"."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.runtime import instances, supervision, task_list
from tests.browser.conftest import LiveServer, signed_in_at
from tests.engine import flow

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}")
Shot = Callable[[Page, str], Path]


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_a_past_target_date_is_named_in_words_in_the_step_1_error(
        live_server: LiveServer, browser: Browser, screenshot: Shot, width: str) -> None:
    plan = instances.start_instance(live_server.ctx, "ppid_publikasi", "ppid.utama")
    step_1 = flow.the_task(live_server.ctx, plan.id, "Task_1_Arahan")
    with signed_in_at(browser, live_server, "ppid.utama", width) as page:
        page.goto(f"{live_server.url}/tasks/{step_1.id}")
        page.locator('[name="rencana_unggahan-0-judul"]').fill("Profil OPD")
        page.locator('[name="rencana_unggahan-0-kelas_dip"]').select_option("berkala")
        page.locator('[name="rencana_unggahan-0-opd"]').select_option("Dinas Kesehatan")
        page.locator('[name="rencana_unggahan-0-tanggal_target"]').fill("2026-01-15")
        page.locator('[name="arahan_kerja"]').fill("Unggah sebelum akhir bulan.")
        page.locator("#complete").click()
        error = page.locator('[data-field="rencana_unggahan"] .field-error')
        expect(error).to_contain_text("15 Januari 2026")
        assert not ISO_MOMENT.search(error.inner_text())
        screenshot(page, width)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_step_7_shows_its_period_in_local_time_and_processes_by_name(
        live_server: LiveServer, browser: Browser, screenshot: Shot, width: str) -> None:
    ctx = live_server.ctx
    flow.start_with_plan(ctx, flow.PLAN[:1])
    live_server.clock.advance(timedelta(days=10))  # 2026-12-03: the month under review is November
    monitoring = supervision.start_period_by_hand(ctx, "ppid_monitoring", "ppid.utama")
    [step_7] = task_list.list_tasks(ctx, task_list.TaskFilter(instance_id=monitoring.id))
    with signed_in_at(browser, live_server, "ppid.utama", width) as page:
        page.goto(f"{live_server.url}/tasks/{step_7.id}")
        panel = page.locator("#evaluation-data")
        expect(panel).to_contain_text("1 November 2026 00.00 WIB")
        expect(panel).to_contain_text("1 Desember 2026 00.00 WIB")
        expect(panel).to_contain_text("Pengelolaan Konten Website dan Layanan Informasi: 1")
        text = panel.inner_text()
        assert not ISO_MOMENT.search(text) and "ppid_publikasi" not in text
        screenshot(page, width)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_audit_record_shows_step_6_date_in_words_and_its_question_once(
        live_server: LiveServer, browser: Browser, screenshot: Shot, site: str, width: str) -> None:
    item_id, step_6 = flow.reach_step(live_server.ctx, 6)
    flow.complete(live_server.ctx, step_6, flow.STEP_6)
    with signed_in_at(browser, live_server, "auditor", width) as page:
        page.goto(f"{live_server.url}/audit/instances/{item_id}/record")
        step = page.locator("#record-steps")
        expect(step).to_contain_text("Tanggal tayang: 23 November 2026")
        expect(step).to_contain_text("Dapat diakses masyarakat? Ya")
        assert "?:" not in step.inner_text() and "2026-11-23" not in step.inner_text()
        screenshot(page, width)
