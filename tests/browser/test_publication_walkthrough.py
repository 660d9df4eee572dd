"""One publication from step 1 to step 6 in a real browser, as the demo users of the three lanes, in the
Indonesian interface: one Belum sesuai loop, one PDF attached, the paraf, the address checked by the server,
the diagram marked on the instance page. And the overdue badge once the clock passes a time standard."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from engine.store import Event, Instance
from tests.browser.conftest import LiveServer
from tests.engine import flow
from tests.webapp.pages import pdf_bytes

TITLE = "Laporan keuangan semester I"
REASONS = "Lampiran SK belum ada; ringkasan terlalu umum."
SignIn = Callable[[str], Page]
Shot = Callable[[Page, str], Path]


def open_from_inbox(page: Page, server: LiveServer, step: str) -> None:
    """Go to the inbox and open the task of the item at the given step."""
    page.goto(f"{server.url}/tasks")
    row = page.locator(f'#inbox tr[data-step="{step}"]', has_text=TITLE)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Buka").click()
    expect(page.locator("h1")).to_contain_text(f"Langkah {step}")


def complete_step(page: Page, server: LiveServer, step: str) -> None:
    """Complete the open form; then ten minutes pass before the next person looks."""
    page.locator("#complete").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Langkah {step} selesai")
    server.clock.advance(timedelta(minutes=10))


def diagram_marks(page: Page) -> dict[str, str]:
    """Element id -> mark class, read from the SVG that bpmn-js drew."""
    expect(page.locator('#diagram[data-ready="1"] svg').first).to_be_visible()
    marks: dict[str, str] = page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('#diagram .djs-element[class*="mark-"]')].map(el => [
            el.dataset.elementId, [...el.classList].find(c => c.startsWith('mark-'))]))""")
    return marks


