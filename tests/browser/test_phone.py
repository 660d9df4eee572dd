"""On a phone (issue 11 §2) and with mistakes (§3): every page a staff member uses fits 390x844 without sideways
scrolling, with tap targets of at least 44 px, the header folded behind a menu button and the inbox as cards;
at 1366 px the same pages fit too. A step is completed with a file from the phone; a 300-character word never
widens a page; cancelling asks first; a refused comment is answered beside the field."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from engine.store import Instance
from tests.browser.conftest import HERE, VIEWPORTS, LiveServer, Visit
from tests.engine import flow
from tests.webapp.pages import open_task, pdf_bytes, plan_item, start_items

DINKES = "Dinas Kesehatan"
TITLE = "Laporan keuangan semester I"
LONG_TITLE = "Rekapitulasi" * 25  # 300 characters, no space
# Everything a person taps; a checkbox or radio button is tapped through its label.
MEASURE = """() => {
  const shown = el => { const box = el.getBoundingClientRect(), style = getComputedStyle(el);
                        return box.width > 0 && box.height > 0 && style.visibility !== 'hidden'; };
  const small = [];
  for (const el of document.querySelectorAll('a, button, input, select, textarea, summary')) {
    if (el.type === 'hidden' || el.closest('#diagram')) continue;  // #diagram: bpmn-js' own canvas
    const target = el.matches('input[type=checkbox], input[type=radio]') ? (el.closest('label') || el) : el;
    if (!shown(target)) continue;
    const height = target.getBoundingClientRect().height;
    const label = (target.textContent || target.name || '').trim().slice(0, 40);
    if (height < 44) small.push(`${target.tagName} "${label}" ${Math.round(height)}px`);
  }
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth, small};
}"""


@pytest.fixture
def shots(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[Page, str], Path]:
    """Full-page screenshots under tests/browser/screenshots/phone/ (gitignored), or $SOPFLOW_SCREENSHOTS."""
    root = Path(os.environ["SOPFLOW_SCREENSHOTS"]) if os.environ.get("SOPFLOW_SCREENSHOTS") else HERE / "screenshots"
    folder = root / "phone"
    folder.mkdir(parents=True, exist_ok=True)

    def take(target: Page, name: str) -> Path:
        path = folder / f"{request.node.name.replace('[', '-').rstrip(']')}-{name}.png"
        target.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def world(live_server: LiveServer) -> dict[str, Any]:
    """Two Dinas Kesehatan items at step 2: one past its time standard, one (a 300-character word) still in time."""
    (late,) = start_items(live_server.ctx, plan_item(TITLE, DINKES))
    live_server.clock.advance(timedelta(hours=2))
    (long,) = start_items(live_server.ctx, plan_item(LONG_TITLE, DINKES))
    return {"late": late, "long": long, "task": open_task(live_server.ctx, late.id).id,
            "long_task": open_task(live_server.ctx, long.id).id}


@pytest.fixture(params=sorted(VIEWPORTS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def assert_fits(page: Page, width: str) -> None:
    """No sideways scrolling; on the phone every visible tap target is at least 44 px high."""
    measured = page.evaluate(MEASURE)
    assert measured["scrollWidth"] <= measured["innerWidth"], f"{page.url} is {measured['scrollWidth']} px wide"
    if width == "phone":
        assert measured["small"] == [], f"{page.url}: tap targets under 44 px: {measured['small']}"


def test_every_staff_page_fits_the_screen_with_thumb_sized_targets(
    visit: Visit, world: dict[str, Any], width: str, shots: Callable[[Page, str], Path]
) -> None:
    pages = {
        "kotak-masuk": "/tasks",
        "langkah-2": f"/tasks/{world['task']}",
        "item": f"/instances/{world['late'].id}",
        "publikasi": "/instances",
        "notifikasi": "/notifications",
        "pengaturan-notifikasi": "/notifications/settings",
    }
    for name, path in pages.items():
        page = visit("pembantu.dinkes", path)
        expect(page.locator("h1")).to_be_visible()
        assert_fits(page, width)
        shots(page, name)
    utama = visit("ppid.utama", f"/instances/{world['late'].id}")  # the cancel form and its dialog
    assert_fits(utama, width)
    page.locator("form[action='/logout'] button").first.evaluate("button => button.form.submit()")
    expect(page.get_by_label("Nama pengguna")).to_be_visible()
    assert_fits(page, width)
    shots(page, "masuk")


def test_the_header_folds_behind_a_menu_button_on_the_phone_only(
    visit: Visit, world: dict[str, Any], width: str, shots: Callable[[Page, str], Path]
) -> None:
    page = visit("pembantu.dinkes", "/tasks")
    toggle, inbox_link = page.locator("#menu-toggle"), page.locator("#site-menu nav a", has_text="Kotak masuk")
    header = page.locator("#topbar").bounding_box()
    assert header is not None
    if width == "desktop":
        expect(toggle).to_be_hidden()
        expect(inbox_link).to_be_visible()
        assert header["height"] < 80  # one line, as today
        return
    expect(inbox_link).to_be_hidden()
    assert header["height"] < 70
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(inbox_link).to_be_visible()
    expect(page.get_by_role("button", name="Keluar")).to_be_visible()
    assert_fits(page, width)
    shots(page, "menu-terbuka")
    page.locator("#site-menu nav a", has_text="Instans proses").click()
    expect(page.locator("h1")).to_have_text("Instans proses")


def test_the_inbox_is_a_card_per_task_on_the_phone(
    visit: Visit, world: dict[str, Any], width: str
) -> None:
    page = visit("pembantu.dinkes", "/tasks")
    late = page.locator("#inbox tbody tr", has_text=TITLE)
    expect(late).to_have_count(1)
    expect(late.get_by_role("link", name="Buka")).to_have_count(1)
    expect(late.locator('[data-overdue="1"]')).to_be_visible()
    expect(page.locator("#inbox tbody tr", has_text=LONG_TITLE[:40]).locator(".badge-ok")).to_be_visible()
    card = late.evaluate("""row => ({display: getComputedStyle(row).display,
        head: getComputedStyle(row.closest('table').tHead).display,
        text: [...row.cells].filter(cell => cell.offsetParent).sort((a, b) => a.getBoundingClientRect().top
              - b.getBoundingClientRect().top).map(cell => cell.innerText).join('\\n'),
        width: row.getBoundingClientRect().width, open: row.querySelector('a.btn').getBoundingClientRect().width})""")
    if width == "desktop":
        assert card["display"] == "table-row" and card["head"] != "none"
        return
    assert card["display"] == "flex" and card["head"] == "none"
    lines = [line.strip() for line in card["text"].splitlines() if line.strip()]
    assert lines[0] == TITLE and lines[1].startswith("2 ") and DINKES in lines and lines[-1] == "Buka"
    assert any(line.startswith("Terlambat") for line in lines)
    assert card["width"] <= 390 and card["open"] > 300  # the open button spans the card


def test_a_pembantu_completes_step_2_with_a_file_on_the_phone(
    visit: Visit, live_server: LiveServer, world: dict[str, Any], width: str, tmp_path: Path,
    shots: Callable[[Page, str], Path]
) -> None:
    pdf = tmp_path / "sk-kepala-dinas.pdf"
    pdf.write_bytes(pdf_bytes())
    page = visit("pembantu.dinkes", "/tasks")
    page.locator("#inbox tbody tr", has_text=TITLE).get_by_role("link", name="Buka").click()
    expect(page.locator("h1")).to_contain_text("Langkah 2")
    for name in ("ringkasan", "pejabat_penguasa", "penanggung_jawab", "waktu_tempat_pembuatan",
                 "jangka_waktu_penyimpanan"):
        page.locator(f'[name="{name}"]').fill(flow.STEP_2[name])
    page.get_by_label("Softcopy dan hardcopy").check()
    page.locator('#step-files input[type="file"]').set_input_files(str(pdf))
    labels = page.evaluate("""() => [...document.querySelectorAll('#step-form label')].filter(l => l.offsetParent)
        .map(l => { const input = l.querySelector('input:not([type=checkbox]):not([type=radio]), textarea, select');
                    return input ? input.getBoundingClientRect().top - l.getBoundingClientRect().top : 0; })""")
    assert labels and min(labels) >= 0  # each label sits above its input
    assert_fits(page, width)
    shots(page, "langkah-2-terisi")
    page.locator("#complete").click()
    expect(page.locator(".flash-success")).to_contain_text("Langkah 2 selesai")
    assert_fits(page, width)
    item = visit("pembantu.dinkes", f"/instances/{world['late'].id}")
    expect(item.locator("#attachments")).to_contain_text("sk-kepala-dinas.pdf")
    expect(item.locator("#timeline")).to_contain_text("Berkas dilampirkan")


def test_a_300_character_word_never_widens_a_page(
    visit: Visit, world: dict[str, Any], width: str, shots: Callable[[Page, str], Path]
) -> None:
    long_item: Instance = world["long"]
    for name, path in (("kotak-masuk", "/tasks"), ("langkah", f"/tasks/{world['long_task']}"),
                       ("item", f"/instances/{long_item.id}"), ("daftar", f"/instances?q={LONG_TITLE[:30]}")):
        page = visit("pembantu.dinkes", path)
        expect(page.get_by_text(LONG_TITLE[:150], exact=False).first).to_be_attached()
        measured = page.evaluate(MEASURE)
        assert measured["scrollWidth"] <= measured["innerWidth"], f"{name} is {measured['scrollWidth']} px wide"
        shots(page, f"judul-panjang-{name}")


def test_cancelling_asks_first_and_no_keeps_the_item_running(
    visit: Visit, live_server: LiveServer, world: dict[str, Any], width: str, shots: Callable[[Page, str], Path]
) -> None:
    item: Instance = world["late"]
    page = visit("ppid.utama", f"/instances/{item.id}")
    page.get_by_role("button", name="Batalkan instans ini").click()
    expect(page.locator('[data-field="reason"] .field-error')).to_have_text("Pembatalan memerlukan alasan.")
    page.locator('#cancel-form [name="reason"]').fill("Dokumen ditarik OPD.")
    page.get_by_role("button", name="Batalkan instans ini").click()
    dialog = page.locator("#confirm-cancel")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Batalkan instans #{item.id}?")
    expect(dialog).to_contain_text("Dokumen ditarik OPD.")
    assert_fits(page, width)
    shots(page, "konfirmasi-batal")
    dialog.get_by_role("button", name="Tidak, biarkan").click()
    expect(dialog).to_be_hidden()
    assert instance_status(live_server, item.id) == "running"
    page.get_by_role("button", name="Batalkan instans ini").click()
    dialog.get_by_role("button", name="Ya, batalkan").click()
    expect(page.locator(".flash-success")).to_contain_text("dibatalkan")
    assert instance_status(live_server, item.id) == "cancelled"


def test_an_empty_comment_is_answered_beside_the_field_and_the_language_switch_stays_on_the_item(
    visit: Visit, world: dict[str, Any], width: str, shots: Callable[[Page, str], Path]
) -> None:
    item: Instance = world["late"]
    page = visit("pembantu.dinkes", f"/instances/{item.id}")
    page.get_by_role("button", name="Kirim").click()
    expect(page.locator('[data-field="body"] .field-error')).to_have_text("Komentar tidak boleh kosong.")
    expect(page.locator("h1")).to_contain_text(TITLE)
    assert_fits(page, width)
    shots(page, "komentar-kosong")
    if width == "phone":
        page.locator("#menu-toggle").click()
    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(f"{page.url.split('/instances')[0]}/instances/{item.id}")
    expect(page.locator("#comments h2")).to_have_text("Comments")


def instance_status(server: LiveServer, instance_id: int) -> str:
    with server.ctx.db.session() as session:
        found = session.get(Instance, instance_id)
        assert found is not None
        return found.status
