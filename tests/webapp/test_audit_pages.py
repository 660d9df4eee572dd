"""The auditor's pages: verification, replay, report, evaluation, records and exports; PDFs read back with
pdftotext."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import text

from engine.audit.replay_run import Divergence
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.runtime import instances, task_list
from engine.runtime.timers import fire_due_timers
from tests.conftest import JAKARTA
from tests.engine.flow import (
    BELUM,
    DISETUJUI,
    SESUAI,
    STEP_2,
    STEP_4,
    STEP_6,
    complete,
    item_instance,
    start_with_plan,
    the_task,
)
from tests.webapp.conftest import login
from webapp.audit.divergence import divergence_text


def _published_item(ctx: EngineContext, clock: ManualClock) -> tuple[int, int]:
    """A plan; the Dinkes item breaches step 2, loops once and is published; the other item stays open."""
    plan = start_with_plan(ctx)
    opd = "Dinas Kesehatan"
    clock.advance(timedelta(minutes=100))
    complete(ctx, the_task(ctx, plan.id, "Task_2_Siapkan_Data", opd), STEP_2)
    complete(ctx, the_task(ctx, plan.id, "Task_3_Verifikasi", opd), BELUM)
    for spec_id, data in (("Task_2_Siapkan_Data", STEP_2), ("Task_3_Verifikasi", SESUAI), ("Task_4_Unggah", STEP_4),
                          ("Task_5_Persetujuan", DISETUJUI), ("Task_6_Pastikan_Tayang", STEP_6)):
        complete(ctx, the_task(ctx, plan.id, spec_id, opd), data)
    return plan.id, item_instance(ctx, plan.id, opd).id


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    """The PDF's text; the file is kept under tests/browser/screenshots/pdf/ (gitignored) to be looked at."""
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    kept = Path(__file__).resolve().parent.parent / "browser" / "screenshots" / "pdf"
    kept.mkdir(parents=True, exist_ok=True)
    (kept / f"{tmp_path.name}.pdf").write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_only_auditors_ppid_utama_and_admins_open_the_audit_pages(client: FlaskClient) -> None:
    login(client, "pembantu.dinkes")
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/verify").status_code == 403


def test_index_lists_instances_with_their_audit_links(client: FlaskClient, engine_ctx: EngineContext,
                                                      clock: ManualClock) -> None:
    plan_id, item_id = _published_item(engine_ctx, clock)
    login(client, "auditor")
    page = client.get("/audit/").get_data(as_text=True)
    assert f"/audit/instances/{item_id}/replay" in page and f"/audit/instances/{plan_id}/record.pdf" in page
    assert "Verifikasi riwayat antirekayasa" in page


def test_verify_page_shows_intact_then_the_first_broken_link(client: FlaskClient, engine_ctx: EngineContext,
                                                              clock: ManualClock) -> None:
    _, item_id = _published_item(engine_ctx, clock)
    login(client, "auditor")
    page = client.get("/audit/verify").get_data(as_text=True)
    assert 'id="chain-intact"' in page and "Semua rantai utuh." in page
    with engine_ctx.db.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER events_no_update"))
        target = connection.execute(text("SELECT min(id) FROM events WHERE instance_id = :i AND type = "
                                         "'task_completed'"), {"i": item_id}).scalar()
        connection.execute(text("UPDATE events SET payload = '{}' WHERE id = :id"), {"id": target})
    page = client.get("/audit/verify").get_data(as_text=True)
    assert 'id="chain-broken"' in page
    first = re.search(r'id="first-break">([^<]+)<', page)
    assert first is not None and first.group(1).startswith(f"instance {item_id}: event {target}: content:")


