"""A person helps themselves, on a desktop and on a phone: "Lupa kata sandi" -> the mail read from the loopback
SMTP server -> its link -> a new password -> log in with it; the guide of their role; "Ubah kata sandi"."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, LiveServer, open_menu
from tests.conftest import Mailbox

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots" / "selfhelp"
NEW_PASSWORD = "kata-sandi-baru-9"


@pytest.mark.parametrize("width,height", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_forgot_password_mail_link_new_password_login_and_the_guide(
        browser: Browser, live_server: LiveServer, mailbox: Mailbox, width: int, height: int,
        screenshot: Callable[[Page, str], Path]) -> None:
    settings = live_server.ctx.settings  # links start with the configured address (here: this test server)
    live_server.ctx.settings = replace(settings, password_reset=replace(settings.password_reset,
                                                                        base_url=live_server.url))
    context = browser.new_context(locale="id-ID", viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def shot(name: str) -> None:
        page.screenshot(path=str(SCREENSHOTS / f"{width}-{name}.png"), full_page=True)
        screenshot(page, f"{width}-{name}")

    try:
        page.goto(f"{live_server.url}/login")
        page.get_by_role("link", name="Lupa kata sandi?").click()
        expect(page.get_by_role("heading", name="Lupa kata sandi")).to_be_visible()
        page.get_by_label("Nama pengguna atau alamat surel").fill("pembantu.dinkes@ppid.test")
        page.get_by_role("button", name="Kirim tautan").click()
        expect(page.locator("#reset-sent")).to_contain_text("Tautan hanya dapat dipakai sekali, selama 1 jam")
        shot("1-link-sent")

        [mail] = mailbox.wait_for(1)
        assert mail["To"] == "pembantu.dinkes@ppid.test"
        link = re.search(r"http://\S+/password/reset/\S+", mail.get_content())
        assert link and link.group(0).startswith(f"{live_server.url}/password/reset/")
        page.goto(link.group(0))
        expect(page.get_by_text("Akun: pembantu.dinkes.")).to_be_visible()
        page.get_by_label("Kata sandi baru", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Ulangi kata sandi baru").fill(NEW_PASSWORD)
        shot("2-new-password")
        page.get_by_role("button", name="Simpan kata sandi baru").click()
        expect(page.get_by_role("alert")).to_have_text("Kata sandi Anda sudah diganti. Masuk dengan kata sandi baru.")

        page.get_by_label("Nama pengguna").fill("pembantu.dinkes")
        page.get_by_label("Kata sandi").fill(NEW_PASSWORD)
        page.locator("form button[type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/login"))
        shot("3-logged-in")

        open_menu(page)
        page.get_by_role("link", name="Panduan").click()
        expect(page.get_by_role("heading", name="Panduan PPID Pembantu")).to_be_visible()
        step = page.locator("ol.guide-steps > li")
        expect(step).to_have_count(1)
        expect(step.first.get_by_role("heading")).to_contain_text("Langkah 2: Menyiapkan dan mengidentifikasi data")
        expect(step.first.locator("dd.guide-time")).to_have_text("1 jam 30 menit")
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
        expect(page.get_by_text("Dinas Kesehatan").first).to_be_visible()
        shot("4-guide")

        page.goto(link.group(0))  # the link was used: refused, with what to do instead
        expect(page.locator("#reset-refused")).to_have_text(
            "Tautan ini tidak berlaku atau sudah pernah dipakai. Mintalah tautan baru.")
        expect(page.get_by_role("link", name="Minta tautan baru")).to_be_visible()
        shot("5-link-used")

        open_menu(page)
        page.get_by_role("link", name="Ubah kata sandi").click()  # the header's link, now logged in
        page.get_by_label("Kata sandi saat ini").fill(NEW_PASSWORD)
        page.get_by_label("Kata sandi baru", exact=True).fill("lagi-baru-123")
        page.get_by_label("Ulangi kata sandi baru").fill("lagi-baru-123")
        shot("6-change-password")
        page.get_by_role("button", name="Simpan kata sandi baru").click()
        expect(page.get_by_role("alert")).to_have_text(
            "Kata sandi Anda sudah diganti. Sesi Anda yang lain sudah berakhir.")
        open_menu(page)
        expect(page.get_by_role("link", name="Panduan")).to_be_visible()  # still logged in here
    finally:
        context.close()
