"""The Admin edits a user on a phone: each user is a card of labelled fields that fits the screen, and its
Save button is reachable without scrolling sideways; at a laptop's width the users stay one table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORTS, LiveServer, signed_in_at


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_the_admin_renames_a_user_with_every_field_on_screen(
        live_server: LiveServer, browser: Browser, screenshot: Callable[[Page, str], Path], width: str) -> None:
    viewport = VIEWPORTS[width]["width"]
    with signed_in_at(browser, live_server, "admin", width) as page:
        page.goto(f"{live_server.url}/admin/users")
        row = page.locator("#users tbody tr", has_text="pembantu.dinkes")
        name, save = row.locator('[name="display_name"]'), row.get_by_role("button", name="Simpan")
        for control in (name, row.locator('[name="email"]'), row.locator('[name="opd"]'), save):
            box = control.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport, box
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport
        name.fill("Petugas Dinkes Baru")
        save.click()
        expect(page.locator(".flash-success")).to_have_text("Pengguna pembantu.dinkes disimpan.")
        expect(page.locator("#users tbody tr", has_text="pembantu.dinkes").locator('[name="display_name"]')) \
            .to_have_value("Petugas Dinkes Baru")
        screenshot(page, width)
