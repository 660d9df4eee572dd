"""The modeler pages: who may use them, drafts, validation marks, deploy with a note, import/export, versions,
migration with a dry run, and the SOP document as a page and as a PDF."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import ManualClock
from engine.context import EngineContext
from engine.diagrams import definitions
from engine.runtime import instances
from engine.store import Draft, Event
from tests.conftest import ROOT
from tests.webapp.conftest import csrf_token, login, post
from tests.webapp.pages import error_message, flash_messages, page, plan_item, snapshot, start_items, text_of

ITEM = (ROOT / "bpmn" / "ppid_publikasi_item.bpmn").read_text(encoding="utf-8")
IMPORTS = ROOT / "tests" / "fixtures" / "imports"
PROCESS = "ppid_publikasi_item"


def _faster(xml: str = ITEM, old: str = "PT60M", new: str = "PT45M") -> str:
    return xml.replace(f'name="standar_waktu" value="{old}"', f'name="standar_waktu" value="{new}"').replace(
        f'>"{old}"</bpmn:timeDuration>', f'>"{new}"</bpmn:timeDuration>')


def _editor_data(client: FlaskClient, process_id: str = PROCESS) -> dict:
    response = client.get(f"/modeler/{process_id}")
    assert response.status_code == 200, response.get_data(as_text=True)[:400]
    [script] = page(response).xpath('//script[@id="modeler-data"]')
    return json.loads(script.text)


def _json_post(client: FlaskClient, path: str, **fields: str) -> tuple[int, dict]:
    response = client.post(path, data=fields, headers={"X-CSRFToken": csrf_token(client, f"/modeler/{PROCESS}")})
    return response.status_code, response.get_json()


@pytest.mark.parametrize("username", ["ppid.utama", "plid.utama", "pembantu.dinkes", "auditor"])
def test_only_process_owners_and_admins_open_the_modeler(client: FlaskClient, username: str) -> None:
    login(client, username)
    assert client.get("/modeler/").status_code == 403
    assert client.get(f"/modeler/{PROCESS}").status_code == 403
    assert client.post(f"/modeler/{PROCESS}/deploy", data={"xml": ITEM, "note": "x"}).status_code in (400, 403)


@pytest.mark.parametrize("username", ["pemilik.proses", "admin"])
def test_the_modeler_opens_the_deployed_version(client: FlaskClient, username: str) -> None:
    login(client, username)
    listing = text_of(client.get("/modeler/"))
    assert "Pengolahan per item informasi publik" in listing and "Monitoring dan Evaluasi Pembaruan Konten" in listing
    data = _editor_data(client)
    assert data["xml"] == ITEM and data["problems"] == []
    assert data["urls"]["deploy"] == f"/modeler/{PROCESS}/deploy"


def test_a_saved_draft_is_what_the_modeler_opens_next_time(client: FlaskClient, engine_ctx: EngineContext) -> None:
    login(client, "pemilik.proses")
    status, answer = _json_post(client, f"/modeler/{PROCESS}/draft", xml=_faster())
    assert status == 200 and answer["saved_by"] == "pemilik.proses"
    data = _editor_data(client)
    assert "PT45M" in data["xml"]
    assert "Draf berdasarkan versi 1" in text_of(client.get(f"/modeler/{PROCESS}"))
    post(client, f"/modeler/{PROCESS}/draft/discard")
    assert _editor_data(client)["xml"] == ITEM
    with engine_ctx.db.session() as session:
        assert session.scalars(select(Draft)).all() == []


def test_validation_returns_each_problem_with_its_element(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    broken = ITEM.replace('name="standar_waktu" value="PT60M"', 'name="standar_waktu" value="PT45M"')
    status, answer = _json_post(client, f"/modeler/{PROCESS}/validate", xml=broken)
    assert status == 200
    [problem] = answer["problems"]
    assert problem["element_id"] == "Timer_Task_3_Verifikasi" and problem["rule"] == "timer-standard"
    assert "keduanya harus sama" in problem["message"]
    status, answer = _json_post(client, f"/modeler/{PROCESS}/validate", xml="")
    assert status == 400 and answer["error"]


def test_a_diagram_with_problems_is_not_deployed(client: FlaskClient, engine_ctx: EngineContext) -> None:
    login(client, "pemilik.proses")
    before = snapshot(engine_ctx)
    broken = ITEM.replace("<bpmn:flowNodeRef>Task_4_Unggah</bpmn:flowNodeRef>", "")
    status, answer = _json_post(client, f"/modeler/{PROCESS}/deploy", xml=broken, note="uji")
    assert status == 422 and [p["element_id"] for p in answer["problems"]] == ["Task_4_Unggah"]
    status, answer = _json_post(client, f"/modeler/{PROCESS}/deploy", xml=_faster(), note="")
    assert status == 422 and "Catatan versi" in answer["error"]
    assert snapshot(engine_ctx) == before


def test_deploy_makes_a_new_version_with_its_note(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    status, answer = _json_post(client, f"/modeler/{PROCESS}/deploy", xml=_faster(), note="Verifikasi 45 menit")
    assert status == 200 and answer["version"] == 2
    versions = text_of(client.get(f"/modeler/{PROCESS}/versions"))
    assert "v2" in versions and "Verifikasi 45 menit" in versions and "pemilik.proses" in versions
    diff = text_of(client.get(f"/modeler/{PROCESS}/diff?old=1&new=2"))
    assert "Task_3_Verifikasi" in diff and "45" in diff


def test_bad_version_numbers_are_a_clear_400(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    response = client.get(f"/modeler/{PROCESS}/diff?old=satu&new=2")
    assert response.status_code == 400 and "old" in error_message(response)
    assert client.get(f"/modeler/{PROCESS}/diff?old=1&new=9").status_code == 404
    assert client.get("/modeler/instances/1/migrate").status_code == 400


def test_a_camunda_export_is_imported_as_the_draft(client: FlaskClient, engine_ctx: EngineContext) -> None:
    login(client, "pemilik.proses")
    with (IMPORTS / "camunda_permohonan.bpmn").open("rb") as handle:
        response = post(client, f"/modeler/{PROCESS}/import", {"file": (handle, "permohonan.bpmn")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert any("Camunda Modeler" in message for message in flash_messages(response))
    data = _editor_data(client)
    assert 'id="ppid_publikasi_item"' in data["xml"] and "camunda:properties" not in data["xml"]
    assert data["problems"] == []


def test_unsupported_elements_are_marked_after_an_import(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    with (IMPORTS / "camunda_unsupported.bpmn").open("rb") as handle:
        response = post(client, f"/modeler/{PROCESS}/import", {"file": (handle, "notifikasi.bpmn")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    problems = {p["element_id"]: p["message"] for p in _editor_data(client)["problems"]}
    assert "camunda:class" in problems["Activity_0kirim"] and "memuat skrip" in problems["Activity_0skrip"]
    assert "event pesan" in problems["Event_0surat"]


def test_a_file_that_is_not_bpmn_is_refused_with_a_message(client: FlaskClient, engine_ctx: EngineContext) -> None:
    login(client, "pemilik.proses")
    before = snapshot(engine_ctx)
    response = post(client, f"/modeler/{PROCESS}/import", {"file": (io.BytesIO(b"%PDF-1.4 x"), "a.bpmn")},
                    content_type="multipart/form-data")
    assert response.status_code == 422 and "XML" in error_message(response)
    assert snapshot(engine_ctx) == before


def test_export_downloads_the_deployed_xml(client: FlaskClient) -> None:
    login(client, "admin")
    response = client.get(f"/modeler/{PROCESS}/export")
    assert response.status_code == 200 and response.get_data(as_text=True) == ITEM
    assert 'filename="ppid_publikasi_item_v1.bpmn"' in response.headers["Content-Disposition"]


def test_migration_shows_a_dry_run_then_applies_and_records_it(client: FlaskClient, engine_ctx: EngineContext,
                                                               clock: ManualClock) -> None:
    [item] = start_items(engine_ctx, plan_item("Profil OPD", "Dinas Kesehatan"))
    definitions.deploy(engine_ctx, _faster(ITEM, "PT90M", "PT45M").encode(), "pemilik.proses", note="uji")
    login(client, "pemilik.proses")
    versions = client.get(f"/modeler/{PROCESS}/versions")
    assert f"/modeler/instances/{item.id}/migrate?to=2" in versions.get_data(as_text=True)
    dry = client.get(f"/modeler/instances/{item.id}/migrate?to=2")
    assert dry.status_code == 200 and "1 jam 30 menit" in text_of(dry) and "45 menit" in text_of(dry)
    assert instances.get_instance(engine_ctx, item.id).instance.definition_id == item.definition_id
    applied = post(client, f"/modeler/instances/{item.id}/migrate?to=2", follow_redirects=True)
    assert applied.status_code == 200
    with engine_ctx.db.session() as session:
        [event] = session.scalars(select(Event).where(Event.type == "instance_migrated")).all()
        assert event.actor == "pemilik.proses" and event.instance_id == item.id


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "sop.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(text.split())


def test_the_sop_document_shows_a_changed_time_standard_on_the_page_and_in_the_pdf(
        client: FlaskClient, engine_ctx: EngineContext, tmp_path: Path) -> None:
    login(client, "ppid.utama")
    before = client.get("/modeler/sop")
    row = page(before).xpath('//tr[@data-element="Task_3_Verifikasi"]/td[@class="time"]')[0]
    assert row.text_content().strip() == "1 jam"
    rows = page(before).xpath('//table[@id="sop-procedure"]//tr[@data-element]')
    arrows = [len(r.xpath('.//*[@class="sop-arrow"]')) for r in rows]
    assert arrows[0] == 0 and all(count == 1 for count in arrows[1:])  # every connector ends in an arrowhead
    definitions.deploy(engine_ctx, _faster().encode(), "pemilik.proses", note="Verifikasi 45 menit")
    after = client.get("/modeler/sop")
    row = page(after).xpath('//tr[@data-element="Task_3_Verifikasi"]/td[@class="time"]')[0]
    assert row.text_content().strip() == "45 menit"
    revised = page(after).xpath('//table[@class="sop-identity"]//tr[th="Tanggal revisi"]/td')[0]
    assert revised.text_content().strip() == "23 November 2026"  # the date version 2 was deployed
    unrevised = page(before).xpath('//table[@class="sop-identity"]//tr[th="Tanggal revisi"]/td')[0]
    assert unrevised.text_content().strip() == "-"
    pdf = client.get("/modeler/sop.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data, tmp_path)
    for expected in ("Mutu baku", "Kelengkapan", "PPID Pembantu", "PLID Utama", "Formulir validasi data",
                     "45 menit", "Melakukan verifikasi dan validasi informasi publik", "Belum sesuai"):
        assert expected in text, expected
    assert "1 jam 30 menit" in text  # step 2 unchanged
    old = _pdf_text(client.get(f"/modeler/{PROCESS}/sop.pdf?version=1").data, tmp_path)
    assert "45 menit" not in old


def test_the_sop_document_needs_a_login(client: FlaskClient) -> None:
    assert client.get("/modeler/sop").status_code in (302, 401)


def test_the_sop_page_draws_each_step_in_its_lane_with_connectors(client: FlaskClient) -> None:
    login(client, "plid.utama")
    doc = page(client.get("/modeler/sop"))
    lanes = [th.text_content().strip() for th in doc.xpath('//th[@class="lane"]')]
    assert lanes == ["PPID Utama", "PLID Utama", "PPID Pembantu"]
    step_1 = doc.xpath('//tr[@data-element="Task_1_Arahan"]/td[@class="sym"]')
    assert [bool(cell.xpath(".//svg")) for cell in step_1] == [True, False, False]
    assert [cell.get("data-lines") for cell in step_1] == ["drop right", "across", "left tail"]
    step_3 = doc.xpath('//tr[@data-element="Task_3_Verifikasi"]/td[@class="sym"]//svg')
    assert step_3[0].get("aria-label") == "Keputusan"
