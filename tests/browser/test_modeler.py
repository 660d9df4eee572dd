"""In a real Chromium: the process owner changes a time standard in the modeler's properties panel and
deploys; an instance started afterwards runs under the new standard, one started before keeps the old one."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from engine import timers
from engine.clock import ManualClock
from engine.context import EngineContext
from handlers import HANDLERS
from tests.conftest import PASSWORD, ROOT, START, Mailbox, _seeded_models, make_settings
from tests.webapp.pages import open_task, plan_item, start_items
from webapp import create_app

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
BUNDLE = ROOT / "webapp" / "static" / "dist" / "modeler.js"


@pytest.fixture(scope="module")
def modeler_bundle() -> Path:
    """The modeler bundle the page loads; built from webapp/assets when it is missing."""
    if not BUNDLE.exists():
        subprocess.run(["node", str(ROOT / "webapp" / "assets" / "build.mjs")], check=True, cwd=ROOT)
    return BUNDLE


@pytest.fixture
def live(tmp_path: Path, sqlite_template: Path, smtp_server: tuple[int, Mailbox], modeler_bundle: Path,
         monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, EngineContext, ManualClock]]:
    """The app on a seeded SQLite copy, served on 127.0.0.1 by a real HTTP server; the engine shares its clock."""
    path = tmp_path / "sopflow.db"
    shutil.copy(sqlite_template, path)
    settings = replace(make_settings(f"sqlite:///{path}", smtp_server[0]), upload_dir=tmp_path / "uploads")
    clock = ManualClock(START)
    ctx = EngineContext.create(settings, clock=clock, handlers=HANDLERS)
    ctx.models = dict(_seeded_models)
    monkeypatch.setenv("SOPFLOW_INSTANCE_PATH", str(tmp_path / "instance"))
    server = make_server("127.0.0.1", 0, create_app(ctx, {"TESTING": True}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ctx, clock
    finally:
        server.shutdown()
        thread.join(5)
        ctx.db.dispose()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def owner_page(chromium: Browser, live: tuple[str, EngineContext, ManualClock]) -> Iterator[Page]:
    base, _, _ = live
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="id-ID")
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "pemilik.proses")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    yield page
    context.close()


def test_a_time_standard_changed_in_the_modeler_applies_to_new_instances_only(
        live: tuple[str, EngineContext, ManualClock], owner_page: Page) -> None:
    base, ctx, clock = live
    [before] = start_items(ctx, plan_item("Profil OPD", "Dinas Kesehatan"))
    assert open_task(ctx, before.id).time_standard == "PT90M"

    page = owner_page
    page.goto(f"{base}/modeler/ppid_publikasi_item")
    page.click(".djs-element[data-element-id=Task_2_Siapkan_Data]")
    field = page.locator("input[name=sopflow-standar_waktu]")
    expect(field).to_have_value("PT90M")
    expect(page.locator("input[name=sopflow-lane]")).to_have_value("PPID Pembantu")
    field.fill("PT45M")
    page.click("#validate")
    expect(page.locator("#modeler-status")).to_have_text("Tidak ada masalah: diagram dapat di-deploy.")
    page.fill("#deploy-note", "Langkah 2 dipercepat menjadi 45 menit")
    page.click("#deploy")
    expect(page.locator("#modeler-status")).to_have_text("Di-deploy sebagai versi 2.")

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
        live: tuple[str, EngineContext, ManualClock], owner_page: Page) -> None:
    base, _, _ = live
    page = owner_page
    page.goto(f"{base}/modeler/ppid_publikasi_item")
    page.click(".djs-element[data-element-id=Task_3_Verifikasi]")
    page.locator("input[name=sopflow-standar_waktu]").fill("satu jam")
    page.fill("#deploy-note", "uji")
    page.click("#deploy")
    expect(page.locator("#modeler-status")).to_contain_text("Permintaan gagal")
    expect(page.locator('.problem-badge[data-element="Task_3_Verifikasi"]')).to_be_visible()
    expect(page.locator('#problems li[data-element="Timer_Task_3_Verifikasi"]')).to_contain_text("harus sama")
    expect(page.locator(".djs-element.has-problem[data-element-id=Task_3_Verifikasi]")).to_have_count(1)
    page.goto(f"{base}/modeler/ppid_publikasi_item/versions")
    expect(page.locator("#versions tbody tr")).to_have_count(1)