def test_a_publication_goes_from_plan_to_public_page_through_the_three_lanes(
    live_server: LiveServer, sign_in: SignIn, screenshot: Shot, site: str, tmp_path: Path
) -> None:
    # Step 1, PPID Utama: a plan of one item.
    utama = sign_in("ppid.utama")
    utama.goto(f"{live_server.url}/instances")
    utama.locator("#start-ppid_publikasi").click()
    expect(utama.locator("h1")).to_contain_text("Langkah 1")
    utama.locator('[name="rencana_unggahan-0-judul"]').fill(TITLE)
    utama.locator('[name="rencana_unggahan-0-ringkasan"]').fill("Realisasi anggaran semester I.")
    utama.locator('[name="rencana_unggahan-0-kelas_dip"]').select_option("berkala")
    utama.locator('[name="rencana_unggahan-0-opd"]').select_option("Dinas Kesehatan")
    utama.locator('[name="rencana_unggahan-0-tanggal_target"]').fill("2026-11-30")
    utama.locator('[name="arahan_kerja"]').fill("Unggah sebelum akhir bulan.")
    utama.get_by_role("button", name="Tambah baris").click()
    expect(utama.locator('[data-items="rencana_unggahan"] tbody tr')).to_have_count(4)
    expect(utama.locator('[name="rencana_unggahan-3-judul"]')).to_have_value("")
    screenshot(utama, "01-langkah-1-rencana")
    complete_step(utama, live_server, "1")

    # Step 2, PPID Pembantu (Dinas Kesehatan): a PDF attached, then the DIP entry.
    pembantu = sign_in("pembantu.dinkes")
    open_from_inbox(pembantu, live_server, "2")
    pdf = tmp_path / "laporan-keuangan.pdf"
    pdf.write_bytes(pdf_bytes())
    pembantu.locator('input[type="file"]').set_input_files(str(pdf))
    pembantu.locator("#upload").click()
    expect(pembantu.locator(".flash-success")).to_contain_text("Lampiran")
    expect(pembantu.locator("#attachments")).to_contain_text("laporan-keuangan.pdf")
    expect(pembantu.locator('[name="kelas_dip"][value="berkala"]')).to_be_checked()
    fill_step_2(pembantu)
    screenshot(pembantu, "02-langkah-2-data-dan-lampiran")
    complete_step(pembantu, live_server, "2")

    # Step 3, PLID Utama: Belum sesuai, with reasons.
    plid = sign_in("plid.utama")
    open_from_inbox(plid, live_server, "3")
    plid.locator('[name="hasil_verifikasi"][value="belum_sesuai"]').check()
    plid.locator("#complete").click()
    expect(plid.locator('[data-field="alasan_verifikasi"] .field-error')).to_have_text("wajib diisi")
    plid.locator('[name="alasan_verifikasi"]').fill(REASONS)
    screenshot(plid, "03-langkah-3-belum-sesuai")
    complete_step(plid, live_server, "3")

    # Back at step 2: the reasons are shown to the pembantu, the earlier entry is kept.
    open_from_inbox(pembantu, live_server, "2")
    returned = pembantu.locator("#returned-reasons")
    expect(returned).to_contain_text("Dikembalikan di langkah 3 (Hasil verifikasi? Belum sesuai) "
                                     "Alasan belum sesuai:")
    expect(returned).to_contain_text(REASONS)
    expect(pembantu.locator('[name="pejabat_penguasa"]')).to_have_value(flow.STEP_2["pejabat_penguasa"])
    pembantu.locator('[name="ringkasan"]').fill("Realisasi anggaran semester I per program, dengan SK terlampir.")
    screenshot(pembantu, "04-langkah-2-dikembalikan")
    complete_step(pembantu, live_server, "2")
    pembantu.goto(f"{live_server.url}/notifications")
    expect(pembantu.locator("#notifications")).to_contain_text("Dikembalikan: langkah 2")

    # Step 3 again: Sesuai, every box ticked. The instance page marks steps 2 done and 3 active meanwhile.
    open_from_inbox(plid, live_server, "3")
    item_link = plid.get_by_role("link", name=re.compile(r"Instans #\d+"))
    item_id = int(re.findall(r"\d+", item_link.inner_text())[0])
    plid.goto(f"{live_server.url}/instances/{item_id}")
    marks = diagram_marks(plid)
    assert marks["Task_2_Siapkan_Data"] == "mark-done" and marks["Task_3_Verifikasi"] == "mark-active"
    screenshot(plid, "05-halaman-item-di-langkah-3")
    open_from_inbox(plid, live_server, "3")
    plid.locator('[name="hasil_verifikasi"][value="sesuai"]').check()
    for box in ("cek_lengkap", "cek_akurat", "cek_klasifikasi", "cek_tidak_dikecualikan", "cek_layak_web"):
        plid.locator(f'[name="{box}"]').check()
    screenshot(plid, "06-langkah-3-sesuai")
    complete_step(plid, live_server, "3")

    # Step 4, PLID Utama: the address of the uploaded page.
    open_from_inbox(plid, live_server, "4")
    plid.locator('[name="tautan_unggahan"]').fill(f"{site}/informasi/1")
    screenshot(plid, "07-langkah-4-unggah")
    complete_step(plid, live_server, "4")

    # Step 5, PPID Utama: approval with paraf (name and NIP).
    open_from_inbox(utama, live_server, "5")
    utama.locator('[name="keputusan_persetujuan"][value="disetujui"]').check()
    utama.locator('[name="paraf_nama"]').fill(flow.DISETUJUI["paraf_nama"])
    utama.locator('[name="paraf_nip"]').fill("1980112220060410")
    utama.locator("#complete").click()
    expect(utama.locator('[data-field="paraf_nip"] .field-error')).to_have_text("harus berupa NIP 18 angka")
    utama.locator('[name="paraf_nip"]').fill(flow.DISETUJUI["paraf_nip"])
    screenshot(utama, "08-langkah-5-paraf")
    complete_step(utama, live_server, "5")

    # Step 6, PLID Utama: the server requests the address and shows the answer.
    open_from_inbox(plid, live_server, "6")
    plid.locator('[name="tautan_publik"]').fill(f"{site}/tidak-ada")
    plid.locator('[name="tanggal_tayang"]').fill("2026-11-23")
    plid.locator("#check-url").click()
    expect(plid.locator("#url-check-result")).to_contain_text("HTTP 404")
    plid.locator('[name="tautan_publik"]').fill(f"{site}/informasi/1")
    plid.locator("#check-url").click()
    expect(plid.locator("#url-check-result")).to_contain_text("Menjawab HTTP 200")
    expect(plid.locator('[name="tanggal_tayang"]')).to_have_value("2026-11-23")
    plid.locator('[name="dapat_diakses"][value="ya"]').check()
    screenshot(plid, "09-langkah-6-periksa-tautan")
    complete_step(plid, live_server, "6")

    # The item page: finished, every step done on the diagram, the attachment and its checksum listed.
    plid.goto(f"{live_server.url}/instances/{item_id}")
    expect(plid.locator("h1")).to_contain_text("selesai")
    marks = diagram_marks(plid)
    steps = ["Task_2_Siapkan_Data", "Task_3_Verifikasi", "Task_4_Unggah", "Task_5_Persetujuan",
             "Task_6_Pastikan_Tayang"]
    assert {step: marks.get(step) for step in steps} == dict.fromkeys(steps, "mark-done")
    assert "mark-active" not in marks.values()
    expect(plid.locator("#attachments")).to_contain_text("laporan-keuangan.pdf")
    expect(plid.locator('#timeline [data-event="attachment_added"]')).to_contain_text("Berkas dilampirkan")
    expect(plid.locator('#timeline [data-event="attachment_added"]')).to_contain_text("sha256")
    expect(plid.locator('#timeline [data-event="gateway_decision"]').first).to_contain_text("Belum sesuai")
    screenshot(plid, "10-halaman-item-selesai")

    with live_server.ctx.db.session() as session:
        item = session.get(Instance, item_id)
        checked = session.scalars(select(Event).where(Event.instance_id == item_id, Event.type == "task_completed")
                                  ).all()[-1]
    assert item is not None and item.status == "completed"
    assert checked.payload["data"]["pemeriksaan_tautan"]["status"] == 200
    assert checked.actor == "plid.utama"


