"""Step 1's plan rows on a phone: each row becomes a card of labelled fields that fits the screen, so the OPD
and the target date are reachable without scrolling sideways; on a laptop they stay one table row."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.runtime import instances
from tests.browser.conftest import VIEWPORTS, LiveServer, signed_in_at
from tests.engine import flow

CELLS = ("judul", "ringkasan", "kelas_dip", "opd", "tanggal_target")


@pytest.mark.parametrize("width", sorted(VIEWPORTS))
def test_every_field_of_a_plan_row_is_on_screen_with_its_label(
        live_server: LiveServer, browser: Browser, screenshot: Callable[[Page, str], Path], width: str) -> None:
    plan = instances.start_instance(live_server.ctx, "ppid_publikasi", "ppid.utama")
    step_1 = flow.the_task(live_server.ctx, plan.id, "Task_1_Arahan")
    with signed_in_at(browser, live_server, "ppid.utama", width) as page:
        page.goto(f"{live_server.url}/tasks/{step_1.id}")
        viewport = VIEWPORTS[width]["width"]
        row = page.locator('[data-items="rencana_unggahan"] tbody tr').first.bounding_box()
        assert row is not None
        boxes = []
        for cell in CELLS:
            control = page.locator(f'[name="rencana_unggahan-0-{cell}"]')
            expect(control).to_be_visible()
            box = control.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport, (cell, box)
            assert box["x"] + box["width"] <= row["x"] + row["width"] + 1, (cell, box, row)  # inside its card
            boxes.append(box)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport
        label = page.evaluate("""() => getComputedStyle(document.querySelector(
            '[name="rencana_unggahan-0-tanggal_target"]').closest('td'), '::before').content""")
        if width == "phone":  # one card: the fields one under another, each after its label
            assert all(b["y"] < c["y"] for b, c in zip(boxes, boxes[1:], strict=False))
            assert label == '"Tanggal target: "'
        else:  # one table row: the fields side by side under the table's head
            assert all(b["x"] < c["x"] for b, c in zip(boxes, boxes[1:], strict=False))
            assert label in ("none", "normal")
        screenshot(page, width)
