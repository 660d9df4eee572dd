""""SOP baru dari tabel" over HTTP: upload fills the table for review, "Buat diagram" opens the draft in the
modeler, a broken table is shown again with each problem at its row and nothing is stored, a waiting draft is
never overwritten, and only process owners reach the page."""

from __future__ import annotations

import io

from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from engine.context import EngineContext
from engine.diagrams import definitions
from engine.diagrams.sop_generator import generate_diagram, process_id_of, table_lanes
from engine.diagrams.sop_table import COLUMNS, IDENTITY, file_cells, read_file
from engine.runtime import instances, task_list
from engine.store import Draft, Event, Instance
from tests.conftest import ROOT
from tests.webapp.conftest import csrf_token, login, post
from tests.webapp.pages import People, flash_messages, page, text_of

SEED = ROOT / "examples" / "sop" / "ppid_publikasi.csv"
SEED_NAME = "Pengelolaan Konten Website dan Layanan Informasi"


def _form(client: FlaskClient, identity: dict[str, str], rows: list[dict[str, str]]) -> MultiDict[str, str]:
    """What the page's form posts: the identity, then each row's cells (one value per row for every column)."""
    fields = [("csrf_token", csrf_token(client, "/modeler/tabel"))]
    fields += [(f"sop.{key}", value) for key, value in identity.items()]
    for row in rows:
        fields += [(key, row.get(key, "")) for key, _label in COLUMNS]
    return MultiDict([*fields, ("action", "generate")])


def _drafts(ctx: EngineContext) -> int:
    with ctx.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Draft)) or 0)


def test_an_upload_fills_the_table_and_generate_opens_the_draft_in_the_modeler(client: FlaskClient,
                                                                               engine_ctx: EngineContext) -> None:
    login(client, "pemilik.proses")
    assert "SOP baru dari tabel" in text_of(client.get("/modeler/"))
    response = post(client, "/modeler/tabel/unggah",
                    {"file": (io.BytesIO(SEED.read_bytes()), "ppid_publikasi.csv")},
                    content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:300]
    assert "7 baris dibaca" in " ".join(flash_messages(response))
    assert SEED_NAME in html and "Melakukan verifikasi dan validasi informasi publik" in html
    identity, rows = file_cells(SEED.name, SEED.read_bytes())
    response = client.post("/modeler/tabel", data=_form(client, identity, rows))
    assert response.status_code == 302
    process_id = process_id_of(SEED_NAME)
    assert response.headers["Location"].endswith(f"/modeler/{process_id}")
    editor = text_of(client.get(f"/modeler/{process_id}"))
    assert "Proses baru, belum diterapkan" in editor and f"Pemodel: {SEED_NAME}" in editor
    with engine_ctx.db.session() as session:
        event = session.scalars(select(Event).where(Event.type == "draft_created")).one()
    assert event.payload["source"] == "sop_table" and event.actor == "pemilik.proses"
    listing = text_of(client.get("/modeler/"))
    assert SEED_NAME in listing and "belum diterapkan" in listing
    # A second generation would overwrite the waiting draft: refused, the draft kept.
    again = client.post("/modeler/tabel", data=_form(client, identity, rows))
    assert again.status_code == 409
    assert "masih menunggu" in " ".join(flash_messages(again))
    assert _drafts(engine_ctx) == 1


def test_a_broken_table_comes_back_with_each_problem_at_its_row_and_nothing_stored(
        client: FlaskClient, engine_ctx: EngineContext) -> None:
    login(client, "pemilik.proses")
    rows = [{"kegiatan": "Menerima permohonan", "pelaksana": "PLID Utama", "waktu": "30 menit"},
            {"kegiatan": "Memeriksa <script>alert(1)</script>", "pelaksana": "Bagian Umum", "waktu": "45 detik"},
            {"kegiatan": "Menjawab", "pelaksana": "PPID Utama", "waktu": "1 jam", "keputusan": "Lengkap?"}]
    response = client.post("/modeler/tabel", data=_form(client, {"nama": "Uji"}, rows))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    rows_shown = page(response).xpath('//div[@data-row]')
    problems = [" ".join(row.xpath('string(.//ul[contains(@class, "sop-row-problems")])').split())
                for row in rows_shown]
    assert problems[0] == ""
    assert problems[1].startswith("Pelaksana") and "Bagian Umum" in problems[1] and "Waktu" in problems[1]
    assert "detik" in problems[1]
    assert "Jika tidak" in problems[2]
    assert "<script>alert(1)</script>" not in html and "Memeriksa &lt;script&gt;" in html  # kept, escaped
    assert _drafts(engine_ctx) == 0


def test_a_file_that_is_not_a_table_gets_its_reason(client: FlaskClient, engine_ctx: EngineContext) -> None:
    login(client, "pemilik.proses")
    response = post(client, "/modeler/tabel/unggah", {"file": (io.BytesIO(b"PK\x03\x04 rusak"), "sop.xlsx")},
                    content_type="multipart/form-data")
    assert response.status_code == 400
    assert "bukan buku kerja Excel" in response.get_data(as_text=True)
    assert _drafts(engine_ctx) == 0