def fill_step_2(page: Page) -> None:
    for name in ("ringkasan", "pejabat_penguasa", "penanggung_jawab", "waktu_tempat_pembuatan",
                 "jangka_waktu_penyimpanan"):
        page.locator(f'[name="{name}"]').fill(flow.STEP_2[name])
    page.locator('[name="bentuk_informasi"][value="softcopy_dan_hardcopy"]').check()


def test_a_task_past_its_time_standard_shows_the_overdue_badge_in_the_inbox_and_on_the_diagram(
    live_server: LiveServer, sign_in: SignIn, screenshot: Shot
) -> None:
    plan = flow.start_publication(live_server.ctx)
    utama = sign_in("ppid.utama")
    utama.goto(f"{live_server.url}/tasks")
    expect(utama.locator('#inbox [data-overdue="1"]')).to_have_count(0)
    expect(utama.locator("#inbox .badge-ok")).to_have_text("sisa 15 menit")

    live_server.clock.advance(timedelta(minutes=20))  # step 1 allows 15 minutes
    utama.reload()
    badge = utama.locator('#inbox tr[data-step="1"] [data-overdue="1"]')
    expect(badge).to_have_text("Terlambat 5 menit")
    expect(utama.locator("#count-overdue")).to_have_text("1")
    screenshot(utama, "01-kotak-masuk-terlambat")
    utama.goto(f"{live_server.url}/instances/{plan.id}")
    assert diagram_marks(utama) == {"Task_1_Arahan": "mark-overdue"}
    screenshot(utama, "02-diagram-terlambat")
