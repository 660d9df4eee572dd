"""Issue: at 390 px no page scrolls sideways (wide tables scroll inside their box or become cards, long hashes
wrap), the replay stacks its diagram above a full-width event panel, and every value in a phone card keeps its
column's label. At 1366 px the same pages fit too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import VIEWPORTS, LiveServer, Visit
from tests.webapp.pages import open_task, plan_item, start_items

DINKES = "Dinas Kesehatan"
TITLE = "Laporan keuangan semester I"
PROCESS = "ppid_publikasi_item"
# A card's lines as a person reads them: each shown cell's CSS label (its ::before) followed by its text.
CARD_CELLS = """row => [...row.cells].filter(cell => cell.offsetParent).map(cell => {
  const before = getComputedStyle(cell, '::before').content;
  const shown = before !== 'none' && before !== 'normal' && cell.dataset.label ? `${cell.dataset.label}: ` : '';
  return (shown + cell.innerText.replace(/\\s+/g, ' ')).trim(); })"""


@pytest.fixture(params=sorted(VIEWPORTS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def item(live_server: LiveServer) -> Any:
    """A Dinas Kesehatan item at step 2, with step 1 done: its step table has dates in every column."""
    (late,) = start_items(live_server.ctx, plan_item(TITLE, DINKES))
    live_server.clock.advance(timedelta(hours=2))
    open_task(live_server.ctx, late.id)
    return late


def page_width(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def test_audit_and_modeler_pages_do_not_scroll_sideways(
    visit: Visit, item: Any, width: str, screenshot: Callable[[Page, str], Path]
) -> None:
    pages = {
        "dokumen-sop": ("pembantu.dinkes", "/modeler/sop"),
        "sop-proses": ("admin", f"/modeler/{PROCESS}/sop"),
        "audit": ("auditor", "/audit/"),
        "laporan": ("auditor", "/audit/report"),
        "rekaman": ("auditor", f"/audit/instances/{item.id}/record"),
        "modeler": ("admin", "/modeler/"),
        "versi": ("admin", f"/modeler/{PROCESS}/versions"),
        "kotak-masuk": ("pembantu.dinkes", "/tasks"),
        "instans": ("pembantu.dinkes", "/instances"),
        "item": ("pembantu.dinkes", f"/instances/{item.id}"),
    }
    too_wide = {}
    for name, (user, path) in pages.items():
        page = visit(user, path)
        expect(page.locator("h1")).to_be_visible()
        screenshot(page, f"{name}-{width}")
        if page_width(page) > VIEWPORTS[width]["width"]:
            too_wide[path] = page_width(page)
    assert too_wide == {}, f"pages wider than {VIEWPORTS[width]['width']} px"


def test_the_replay_stacks_its_event_panel_under_the_diagram_on_a_phone(
    visit: Visit, item: Any, width: str, screenshot: Callable[[Page, str], Path]
) -> None:
    page = visit("auditor", f"/audit/instances/{item.id}/replay")
    panel, diagram = page.locator("#replay-panel"), page.locator("#replay-diagram")
    expect(panel).to_be_visible()
    screenshot(page, f"replay-{width}")
    assert page_width(page) <= VIEWPORTS[width]["width"]
    panel_box, diagram_box = panel.bounding_box(), diagram.bounding_box()
    assert panel_box is not None and diagram_box is not None
    if width == "phone":
        assert panel_box["width"] >= 300
        assert panel_box["y"] >= diagram_box["y"] + diagram_box["height"]  # below the diagram
    else:
        assert panel_box["x"] >= diagram_box["x"] + diagram_box["width"]  # beside it, as before


def test_every_date_in_a_phone_card_keeps_its_label(
    visit: Visit, item: Any, width: str, screenshot: Callable[[Page, str], Path]
) -> None:
    page = visit("pembantu.dinkes", f"/instances/{item.id}")
    steps = page.locator("#steps tbody")
    expect(steps.locator("tr").first).to_be_visible()
    screenshot(page, f"item-{width}")
    if width == "desktop":
        expect(page.locator("#steps thead")).to_be_visible()
        return
    expect(page.locator("#steps thead")).to_be_hidden()
    cells = steps.locator("tr").first.evaluate(CARD_CELLS)
    for label in ("Siap", "Selesai", "Batas waktu"):
        assert any(line.startswith(f"{label}: ") for line in cells), f"no '{label}' in the step card: {cells}"
    assert any(line.startswith("Siap: ") and any(ch.isdigit() for ch in line) for line in cells)
    for table, path in (("#inbox", "/tasks"), ("#instances", "/instances")):
        cards = visit("pembantu.dinkes", path).locator(f"{table} tbody tr")
        expect(cards.first).to_be_visible()
        lines = cards.first.evaluate(CARD_CELLS)
        assert "–" not in lines, f"{path}: a bare dash in a card: {lines}"
