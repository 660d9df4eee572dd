"""The instance list ("Instans proses") pages forward and back by the rows it showed (issue 14 §2), at 1366 px and at
390 px: 25 items, "Berikutnya" shows the rest, an item started meanwhile waits at the top instead of pushing a row
onto the next page twice, and "Sebelumnya" brings back the first 25, then the new one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import VIEWPORTS, LiveServer, signed_in_at
from tests.webapp.pages import plan_item, start_items

ORIGINAL = [f"Informasi {n:02d}" for n in range(27)]


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_the_item_list_pages_forward_and_back(browser: Browser, live_server: LiveServer, width: str,
                                              screenshot: Callable[..., Path]) -> None:
    start_items(live_server.ctx, *[plan_item(title, "Dinas Kesehatan") for title in ORIGINAL])
    with signed_in_at(browser, live_server, "pembantu.dinkes", width) as page:
        page.goto(f"{live_server.url}/instances")
        rows = page.locator("#instances tbody tr")
        titles = rows.locator("td:nth-child(2)")
        expect(rows).to_have_count(25)
        expect(page.locator("#page-position")).to_have_text("25 dari 27 item ditampilkan")
        expect(page.locator("#page-previous")).to_have_count(0)
        first = titles.all_inner_texts()
        assert first == ORIGINAL[::-1][:25]  # newest first
        screenshot(page, f"{width}-1-halaman-pertama")

        start_items(live_server.ctx, plan_item("Informasi baru", "Dinas Kesehatan"))  # while the person reads
        page.locator("#page-next").click()
        expect(rows).to_have_count(2)
        assert titles.all_inner_texts() == ORIGINAL[1::-1]  # the oldest two, none twice, none lost
        expect(page.locator("#page-position")).to_have_text("2 dari 28 item ditampilkan")
        expect(page.locator("#page-next")).to_have_count(0)
        screenshot(page, f"{width}-2-halaman-berikutnya")

        page.locator("#page-previous").click()
        expect(rows).to_have_count(25)
        assert titles.all_inner_texts() == first
        page.locator("#page-previous").click()  # the item started meanwhile
        expect(rows).to_have_count(1)
        expect(titles).to_have_text(["Informasi baru"])
        expect(page.locator("#page-previous")).to_have_count(0)
        screenshot(page, f"{width}-3-item-baru")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
