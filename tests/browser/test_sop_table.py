"""In a real Chromium, at 1366 and 390 px: the process owner uploads the seed SOP's table, reviews it on the page,
generates the diagram, finds it in the modeler as a draft and deploys it; a mistake in a row is shown next to that
row with what was typed kept."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.diagrams import drafts
from engine.diagrams.sop_generator import process_id_of
from engine.runtime import task_list
from tests.browser.conftest import LiveServer
from tests.conftest import ROOT

SEED = ROOT / "examples" / "sop" / "ppid_publikasi.csv"
NAME = "Pengelolaan Konten Website dan Layanan Informasi"


def _fits(page: Page, width: int, screenshot: Callable[[Page, str], Path], name: str) -> None:
    """The page never scrolls sideways; its screenshot is kept."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, name)


@pytest.mark.parametrize("width", [1366, 390])
def test_the_process_owner_turns_the_seed_table_into_a_deployed_process(
        live_server: LiveServer, sign_in: Callable[[str], Page], screenshot: Callable[[Page, str], Path],
        width: int) -> None:
    base, ctx = live_server.url, live_server.ctx
    page = sign_in("pemilik.proses")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/modeler/")
    page.click("#new-from-table")
    expect(page.locator("h1")).to_have_text("SOP baru dari tabel")
    page.set_input_files("#table-file", str(SEED))
    page.click("#upload-table")
    expect(page.locator(".flash-success")).to_contain_text("7 baris dibaca dari ppid_publikasi.csv")
    rows = page.locator("[data-row]")
    expect(rows).to_have_count(7)
    expect(page.locator("#sop-name")).to_have_value(NAME)
    third = rows.nth(2)
    expect(third.locator("textarea[name=kegiatan]")).to_have_value(
        "Melakukan verifikasi dan validasi informasi publik sebelum diunggah")
    expect(third.locator("select[name=pelaksana]")).to_have_value("PLID Utama")
    expect(third.locator("input[name=waktu]")).to_have_value("1 jam")
    expect(third.locator("select[name=ya]")).to_have_value("4")
    expect(third.locator("select[name=tidak]")).to_have_value("2")
    _fits(page, width, screenshot, f"tabel-{width}")
    # A row added by mistake is numbered 8, offered as a target, and removed again.
    page.click("#add-row")
    expect(rows).to_have_count(8)
    expect(rows.nth(7).locator("[data-no]")).to_have_text("8")
    expect(third.locator("select[name=tidak] option[value='8']")).to_have_count(1)
    rows.nth(7).locator("[data-remove]").click()
    expect(rows).to_have_count(7)
    expect(third.locator("select[name=tidak]")).to_have_value("2")

    page.click("#generate")
    process_id = process_id_of(NAME)
    expect(page).to_have_url(re.compile(f"/modeler/{process_id}$"))
    expect(page.locator(".flash-success")).to_contain_text("Diagram dibuat dari tabel")
    expect(page.locator("#diagram-origin")).to_contain_text("Proses baru, belum diterapkan")
    if width < 700:  # the modeler itself asks for a wider screen: the draft is deployed from a laptop
        expect(page.locator("#modeler-narrow")).to_be_visible()
        screenshot(page, f"draf-{width}")
        drafts.deploy_diagram(ctx, process_id, drafts.open_diagram(ctx, process_id).xml.encode(), "pemilik.proses",
                              "SOP dari tabel Permenpan")
    else:
        expect(page.locator(".djs-element[data-element-id=Task_3]")).to_have_count(1)
        expect(page.locator(".djs-element[data-element-id=Gateway_3]")).to_have_count(1)
        screenshot(page, f"diagram-{width}")
        page.fill("#deploy-note", "SOP dari tabel Permenpan")
        page.click("#deploy")
        expect(page.locator("#modeler-status")).to_have_text("Diterapkan sebagai versi 1.")
    # PPID Utama starts it from the publications page and lands on its first step.
    utama = sign_in("ppid.utama")
    utama.set_viewport_size({"width": width, "height": 900})
    utama.goto(f"{base}/instances")
    screenshot(utama, f"mulai-{width}")
    utama.click(f"#start-{process_id}")
    expect(utama.locator(".flash-success")).to_have_text(f"{NAME} dimulai.")
    expect(utama.locator("h1")).to_contain_text("Langkah 1")
    expect(utama.locator("[name=judul]")).to_be_visible()
    [first] = task_list.list_tasks(ctx, task_list.TaskFilter(lane="PPID Utama"))
    assert (first.step, first.time_standard) == ("1", "PT15M")


@pytest.mark.parametrize("width", [1366, 390])
def test_a_mistake_in_a_row_is_shown_next_to_it_and_nothing_typed_is_lost(
        live_server: LiveServer, sign_in: Callable[[str], Page], screenshot: Callable[[Page, str], Path],
        width: int) -> None:
    page = sign_in("pemilik.proses")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/modeler/tabel")
    page.fill("#sop-name", "Layanan Keberatan")
    rows = page.locator("[data-row]")
    first, second = rows.nth(0), rows.nth(1)
    first.locator("textarea[name=kegiatan]").fill("Menerima keberatan")
    first.locator("select[name=pelaksana]").select_option("PLID Utama")
    first.locator("input[name=waktu]").fill("30 menit")
    second.locator("textarea[name=kegiatan]").fill("Memutuskan keberatan")
    second.locator("select[name=pelaksana]").select_option("PPID Utama")
    second.locator("input[name=waktu]").fill("2 jam setengah")
    second.locator("textarea[name=keputusan]").fill("Keberatan diterima?")
    page.click("#generate")
    expect(page.locator("#table-message")).to_contain_text("masalah")
    invalid = page.locator(".sop-row-invalid")
    expect(invalid).to_have_count(1)
    expect(invalid.locator(".sop-row-problems")).to_contain_text("Waktu")
    expect(invalid.locator(".sop-row-problems")).to_contain_text("Jika tidak")
    expect(invalid.locator("input[name=waktu]")).to_have_value("2 jam setengah")
    expect(invalid.locator("textarea[name=kegiatan]")).to_have_value("Memutuskan keberatan")
    expect(page.locator("#sop-name")).to_have_value("Layanan Keberatan")
    _fits(page, width, screenshot, f"kesalahan-{width}")