def test_the_template_and_the_examples_download_as_sheets(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    workbook = load_workbook(io.BytesIO(client.get("/modeler/tabel/templat.xlsx").data))
    labels = [row[0] for row in workbook.active.iter_rows(values_only=True)]  # type: ignore[union-attr]
    assert labels[:len(IDENTITY)] == [label for _key, label in IDENTITY] and "No" in labels
    example = client.get("/modeler/tabel/contoh/layanan_permohonan_informasi.csv")
    assert example.data.startswith("\ufeff".encode()) and b"10 hari kerja" in example.data
    assert client.get("/modeler/tabel/contoh/..%2Fconfig.csv").status_code == 404
    assert client.get("/modeler/tabel/templat.exe").status_code == 400


def test_only_process_owners_reach_the_page(client: FlaskClient) -> None:
    login(client, "plid.utama")
    assert client.get("/modeler/tabel").status_code == 403


def test_a_working_day_step_shows_its_time_standard_in_working_days(client: FlaskClient,
                                                                    engine_ctx: EngineContext) -> None:
    path = ROOT / "examples" / "sop" / "layanan_permohonan_informasi.csv"
    lanes, office_lanes = table_lanes(engine_ctx.settings)
    table = read_file(path.name, path.read_bytes(), lanes, office_lanes)
    definitions.deploy(engine_ctx, generate_diagram(table, office_lanes), "pemilik.proses", note="dari tabel")
    instance = instances.start_instance(engine_ctx, process_id_of(table.name), "plid.utama")
    [first] = task_list.list_tasks(engine_ctx, task_list.TaskFilter(instance_id=instance.id))
    login(client, "plid.utama")
    offices = page(client.get(f"/tasks/{first.id}")).xpath('//select[@name="opd"]/option/text()')
    assert "Dinas Kesehatan" in offices  # the office is chosen from the active offices
    typo = post(client, f"/tasks/{first.id}/complete", {"opd": "Dinkes", "judul": "Permohonan data stunting"})
    assert typo.status_code == 422 and "OPD Dinkes tidak dikenal" in text_of(typo)
    client.get("/logout")
    instances.complete_task(engine_ctx, first.id, {"opd": "Dinas Kesehatan", "judul": "Permohonan data stunting"},
                             "plid.utama")
    [search] = task_list.list_tasks(engine_ctx, task_list.TaskFilter(instance_id=instance.id))
    login(client, "pembantu.dinkes")
    shown = text_of(client.get(f"/tasks/{search.id}"))
    assert "Standar waktu10 hari kerja" in shown  # <dt>/<dd>
    assert "Batas waktu7 Desember 2026 09.00 WIB" in shown  # Monday 23 November + 10 working days
    # Tidak at "Jawaban lengkap?" sends the request back to step 2, with the reason the deciding step had to give.
    instances.complete_task(engine_ctx, search.id, {"keputusan_2": "tidak"}, "pembantu.dinkes")
    [check] = task_list.list_tasks(engine_ctx, task_list.TaskFilter(instance_id=instance.id))
    instances.complete_task(engine_ctx, check.id, {"keputusan_4": "tidak", "alasan_4": "Lampiran data kurang."},
                            "ppid.utama")
    [again] = task_list.list_tasks(engine_ctx, task_list.TaskFilter(instance_id=instance.id))
    notice = page(client.get(f"/tasks/{again.id}")).xpath('normalize-space(//*[@id="returned-reasons"])')
    assert notice == ("Dikembalikan di langkah 4 (Jawaban lengkap? Tidak) Alasan atau keterangan: "
                      "Lampiran data kurang.")


def test_a_deployed_table_is_started_from_the_publications_page_by_its_first_lane(
        people: People, engine_ctx: EngineContext) -> None:
    path = ROOT / "examples" / "sop" / "layanan_permohonan_informasi.csv"
    lanes, office_lanes = table_lanes(engine_ctx.settings)
    table = read_file(path.name, path.read_bytes(), lanes, office_lanes)
    definitions.deploy(engine_ctx, generate_diagram(table, office_lanes), "pemilik.proses", note="dari tabel")
    process_id = process_id_of(table.name)
    plid, pembantu = people("plid.utama"), people("pembantu.dinkes")
    offered = page(plid.get("/instances")).xpath('//section[@id="start"]//button/@id')
    assert offered == [f"start-{process_id}"]  # the plan starts in PPID Utama's lane, the request in PLID's
    assert page(pembantu.get("/instances")).xpath('//section[@id="start"]') == []
    refused = post(pembantu, "/instances", {"process": process_id})
    assert refused.status_code == 403
    assert post(plid, "/instances", {}).status_code == 400
    started = post(plid, "/instances", {"process": process_id})
    assert started.status_code == 302 and "/tasks/" in started.headers["Location"]
    with engine_ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Instance).where(
            Instance.process_id == process_id)) == 1


def test_the_downloaded_xlsx_example_uploads_back_into_the_same_table(client: FlaskClient) -> None:
    login(client, "pemilik.proses")
    workbook = client.get("/modeler/tabel/contoh/layanan_permohonan_informasi.xlsx").data
    response = post(client, "/modeler/tabel/unggah", {"file": (io.BytesIO(workbook), "permohonan.xlsx")},
                    content_type="multipart/form-data")
    assert response.status_code == 200
    shown = page(response)
    assert shown.xpath('//input[@id="sop-name"]/@value') == ["Layanan Permohonan Informasi Publik"]
    assert shown.xpath('//div[@data-row]//input[@name="waktu"]/@value') == [
        "30 menit", "10 hari kerja", "7 hari kerja", "1 hari kerja", "30 menit"]
    assert shown.xpath('(//div[@data-row])[2]//select[@name="tidak"]/option[@selected]/@value') == ["4"]
