"""The Admin uploads the office's logo from the logo page, on a desktop and on a phone, and sees it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer


@pytest.mark.parametrize("width", [1366, 390])
def test_the_admin_uploads_the_logo_and_sees_it(live_server: LiveServer, sign_in: Callable[[str], Page],
                                                screenshot: Callable[[Page, str], Path], tmp_path: Path,
                                                width: int) -> None:
    logo = tmp_path / "lambang.png"
    Image.new("RGB", (80, 80), (0, 90, 160)).save(logo)
    disguised = tmp_path / "lambang-palsu.png"
    disguised.write_bytes(b"<html>bukan gambar</html>")
    page = sign_in("admin")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/admin/logo")
    expect(page.locator("#current-logo")).to_contain_text("Belum ada logo.")
    page.get_by_label("Berkas logo").set_input_files(str(disguised))
    page.get_by_role("button", name="Unggah").click()
    expect(page.locator(".error-message")).to_contain_text("bukan gambar seperti itu")
    page.goto(f"{live_server.url}/admin/logo")
    page.get_by_label("Berkas logo").set_input_files(str(logo))
    page.get_by_role("button", name="Unggah").click()
    expect(page.locator(".flash")).to_contain_text("Logo tersimpan")
    expect(page.locator("img.office-logo")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"logo-{width}")
