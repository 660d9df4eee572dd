"""Part of the hostile suite (tests/hostile), here beside the browser fixtures. In a real Chromium at 1366 and
390 px: a diagram deployed by the process owner with markup in a task name, a CDATA section and a comment that
close a script element, and hostile text in every field people fill, open on the item, task, modeler, replay,
record and admin pages. No script of theirs runs (no dialog, the global they set stays undefined, no policy
violation), their text is on screen as text, and every document carries the Content-Security-Policy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TIMEOUT_MS, LiveServer, log_in
from tests.hostile.inert import assert_policy
from tests.hostile.payloads import HOSTILE_TASK_NAME, PAYLOAD, TASK_2
from tests.hostile.world import HOSTILE_DISPLAY_NAME, World, hostile_world

WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(e.violatedDirective));
"""


class Visitor:
    """One person's browser context at a width; records dialogs and every document's headers."""

    def __init__(self, browser: Browser, base: str, username: str, width: int) -> None:
        self.context = browser.new_context(locale="id-ID", viewport={"width": width, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.base = base
        self.dialogs: list[str] = []
        self.documents: list[Any] = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("response", lambda r: self.documents.append(r) if r.request.resource_type == "document" else None)
        log_in(self.page, base, username)

    def visit(self, path: str) -> Page:
        self.page.goto(f"{self.base}{path}")
        return self.page

    def assert_nothing_ran(self) -> None:
        assert self.dialogs == []
        assert self.page.evaluate("typeof window.__xss") == "undefined"
        assert self.page.evaluate("window.__violations") == []
        assert self.page.locator('[id^="pwn"]').count() == 0
        for response in self.documents:
            assert_policy(response.all_headers())


@pytest.mark.parametrize("width", [1366, 390])
def test_hostile_diagram_and_text_never_run_script_in_the_browser(
        live_server: LiveServer, browser: Browser, screenshot: Callable[[Page, str], Path], width: int) -> None:
    world: World = hostile_world(live_server.ctx)
    people = {name: Visitor(browser, live_server.url, name, width)
              for name in ("ppid.utama", "pembantu.dinkes", "pemilik.proses", "auditor", "admin")}
    try:
        utama = people["ppid.utama"]
        page = utama.visit(f"/instances/{world.item_id}")
        expect(page.locator("#diagram[data-ready='1']")).to_have_count(1)
        expect(page.locator(f'#diagram [data-element-id="{TASK_2}"]').first).to_contain_text("Menyiapkan data")
        expect(page.locator("#comments")).to_contain_text(PAYLOAD)
        expect(page.locator("h1")).to_contain_text(PAYLOAD)
        screenshot(page, f"item-{width}")
        utama.assert_nothing_ran()
        page = utama.visit(f"/instances/{world.cancelled_id}")
        expect(page.locator("#timeline")).to_contain_text(PAYLOAD)
        utama.assert_nothing_ran()

        pembantu = people["pembantu.dinkes"]
        page = pembantu.visit(f"/tasks/{world.step_3_id}")
        expect(page.locator("main")).to_contain_text(PAYLOAD)
        expect(page.locator(".who")).to_contain_text(HOSTILE_DISPLAY_NAME)
        screenshot(page, f"task-{width}")
        pembantu.assert_nothing_ran()

        owner = people["pemilik.proses"]
        page = owner.visit("/modeler/ppid_publikasi_item")
        task = page.locator(f'.djs-element[data-element-id="{TASK_2}"]')
        expect(task).to_contain_text("Menyiapkan data")
        if width > 1000:  # the properties panel: the name and the documentation as the owner edits them
            task.click()
            expect(page.locator("#properties")).to_contain_text("Menyiapkan data")
        screenshot(page, f"modeler-{width}")
        owner.assert_nothing_ran()
        page = owner.visit("/modeler/ppid_publikasi_item/sop")
        expect(page.locator("main")).to_contain_text(HOSTILE_TASK_NAME)
        owner.assert_nothing_ran()

        auditor = people["auditor"]
        page = auditor.visit(f"/audit/instances/{world.item_id}/replay")
        expect(page.locator("body[data-replay-ready='1']")).to_have_count(1)
        for _ in range(4):
            page.click("#replay-forward")
        screenshot(page, f"replay-{width}")
        auditor.assert_nothing_ran()
        page = auditor.visit(f"/audit/instances/{world.item_id}/record")
        expect(page.locator("main")).to_contain_text(PAYLOAD)
        screenshot(page, f"record-{width}")
        auditor.assert_nothing_ran()

        admin = people["admin"]
        page = admin.visit("/admin/users")
        expect(page.locator('input[name="display_name"]').filter(has_text="")).not_to_have_count(0)
        page = admin.visit("/no-such-page")
        expect(page.locator(".error-message")).to_be_visible()
        admin.assert_nothing_ran()
    finally:
        for visitor in people.values():
            visitor.context.close()
