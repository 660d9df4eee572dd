"""Values by their labels in a real browser, at desktop and phone width: PPID Utama reads a breach notice with
the time standard in words and the process by its name (it showed PT90M and ppid_publikasi_item), and the
item page names the process and its version (it showed "ppid_publikasi_item v1")."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer
from tests.webapp.test_one_language import ISO_DURATION, ISO_MONTH, SNAKE_CASE, build_world


@pytest.mark.parametrize("width", [1366, 390])
def test_a_breach_notice_and_the_item_page_show_labels_not_codes(
    live_server: LiveServer, sign_in: Callable[[str], Page], screenshot: Callable[[Page, str], Path], width: int
) -> None:
    world = build_world(live_server.ctx, live_server.clock)
    page = sign_in("ppid.utama")
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(f"{live_server.url}/notifications")
    notice = page.locator("main").get_by_text("Standar waktu: 1 jam 30 menit").first
    expect(notice).to_be_visible()
    expect(page.locator("main")).to_contain_text("Proses: Pengolahan per item informasi publik")
    shown = page.locator("main").inner_text()
    assert not ISO_DURATION.search(shown) and "ppid_publikasi" not in shown
    screenshot(page, f"notifications-{width}")

    page.goto(f"{live_server.url}/instances/{world.looped_id}")
    expect(page.locator("main")).to_contain_text("Pengolahan per item informasi publik · versi 1")
    expect(page.locator("main")).to_contain_text(re.compile(r"dimulai 23 November 2026 09\.\d\d WIB"))
    shown = page.locator("main").inner_text()
    assert not (ISO_DURATION.search(shown) or ISO_MONTH.search(shown) or SNAKE_CASE.search(shown)), shown
    screenshot(page, f"item-{width}")
