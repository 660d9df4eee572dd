"""The inbox pages forward and back by cursor (issue 14 §2), at 1366 px and at 390 px: a person sees 25 tasks,
"Berikutnya" shows the rest, a task that arrives meanwhile joins the end instead of pushing a row onto the next
page twice, and "Sebelumnya" brings back the first 25."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import VIEWPORTS, LiveServer, signed_in_at
from tests.webapp.pages import plan_item, start_items


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_the_inbox_pages_forward_and_back(browser: Browser, live_server: LiveServer, width: str,
                                          screenshot: Callable[..., Path]) -> None:
    start_items(live_server.ctx, *[plan_item(f"Informasi {n:02d}", "Dinas Kesehatan") for n in range(27)])
    with signed_in_at(browser, live_server, "pembantu.dinkes", width) as page:
        page.goto(f"{live_server.url}/tasks")
        rows = page.locator("#inbox tbody tr")
        expect(rows).to_have_count(25)
        expect(page.locator(".pager")).to_contain_text("25 dari 27 tugas ditampilkan")
        expect(page.locator("#page-previous")).to_have_count(0)
        first = rows.locator("td:nth-child(2)").all_inner_texts()
        screenshot(page, f"{width}-1-halaman-pertama")

        live_server.clock.advance(timedelta(minutes=1))  # a new task arrives while the person reads
        start_items(live_server.ctx, plan_item("Informasi baru", "Dinas Kesehatan"))
        page.locator("#page-next").click()
        expect(rows).to_have_count(3)
        second = rows.locator("td:nth-child(2)").all_inner_texts()
        assert second[-1] == "Informasi baru"  # the newest deadline comes last
        assert sorted(first + second[:-1]) == [f"Informasi {n:02d}" for n in range(27)]  # none twice, none lost
        expect(page.locator(".pager")).to_contain_text("3 dari 28 tugas ditampilkan")
        expect(page.locator("#page-next")).to_have_count(0)
        screenshot(page, f"{width}-2-halaman-berikutnya")

        page.locator("#page-previous").click()
        expect(rows).to_have_count(25)
        assert rows.locator("td:nth-child(2)").all_inner_texts() == first
        expect(page.locator("#page-previous")).to_have_count(0)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
