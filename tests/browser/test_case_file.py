"""The case file in a real browser at desktop and phone width: the verifier sees step 2's values with their
labels, a Belum sesuai round is kept collapsed with its reasons, step 5 follows the step-4 address; an upload
keeps what was typed and a removed file stays, struck through, with its reason."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import HERE, LiveServer
from tests.engine import flow
from tests.webapp.pages import pdf_bytes

TITLE = "Laporan keuangan semester I"
REASONS = "Lampiran SK belum ada; ringkasan terlalu umum."
ADDRESS = "https://ppid.tanjabtimkab.go.id/informasi/laporan-keuangan-semester-i-dinas-kesehatan-2026"
SignIn = Callable[[str], Page]


def as_user(sign_in: SignIn, username: str, width: int) -> Page:
    page = sign_in(username)
    page.set_viewport_size({"width": width, "height": 900})
    return page


def open_step(page: Page, server: LiveServer, step: str) -> None:
    page.goto(f"{server.url}/tasks")
    page.locator(f'#inbox tr[data-step="{step}"]', has_text=TITLE).get_by_role("link", name="Buka").click()
    expect(page.locator("h1")).to_contain_text(f"Langkah {step}")


def complete_step(page: Page, server: LiveServer, step: str) -> None:
    page.locator("#complete").click()
    expect(page.locator(".flash-success")).to_contain_text(f"Langkah {step} selesai")
    server.clock.advance(timedelta(minutes=5))


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1366, 390])
def test_each_step_reads_the_case_file_and_files_never_lose_the_form(
    live_server: LiveServer, sign_in: SignIn, tmp_path: Path, width: int
) -> None:
    utama = as_user(sign_in, "ppid.utama", width)
    utama.goto(f"{live_server.url}/instances")
    utama.locator("#start-ppid_publikasi").click()
    utama.locator('[name="rencana_unggahan-0-judul"]').fill(TITLE)
    utama.locator('[name="rencana_unggahan-0-kelas_dip"]').select_option("berkala")
    utama.locator('[name="rencana_unggahan-0-opd"]').select_option("Dinas Kesehatan")
    utama.locator('[name="rencana_unggahan-0-tanggal_target"]').fill("2026-11-30")
    utama.locator('[name="arahan_kerja"]').fill("Unggah sebelum akhir bulan.")
    complete_step(utama, live_server, "1")

    # Step 2: the plan row and the arahan kerja above the form; an upload keeps what was typed.
    pembantu = as_user(sign_in, "pembantu.dinkes", width)
    open_step(pembantu, live_server, "2")
    case = pembantu.locator("#case-file")
    expect(case).to_contain_text("Unggah sebelum akhir bulan.")
    expect(case).to_contain_text(TITLE)
    expect(case).to_contain_text("Berkala")
    pembantu.locator('[name="pejabat_penguasa"]').fill("Sekretaris Dinas")
    pembantu.locator('[name="bentuk_informasi"][value="softcopy_dan_hardcopy"]').check()
    wrong = tmp_path / "salah.pdf"
    wrong.write_bytes(pdf_bytes())
    pembantu.locator('#step-form input[type="file"]').set_input_files(str(wrong))
    pembantu.locator("#upload").click()
    expect(pembantu.locator(".flash-success")).to_contain_text("Lampiran")
    expect(pembantu.locator('[name="pejabat_penguasa"]')).to_have_value("Sekretaris Dinas")
    expect(pembantu.locator('[name="bentuk_informasi"][value="softcopy_dan_hardcopy"]')).to_be_checked()
    attached = pembantu.locator("#attachments li", has_text="salah.pdf")
    attached.get_by_label("Alasan menghapus").fill("Salah berkas, bukan laporan.")
    attached.get_by_role("button", name="Hapus").click()
    removed = pembantu.locator("#attachments li.removed")
    expect(removed.locator("s")).to_have_text("salah.pdf")
    expect(removed).to_contain_text("Salah berkas, bukan laporan.")
    for name in ("ringkasan", "pejabat_penguasa", "penanggung_jawab", "waktu_tempat_pembuatan",
                 "jangka_waktu_penyimpanan"):
        pembantu.locator(f'[name="{name}"]').fill(flow.STEP_2[name])
    pembantu.locator('[name="bentuk_informasi"][value="softcopy_dan_hardcopy"]').check()
    complete_step(pembantu, live_server, "2")

    # Step 3: the verifier reads step 2 with the diagram's labels, never the codes.
    plid = as_user(sign_in, "plid.utama", width)
    open_step(plid, live_server, "3")
    step_2 = plid.locator('#case-file article[data-step="2"]')
    expect(step_2).to_contain_text("Bentuk informasi yang tersedia")
    expect(step_2).to_contain_text("Softcopy dan hardcopy")
    expect(step_2).to_contain_text(flow.STEP_2["pejabat_penguasa"])
    expect(step_2).not_to_contain_text("softcopy_dan_hardcopy")
    expect(plid.locator("#case-file")).to_contain_text("salah.pdf")
    no_sideways_scroll(plid)
    shots = HERE / "screenshots"
    shots.mkdir(exist_ok=True)
    plid.screenshot(path=str(shots / f"case-file-step-3-{width}.png"), full_page=True)
    plid.locator('[name="hasil_verifikasi"][value="belum_sesuai"]').check()
    plid.locator('[name="alasan_verifikasi"]').fill(REASONS)
    complete_step(plid, live_server, "3")

    # Step 2, round 2: the reasons are shown; round 1 is collapsed and keeps them.
    open_step(pembantu, live_server, "2")
    expect(pembantu.locator("#returned-reasons")).to_contain_text(REASONS)
    first_round = pembantu.locator('#case-file details[data-round="1"]')
    expect(first_round).not_to_have_attribute("open", "")
    expect(first_round.locator("summary")).to_contain_text("Belum sesuai")
    first_round.locator("summary").click()
    expect(first_round).to_contain_text(REASONS)
    no_sideways_scroll(pembantu)
    complete_step(pembantu, live_server, "2")

    # Step 3 again: no decision or reason carried over from round 1.
    open_step(plid, live_server, "3")
    expect(plid.locator('[name="hasil_verifikasi"]:checked')).to_have_count(0)
    expect(plid.locator('[name="alasan_verifikasi"]')).to_have_value("")
    plid.locator('[name="hasil_verifikasi"][value="sesuai"]').check()
    for box in ("cek_lengkap", "cek_akurat", "cek_klasifikasi", "cek_tidak_dikecualikan", "cek_layak_web"):
        plid.locator(f'[name="{box}"]').check()
    complete_step(plid, live_server, "3")
    open_step(plid, live_server, "4")
    plid.locator('[name="tautan_unggahan"]').fill(ADDRESS)
    complete_step(plid, live_server, "4")

    # Step 5: the step-4 address is a link, the verification reads "Sesuai", the Sesuai round has no reason.
    open_step(utama, live_server, "5")
    current = utama.locator("#case-file .case-current")
    expect(current.get_by_role("link", name=ADDRESS)).to_have_attribute("href", ADDRESS)
    verified = current.locator('article[data-step="3"]')
    expect(verified.locator('[data-field="hasil_verifikasi"]')).to_have_text("Sesuai")
    expect(verified).not_to_contain_text("Alasan belum sesuai")
    no_sideways_scroll(utama)
    utama.screenshot(path=str(tmp_path / f"step-5-{width}.png"), full_page=True)

    # A page the viewer may not act on has no inputs and says why.
    pembantu.go_back()
    pembantu.reload()
    expect(pembantu.locator("#read-only")).to_contain_text("Tugas ini sudah selesai")
    expect(pembantu.locator("#step-card input, #step-card textarea, #step-card select")).to_have_count(0)
