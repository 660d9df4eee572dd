"""In a real Chromium, the modeler as a Kasubbag uses it: a time standard typed in words moves the step's timer,
form fields edited as a table, problems marked on their element, Indonesian palette and panel, and a palette
that never covers the diagram (1366 px) nor overflows a phone (390 px)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.diagrams import drafts
from tests.browser.conftest import LiveServer

PROCESS = "ppid_publikasi_item"
SHOTS = Path(__file__).parent / "screenshots" / "modeler"


def _modeler(sign_in: Callable[[str], Page], live_server: LiveServer, width: int) -> Page:
    page = sign_in("pemilik.proses")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/modeler/{PROCESS}")
    return page


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _saved_draft(page: Page, live_server: LiveServer) -> str:
    page.evaluate("document.getElementById('modeler-status').textContent = ''")  # an earlier save's line
    page.click("#save-draft")
    expect(page.locator("#modeler-status")).to_have_text("Draf tersimpan.")
    return drafts.open_diagram(live_server.ctx, PROCESS).xml


def test_a_time_standard_in_words_moves_the_timer_and_refuses_seconds_with_one_message(
        sign_in: Callable[[str], Page], live_server: LiveServer) -> None:
    page = _modeler(sign_in, live_server, 1366)
    page.click(".djs-element[data-element-id=Task_3_Verifikasi]")
    field = page.locator("input[name=sopflow-standar_waktu]")
    expect(field).to_have_value("1 jam")
    field.fill("1 jam 30 menit")
    field.press("Tab")
    expect(field).to_have_value("1 jam 30 menit")
    xml = _saved_draft(page, live_server)
    task = re.search(r'<bpmn:userTask id="Task_3_Verifikasi".*?</bpmn:userTask>', xml, re.S)
    assert task and '<spiffworkflow:property name="standar_waktu" value="PT1H30M" />' in task.group(0)
    timer = re.search(r'<bpmn:boundaryEvent id="Timer_Task_3_Verifikasi".*?</bpmn:boundaryEvent>', xml, re.S)
    assert timer and '"PT1H30M"</bpmn:timeDuration>' in timer.group(0)
    assert 'name="Melewati standar waktu"' in timer.group(0)

    field.fill("45 detik")
    field.press("Tab")
    errors = page.locator("[data-entry-id=sopflow-standar_waktu] .bio-properties-panel-error")
    expect(errors).to_have_count(1)
    expect(errors).to_have_text('"detik" bukan satuan waktu: gunakan menit, jam, atau hari.')
    _shot(page, "time_standard_error_1366")
    page.click("#validate")
    expect(page.locator("#modeler-status")).to_have_text("Tidak ada masalah: diagram dapat diterapkan.")
    expect(page.locator("#problems li")).to_have_count(0)
    assert "PT1H30M" in drafts.open_diagram(live_server.ctx, PROCESS).xml


def test_working_days_typed_in_the_panel_are_kept_as_working_days_and_dropped_again(
        sign_in: Callable[[str], Page], live_server: LiveServer) -> None:
    page = _modeler(sign_in, live_server, 1366)
    page.click(".djs-element[data-element-id=Task_3_Verifikasi]")
    field = page.locator("input[name=sopflow-standar_waktu]")
    field.fill("10 hari kerja")
    field.press("Tab")
    expect(field).to_have_value("10 hari kerja")
    task = re.search(r'<bpmn:userTask id="Task_3_Verifikasi".*?</bpmn:userTask>', _saved_draft(page, live_server),
                     re.S)
    assert task and 'name="standar_waktu" value="P10D"' in task.group(0)
    assert 'name="hitungan_waktu" value="hari_kerja"' in task.group(0)
    field.fill("2 jam")
    field.press("Tab")
    expect(field).to_have_value("2 jam")
    task = re.search(r'<bpmn:userTask id="Task_3_Verifikasi".*?</bpmn:userTask>', _saved_draft(page, live_server),
                     re.S)
    assert task and "hitungan_waktu" not in task.group(0) and 'value="PT2H"' in task.group(0)


def test_the_panel_offers_what_the_registry_declares_on_flows_and_steps(
        sign_in: Callable[[str], Page], live_server: LiveServer) -> None:
    page = _modeler(sign_in, live_server, 1366)
    flow = page.locator(".djs-element[data-element-id=Flow_Dikembalikan]")
    box = flow.bounding_box()
    assert box is not None  # its middle segment runs at 360 of 185..435 in the diagram
    flow.click(position={"x": box["width"] / 2, "y": box["height"] * 0.7}, force=True)
    loop = page.locator("select[name=sopflow-putaran_ulang]")
    expect(loop).to_have_value("ya")
    expect(page.locator("[data-entry-id=sopflow-putaran_ulang] label")).to_have_text(
        "Mengembalikan ke langkah sebelumnya")
    loop.select_option("")
    xml = _saved_draft(page, live_server)
    flow_xml = re.search(r'<bpmn:sequenceFlow id="Flow_Dikembalikan".*?</bpmn:sequenceFlow>', xml, re.S)
    assert flow_xml and "putaran_ulang" not in flow_xml.group(0)
    page.click(".djs-element[data-element-id=Task_6_Pastikan_Tayang]")
    expect(page.locator("input[name=sopflow-periksa_tautan]")).to_have_value("tautan_publik")
    marker = page.locator("select[name=sopflow-penanda]")
    expect(marker.locator("option")).to_have_text(["—", "Evaluasi bulanan"])
    _shot(page, "registry_entries_1366")


def test_a_form_field_added_in_the_table_is_saved_in_the_diagram_format(
        sign_in: Callable[[str], Page], live_server: LiveServer) -> None:
    page = _modeler(sign_in, live_server, 1366)
    page.click(".djs-element[data-element-id=Task_4_Unggah]")
    fields = page.locator(".sopflow-fields .sopflow-field[data-field]")
    expect(fields).to_have_count(2)
    page.get_by_role("button", name="Tambah isian").click()
    expect(fields).to_have_count(3)
    new_label = fields.nth(2).locator("input[name=field-label]")
    expect(new_label).to_have_value("Isian baru 3")
    new_label.fill("Nomor surat")
    new_label.press("Tab")
    row = page.locator(".sopflow-field[data-field=nomor_surat]")
    expect(row.locator("input[name=field-name]")).to_have_value("nomor_surat")
    expect(row.locator("select[name=field-type]")).to_have_value("text")
    expect(row.locator("select[name=field-required] option:checked")).to_have_text("Wajib")
    expect(page.locator(".sopflow-fields")).not_to_contain_text("|")
    _shot(page, "form_fields_1366")
    row.locator("button.field-up").click()
    expect(fields.nth(1)).to_have_attribute("data-field", "nomor_surat")
    xml = _saved_draft(page, live_server)
    assert '<spiffworkflow:property name="form.nomor_surat" value="text|required|Nomor surat" />' in xml
    assert xml.index("form.nomor_surat") < xml.index("form.catatan_unggah")


def test_a_problem_is_marked_on_its_element_and_the_list_entry_selects_it(
        sign_in: Callable[[str], Page], live_server: LiveServer) -> None:
    page = _modeler(sign_in, live_server, 1366)
    page.click(".djs-element[data-element-id=Timer_Task_3_Verifikasi]")
    page.locator("#properties").get_by_text("Pengatur waktu", exact=True).click()
    page.locator("input[name=timerEventDefinitionValue]").fill('"PT2H"')
    page.click("#validate")
    expect(page.locator("#modeler-status")).to_have_text("Ada masalah: perbaiki elemen yang ditandai.")
    entries = page.locator('#problems li[data-element="Timer_Task_3_Verifikasi"]')
    expect(entries).to_have_count(1)
    expect(page.locator(".djs-element.has-problem[data-element-id=Timer_Task_3_Verifikasi]")).to_have_count(1)
    expect(page.locator('.problem-badge[data-element="Timer_Task_3_Verifikasi"]')).to_be_visible()
    page.click(".djs-element[data-element-id=Task_4_Unggah]")
    entries.click()
    expect(page.locator(".djs-element.selected[data-element-id=Timer_Task_3_Verifikasi]")).to_have_count(1)
    _shot(page, "problem_marker_1366")


def test_palette_context_pad_and_panel_speak_indonesian_and_the_palette_covers_no_shape(
        sign_in: Callable[[str], Page], live_server: LiveServer) -> None:
    page = _modeler(sign_in, live_server, 1366)
    palette = page.locator(".djs-palette")
    for title in ("Buat langkah", "Buat awal proses", "Buat akhir proses", "Buat percabangan", "Alat sambung"):
        expect(palette.locator(f'.entry[aria-label="{title}"]')).to_have_count(1)
    page.click(".djs-element[data-element-id=Task_4_Unggah]")
    panel = page.locator("#properties")
    expect(panel.locator(".bio-properties-panel-header-type")).to_have_text("Langkah oleh petugas")
    panel.get_by_text("Umum", exact=True).click()
    for text in ("Umum", "Nama", "Kode elemen", "Dokumentasi", "Isian formulir", "Standar waktu"):
        expect(panel.get_by_text(text, exact=True).first).to_be_visible()
    titles = set(panel.evaluate("p => [...p.querySelectorAll('[title]')].map(e => e.title)"))
    assert {"Buka/tutup bagian", "Bagian ini berisi perubahan"} <= titles, titles  # the tooltips too
    assert not titles & {"Toggle section", "Section contains edits"}, titles
    pad = page.locator(".djs-context-pad")
    expect(pad.locator('.entry[title="Tambah langkah berikutnya"]')).to_have_count(1)
    expect(pad.locator('.entry[title="Hapus"]')).to_have_count(1)
    pad.locator('.entry[title="Ubah jenis"]').click()
    expect(page.locator(".djs-popup")).to_contain_text("Langkah otomatis")
    page.keyboard.press("Escape")
    _shot(page, "indonesian_1366")

    box = palette.bounding_box()
    assert box is not None
    shapes = page.locator(".djs-shape:not([data-element-id^=Lane]):not([data-element-id^=Participant])")
    assert shapes.count() > 10
    for shape in shapes.all():
        other = shape.bounding_box()
        assert other is not None
        overlaps = (box["x"] < other["x"] + other["width"] and other["x"] < box["x"] + box["width"]
                    and box["y"] < other["y"] + other["height"] and other["y"] < box["y"] + box["height"])
        assert not overlaps, shape.get_attribute("data-element-id")


@pytest.mark.parametrize("width", [390])
def test_on_a_phone_the_modeler_asks_for_a_wider_screen_without_overflowing(
        sign_in: Callable[[str], Page], live_server: LiveServer, width: int) -> None:
    page = _modeler(sign_in, live_server, width)
    expect(page.locator("#modeler-narrow")).to_be_visible()
    expect(page.locator("#modeler-narrow")).to_contain_text("layar yang lebih lebar")
    expect(page.locator("#modeler-status")).to_be_empty()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, "phone_390")


def test_a_new_step_gets_its_timer_and_breach_path_in_one_undoable_step(
        sign_in: Callable[[str], Page], live_server: LiveServer) -> None:
    page = _modeler(sign_in, live_server, 1366)
    canvas = page.locator("#canvas").bounding_box()
    assert canvas is not None
    page.click('.djs-palette .entry[aria-label="Buat langkah"]')
    page.mouse.click(canvas["x"] + 150, canvas["y"] + 50)
    page.keyboard.type("Mencatat nomor surat")
    page.mouse.click(canvas["x"] + 400, canvas["y"] + 600)
    page.locator(".djs-shape", has_text="Mencatat nomor surat").locator(".djs-hit").click()
    page.locator('.djs-context-pad .entry[title="Ubah jenis"]').click()
    page.locator(".djs-popup").get_by_text("Langkah oleh petugas", exact=True).click()
    field = page.locator("input[name=sopflow-standar_waktu]")
    field.fill("45 menit")
    field.press("Tab")
    expect(page.locator(".djs-element.djs-shape", has_text="Catat pelanggaran standar waktu")).to_have_count(6)
    breach_paths = page.locator(".djs-element.djs-shape", has_text="Catat pelanggaran standar waktu")
    page.mouse.click(canvas["x"] + 400, canvas["y"] + 500)
    page.keyboard.press("Control+z")
    expect(breach_paths).to_have_count(5)
    expect(page.locator(".djs-element.djs-shape", has_text="Mencatat nomor surat")).to_have_count(1)
    page.keyboard.press("Control+y")
    expect(breach_paths).to_have_count(6)
    _shot(page, "new_step_timer_1366")
    xml = _saved_draft(page, live_server)
    task_id = re.findall(r'<bpmn:userTask id="(\w+)"', xml)[-1]
    timer = re.search(rf'<bpmn:boundaryEvent id="\w+" name="Melewati standar waktu" '
                      rf'cancelActivity="false" attachedToRef="{task_id}">.*?</bpmn:boundaryEvent>', xml, re.S)
    assert timer and '"PT45M"</bpmn:timeDuration>' in timer.group(0)
    assert xml.count('<spiffworkflow:serviceTaskOperator id="breach_handler"') == 6
    assert xml.count('name="Pelanggaran tercatat"') == 6
