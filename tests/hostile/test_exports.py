"""What leaves the app as a file: CSV cells that a spreadsheet would run as a formula are neutralised, and
PDF rendering fetches nothing from the network or the disk outside the app's static files, whatever a name
or text in the document says."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.audit.csv_safe import neutralise
from engine.clock import ManualClock
from engine.context import EngineContext
from engine.runtime import comments, instances, task_list
from engine.runtime.timers import fire_due_timers
from tests.conftest import JAKARTA
from tests.engine import flow
from tests.webapp.conftest import login
from tests.webapp.pages import item_instances
from webapp.pdf import STATIC_DIR, LocalOnlyFetcher, render_pdf

FORMULAS = ['=HYPERLINK("http://evil.example/x","klik")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_formula_cell_gets_a_leading_apostrophe(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


def test_ordinary_cells_and_numbers_are_unchanged() -> None:
    assert [neutralise(c) for c in ("Dinas Kesehatan", "", "2026-11-23", -5, 1.5, None)] == [
        "Dinas Kesehatan", "", "2026-11-23", -5, 1.5, None]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_the_evaluation_csv_neutralises_formulas_in_titles_and_answers(
        client: FlaskClient, engine_ctx: EngineContext, clock: ManualClock) -> None:
    title, answer, follow_up = FORMULAS[0], FORMULAS[1], FORMULAS[3]
    plan = flow.start_with_plan(engine_ctx, [{"judul": title, "opd": "Dinas Kesehatan", "kelas_dip": "berkala",
                                              "tanggal_target": "2026-11-30", "ringkasan": FORMULAS[2]}])
    flow.publish_item(engine_ctx, plan.id, "Dinas Kesehatan")
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=JAKARTA))
    fire_due_timers(engine_ctx)
    [monitoring] = task_list.list_tasks(engine_ctx, task_list.TaskFilter(lane="PPID Utama"))
    instances.complete_task(engine_ctx, monitoring.id, {"ringkasan_evaluasi": answer, "tindak_lanjut": follow_up},
                            "ppid.utama")
    login(client, "auditor")
    text = client.get("/audit/evaluation.csv?month=2026-11").data.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    assert "'" + title in cells and "'" + answer in cells and "'" + follow_up in cells
    assert not [cell for cell in cells if cell.startswith(DANGEROUS_START)]


def test_the_events_csv_neutralises_every_cell(client: FlaskClient, engine_ctx: EngineContext) -> None:
    plan = flow.start_with_plan(engine_ctx, [{"judul": FORMULAS[0], "opd": "Dinas Kesehatan",
                                              "kelas_dip": "berkala", "tanggal_target": "2026-11-30"}])
    [item] = item_instances(engine_ctx, plan.id)
    comments.add_comment(engine_ctx, item.id, FORMULAS[1], "plid.utama")
    login(client, "auditor")
    text = client.get("/audit/events?from=2026-11-23&to=2026-11-23").get_data(as_text=True)
    assert FORMULAS[1].split("|")[0] in text
    assert not [cell for cell in _cells(text) if cell.startswith(DANGEROUS_START)]


class _Recorder(BaseHTTPRequestHandler):
    requested: list[str] = []

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        type(self).requested.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every path asked of it."""
    requested: list[str] = []
    handler = type("Recorder", (_Recorder,), {"requested": requested})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_pdf_rendering_fetches_nothing_a_document_points_at(recorder: tuple[str, list[str]]) -> None:
    base, requested = recorder
    html = (f'<html><head><link rel="stylesheet" href="{base}/style.css"><style>@import url("{base}/import.css");'
            f'body {{ background: url("{base}/background.png") }}</style></head><body><h1>Laporan</h1>'
            f'<img src="{base}/image.png"><img src="file:///etc/passwd"><object data="{base}/object"></object>'
            '</body></html>')
    assert render_pdf(html).startswith(b"%PDF")
    assert requested == []


def test_the_fetcher_allows_data_uris_and_the_apps_static_files_only() -> None:
    fetcher = LocalOnlyFetcher()
    assert fetcher.fetch("data:text/plain,halo") is not None
    assert fetcher.fetch((STATIC_DIR / "app.css").as_uri()) is not None
    for refused in ("http://127.0.0.1/x", "https://example.org/x", "file:///etc/passwd",
                    (STATIC_DIR / ".." / "pdf.py").as_uri(), "ftp://127.0.0.1/x"):
        with pytest.raises(ValueError, match="fetch nothing from outside"):
            fetcher.fetch(refused)


def test_a_hostile_title_and_comment_in_a_printed_record_fetch_nothing(
        recorder: tuple[str, list[str]], client: FlaskClient, engine_ctx: EngineContext) -> None:
    base, requested = recorder
    hostile = f'<img src="{base}/title.png"><link rel=stylesheet href="{base}/t.css">'
    plan = flow.start_with_plan(engine_ctx, [{"judul": hostile, "opd": "Dinas Kesehatan", "kelas_dip": "berkala",
                                              "tanggal_target": "2026-11-30", "ringkasan": hostile}])
    [item] = item_instances(engine_ctx, plan.id)
    comments.add_comment(engine_ctx, item.id, hostile, "plid.utama")
    login(client, "auditor")
    for path in (f"/audit/instances/{item.id}/record.pdf", "/modeler/ppid_publikasi_item/sop.pdf"):
        response = client.get(path)
        assert response.status_code == 200 and response.data.startswith(b"%PDF"), path
    assert requested == []
