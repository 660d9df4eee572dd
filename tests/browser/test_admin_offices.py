"""The Admin adds an office; PPID Utama picks it from the list in a step-1 plan row; a target date in the past
is refused with its message. At a desktop width (1366 px) and a phone width (390 px)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from engine.store import Instance
from tests.browser.conftest import TIMEOUT_MS, LiveServer, log_in, open_menu
from tests.conftest import ROOT

SHOTS = ROOT / "tests" / "browser" / "screenshots"
OFFICE, SHORT = "Badan Pendapatan Daerah", "Bapenda"
TITLE = "Realisasi pajak daerah triwulan III"


@pytest.fixture(params=[1366, 390], ids=["1366px", "390px"])
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


@pytest.fixture
def open_as(browser: Browser, live_server: LiveServer, width: int) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def as_user(username: str) -> Page:
        context = browser.new_context(locale="id-ID", viewport={"width": width, "height": 900})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        log_in(page, live_server.url, username)
        return page

    yield as_user
    for context in contexts:
        context.close()


def _shot(page: Page, width: int, name: str) -> None:
    folder = SHOTS / f"admin_offices-{width}"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_the_admin_adds_an_office_that_ppid_utama_picks_in_a_plan_row(
    open_as: Callable[[str], Page], live_server: LiveServer, width: int
) -> None:
    admin = open_as("admin")
    open_menu(admin)
    admin.get_by_role("link", name="Daftar OPD").click()
    expect(admin.locator("h1")).to_have_text("Daftar OPD")
    admin.locator('#new-office [name="name"]').fill(OFFICE)
    admin.locator('#new-office [name="short_name"]').fill(SHORT)
    admin.locator("#new-office button[type=submit]").click()
    expect(admin.locator(".flash-success")).to_have_text(f"OPD {OFFICE} ditambahkan.")
    row = admin.locator(f'#offices tr[data-office="{OFFICE}"]')
    expect(row).to_contain_text(SHORT)
    expect(row).to_contain_text("Aktif")
    _shot(admin, width, "01-opd-ditambahkan")

    utama = open_as("ppid.utama")
    utama.goto(f"{live_server.url}/instances")
    utama.locator("#start-ppid_publikasi").click()
    expect(utama.locator("h1")).to_contain_text("Langkah 1")
    office_choice = utama.locator('[name="rencana_unggahan-0-opd"]')
    expect(office_choice.locator("option", has_text=OFFICE)).to_have_count(1)
    utama.locator('[name="rencana_unggahan-0-judul"]').fill(TITLE)
    utama.locator('[name="rencana_unggahan-0-kelas_dip"]').select_option("berkala")
    office_choice.select_option(OFFICE)
    utama.locator('[name="rencana_unggahan-0-tanggal_target"]').fill("2026-11-20")  # the clock reads 23 Nov 2026
    utama.locator('[name="arahan_kerja"]').fill("Unggah sebelum akhir bulan.")
    utama.locator("#complete").click()
    error = utama.locator('[data-field="rencana_unggahan"] .field-error')
    expect(error).to_have_text("item 1: tanggal target 20 November 2026 sudah lewat")
    expect(utama.locator('[name="rencana_unggahan-0-opd"]')).to_have_value(OFFICE)
    error.scroll_into_view_if_needed()
    _shot(utama, width, "02-tanggal-target-lewat")

    utama.locator('[name="rencana_unggahan-0-tanggal_target"]').fill("2026-11-30")
    utama.locator("#complete").click()
    expect(utama.locator(".flash-success")).to_contain_text("Langkah 1 selesai")
    _shot(utama, width, "03-rencana-tersimpan")
    with live_server.ctx.db.session() as session:
        item = session.scalars(select(Instance).where(Instance.title == TITLE)).one()
    assert item.opd == OFFICE