def test_replay_page_carries_the_frames_and_the_diagram(client: FlaskClient, engine_ctx: EngineContext,
                                                        clock: ManualClock) -> None:
    _, item_id = _published_item(engine_ctx, clock)
    with engine_ctx.db.engine.connect() as connection:  # finished: its log is the record, no workflow state kept
        assert connection.execute(text("SELECT state FROM instances WHERE id = :i"), {"i": item_id}).scalar() == ""
    login(client, "auditor")
    page = client.get(f"/audit/instances/{item_id}/replay").get_data(as_text=True)
    frames = json.loads(re.search(r'id="replay-frames">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    assert frames[0]["type"] == "instance_started" and frames[-1]["type"] == "instance_completed"
    assert any(f["marks"].get("Task_2_Siapkan_Data") == "overdue" for f in frames)
    assert "dist/replay.js" in page and 'id="replay-slider"' in page
    check = client.get(f"/audit/instances/{item_id}/replay/check").get_data(as_text=True)
    assert 'id="replay-equal"' in check
    assert client.get("/audit/instances/999999/replay").status_code == 404


def test_record_pdf_prints_identity_steps_actors_validation_and_initials(
        client: FlaskClient, engine_ctx: EngineContext, clock: ManualClock, tmp_path: Path) -> None:
    _, item_id = _published_item(engine_ctx, clock)
    login(client, "auditor")
    response = client.get(f"/audit/instances/{item_id}/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    content = _pdf_text(response.data, tmp_path)
    flat = " ".join(content.split())
    for expected in ("500.12.11/01/DISKOMINFO-INFOKOM/2025", "Pengelolaan Konten Website dan Layanan Informasi",
                     "Identitas SOP", "pembantu.dinkes", "Hasil verifikasi: Belum sesuai",
                     "Nama pemberi paraf: Fajar Alemsyah, S.E.", "NIP pemberi paraf: 198011222006041009",
                     "Data akurat: ya", "terlambat", "Pemeriksaan tautan:", "HTTP 200", "lolos",
                     "rantai utuh", f"Nomor: PPID/REK-{item_id}/XI/2026", "Pejabat Pengelola Informasi"):
        assert expected in flat, expected
    assert flat.count("Menyiapkan") == 2


def test_report_page_shows_the_figures_the_chart_and_the_heat_diagram(
        client: FlaskClient, engine_ctx: EngineContext, clock: ManualClock, tmp_path: Path) -> None:
    _published_item(engine_ctx, clock)
    login(client, "auditor")
    page = client.get("/audit/report?from=2026-11-01&to=2026-11-30&by=step").get_data(as_text=True)
    row = re.search(r'<tr data-key="2">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = re.findall(r"<td>(.*?)</td>", row.group(1), re.S)
    assert [c.strip() for c in cells[1:3]] == ["3", "2"] and cells[7].strip() == "1"
    assert "<svg" in page and 'class="standard"' in page
    heat = json.loads(re.search(r'id="heat-data">(.*?)</script>', page, re.S).group(1))  # type: ignore[union-attr]
    marks = {d["process_id"]: d["marks"] for d in heat}
    assert marks["ppid_publikasi_item"]["Task_2_Siapkan_Data"] == "heat-2"
    assert marks["ppid_publikasi_item"]["Task_4_Unggah"] == "heat-0"
    checks = re.search(r'<table class="table" id="address-checks">(.*?)</table>', page, re.S)
    assert checks is not None and "HTTP 200 · lolos" in checks.group(1)
    assert 'id="report-csv"' in page and 'id="report-xlsx"' in page
    raw = client.get("/audit/report.csv?from=2026-11-01&to=2026-11-30&by=lane").data
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert raw.startswith("\ufeff".encode()) and rows[0][:3] == ["Kelompok", "Tugas", "Selesai dikerjakan"]
    assert {row[0] for row in rows[1:]} >= {"PPID Pembantu", "PLID Utama"}
    sheet = load_workbook(io.BytesIO(client.get("/audit/report.xlsx?from=2026-11-01&to=2026-11-30").data)).active
    assert sheet is not None and sheet["B1"].value == "Tugas" and sheet["B1"].font.bold
    report_pdf = " ".join(_pdf_text(client.get("/audit/report.pdf?from=2026-11-01&to=2026-11-30&by=lane").data,
                                    tmp_path).split())
    for expected in ("Nomor: PPID/LSW/XI/2026", "Laporan standar waktu", "PLID Utama", "Pejabat Pengelola Informasi"):
        assert expected in report_pdf, expected


@pytest.mark.parametrize(("query", "message"), [
    ("from=2026-13-01&to=2026-11-30", "Tanggal awal harus berupa tanggal dengan format TTTT-BB-HH"),
    ("from=2026-11-30&to=2026-11-01", "tanggal akhir lebih awal daripada tanggal awal"),
    ("by=colour", "dikelompokkan menurut salah satu dari step, lane, opd, month"),
])
def test_report_refuses_bad_parameters_with_a_400(client: FlaskClient, query: str, message: str) -> None:
    login(client, "auditor")
    response = client.get(f"/audit/report?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_evaluation_as_page_pdf_and_csv(client: FlaskClient, engine_ctx: EngineContext, clock: ManualClock,
                                        tmp_path: Path) -> None:
    _published_item(engine_ctx, clock)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA))
    assert fire_due_timers(engine_ctx) == 3  # the monthly monitoring starts; the Disdik item's step 2 is
    # reminded of and breaches
    [monitoring] = task_list.list_tasks(engine_ctx, task_list.TaskFilter(lane="PPID Utama"))
    instances.complete_task(engine_ctx, monitoring.id, {"ringkasan_evaluasi": "Satu item tayang terlambat.",
                                                        "tindak_lanjut": "Tegur Dinas Kesehatan."}, "ppid.utama")
    login(client, "auditor")
    page = client.get("/audit/evaluation").get_data(as_text=True)  # last month by default: November
    assert "Laporan evaluasi November 2026" in page and "Tegur Dinas Kesehatan." in page
    content = " ".join(_pdf_text(client.get("/audit/evaluation.pdf?month=2026-11").data, tmp_path).split())
    for expected in ("PEMERINTAH KABUPATEN TANJUNG JABUNG TIMUR", "Nomor: PPID/EVAL/XI/2026",
                     "1 Desember 2026 PPID Utama", "NIP", "Laporan evaluasi November 2026", "Tayang bulan ini (1)",
                     "Laporan keuangan semester I", "Pelanggaran standar waktu (1)",
                     "Dikembalikan ke langkah sebelumnya: 1", "Berkala", "Tegur Dinas Kesehatan."):
        assert expected in content, expected
    raw = client.get("/audit/evaluation.csv?month=2026-11").data
    assert raw.startswith("\ufeff".encode())  # the BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Bagian", "Item", "Judul", "OPD", "Klasifikasi DIP", "Waktu", "Nilai", "Keterangan"]
    assert [r[0] for r in rows].count("Tayang") == 1
    assert ["Dikembalikan ke langkah sebelumnya", "", "", "Dinas Kesehatan", "", "", "1", ""] in rows
    assert "Berkala" in [r[4] for r in rows] and "WIB" in rows[1][5]
    assert not {cell for row in rows for cell in row} & {"published", "berkala", "belum_sesuai", "sent_back"}
    book = load_workbook(io.BytesIO(client.get("/audit/evaluation.xlsx?month=2026-11").data))
    sheet = book.active
    assert sheet is not None and sheet["A1"].value == "Bagian" and sheet["A1"].font.bold
    assert sheet["A2"].value == "Tayang" and isinstance(sheet["F2"].value, datetime)
    assert client.get("/audit/evaluation?month=November").status_code == 400


def test_events_export_for_an_instance_and_a_date_range(client: FlaskClient, engine_ctx: EngineContext,
                                                        clock: ManualClock) -> None:
    _, item_id = _published_item(engine_ctx, clock)
    login(client, "auditor")
    response = client.get(f"/audit/instances/{item_id}/events?format=json")
    events = json.loads(response.get_data(as_text=True))
    assert response.mimetype == "application/json" and {e["instance_id"] for e in events} == {item_id}
    rows = list(csv.DictReader(io.StringIO(
        client.get("/audit/events?from=2026-11-23&to=2026-11-23").get_data(as_text=True))))
    assert len(rows) > len(events) and rows[-1]["global_hash"]
    missing = client.get("/audit/events?from=2026-11-23")
    assert missing.status_code == 400 and "Isi tanggal awal dan tanggal akhir." in missing.get_data(as_text=True)
    assert client.get(f"/audit/instances/{item_id}/events?format=xml").status_code == 400


def test_the_configured_logo_is_printed_in_the_kop_and_a_disguised_file_is_not(
        client: FlaskClient, engine_ctx: EngineContext, clock: ManualClock, tmp_path: Path) -> None:
    from dataclasses import replace

    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (40, 40), (0, 90, 160)).save(logo)
    engine_ctx.settings = replace(engine_ctx.settings, office=replace(engine_ctx.settings.office, logo=logo))
    _published_item(engine_ctx, clock)
    login(client, "auditor")
    pdf = client.get("/audit/evaluation.pdf?month=2026-11").data
    assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf
    logo.write_bytes(b"<script>alert(1)</script>")  # not a PNG or JPEG, whatever its name: no image at all
    pdf = client.get("/audit/evaluation.pdf?month=2026-11").data
    assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf


def test_a_divergence_shows_event_kinds_states_answers_and_moments_by_their_labels(app: Flask) -> None:
    with app.test_request_context("/audit/"):
        timing = divergence_text(Divergence(
            "Event %(event)s (%(kind)s%(name)s): within the time standard is %(logged_on_time)s in the log but "
            "%(replayed_on_time)s in the replay.", 7, event=7, kind="task_completed", name=": Verifikasi",
            logged_on_time=True, replayed_on_time=False))
        state = divergence_text(Divergence(
            "Task %(task)s is %(state)s in the stored state but %(replayed_state)s in the replay.",
            task="Verifikasi", state="READY", replayed_state="COMPLETED"))
        moment = divergence_text(Divergence(
            "Event %(event)s (%(kind)s%(name)s) is logged at %(logged_at)s but happens at %(replayed_at)s in the "
            "replay.", 3, event=3, kind="timer_fired", name="", logged_at=datetime(2026, 11, 23, 2, 0, tzinfo=UTC),
            replayed_at=datetime(2026, 11, 23, 3, 30, tzinfo=UTC)))
    assert timing == ("Peristiwa 7 (Tugas diselesaikan: Verifikasi): dalam standar waktu = ya menurut log, tetapi "
                      "tidak menurut pemutaran ulang.")
    assert state == ("Langkah Verifikasi berstatus siap dalam keadaan tersimpan, tetapi selesai dalam pemutaran "
                     "ulang.")
    assert "23 November 2026 09.00" in moment and "23 November 2026 10.30" in moment and "timer_fired" not in moment
