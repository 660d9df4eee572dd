"""Attachments through the task page: the size limit from the configuration, the type judged by the content,
files kept outside the web root under random names, the checksum in the history, downloads only for those
who may see the item."""

from __future__ import annotations

import hashlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.config import Settings
from engine.context import EngineContext
from engine.store import Event, WorkItem
from tests.webapp.conftest import login, post
from tests.webapp.pages import flash_messages, open_task, pdf_bytes, plan_item, snapshot, start_items

LIMIT = 64 * 1024


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """A small upload limit, so oversized files stay small."""
    return replace(web_settings, upload_max_bytes=LIMIT)


@pytest.fixture
def step_2(engine_ctx: EngineContext) -> WorkItem:
    (item,) = start_items(engine_ctx, plan_item("Laporan keuangan semester I", "Dinas Kesehatan"))
    return open_task(engine_ctx, item.id)


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
            + chunk(b"IEND", b""))


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
WINDOWS_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def upload(client: FlaskClient, task: WorkItem, content: bytes, filename: str) -> Any:
    return post(client, f"/tasks/{task.id}/attachments", {"file": (io.BytesIO(content), filename)},
                content_type="multipart/form-data")


def test_a_real_pdf_is_stored_outside_the_web_root_under_a_random_name_with_its_checksum_recorded(
    app: Flask, client: FlaskClient, engine_ctx: EngineContext, step_2: WorkItem
) -> None:
    login(client, "pembantu.dinkes")
    content = pdf_bytes()
    response = upload(client, step_2, content, "laporan keuangan.pdf")
    assert response.status_code == 200
    page = response
    assert "Lampiran tersimpan." in flash_messages(page)
    assert "laporan keuangan.pdf" in page.get_data(as_text=True)

    stored = list(engine_ctx.settings.upload_dir.iterdir())
    assert len(stored) == 1 and re.fullmatch(r"[0-9a-f]{32}", stored[0].name)
    assert stored[0].read_bytes() == content
    web_root = Path(app.static_folder or "").resolve()
    assert web_root not in stored[0].resolve().parents
    assert client.get(f"/static/{stored[0].name}").status_code == 404

    with engine_ctx.db.session() as session:
        event = session.query(Event).filter_by(type="attachment_added").one()
    assert event.payload["sha256"] == hashlib.sha256(content).hexdigest()
    assert event.payload["size"] == len(content) and event.payload["media_type"] == "application/pdf"
    assert event.actor == "pembantu.dinkes" and event.task_id == step_2.id


def test_a_download_returns_the_same_bytes_to_whoever_may_see_the_item_and_403_to_another_office(
    app: Flask, client: FlaskClient, engine_ctx: EngineContext, step_2: WorkItem
) -> None:
    login(client, "pembantu.dinkes")
    upload(client, step_2, pdf_bytes(), "laporan.pdf")
    link = re.search(r'href="(/attachments/[^"]+)"', client.get(f"/tasks/{step_2.id}").get_data(as_text=True))
    assert link
    for username in ("pembantu.dinkes", "plid.utama", "auditor"):
        reader = app.test_client()
        login(reader, username)
        response = reader.get(link.group(1))
        assert response.status_code == 200, username
        assert response.data == pdf_bytes()
        assert response.headers["Content-Type"] == "application/pdf"
        assert 'filename=laporan.pdf' in response.headers["Content-Disposition"]
    other = app.test_client()
    login(other, "pembantu.disdik")
    refused = other.get(link.group(1))
    assert refused.status_code == 403 and b"%PDF" not in refused.data


@pytest.mark.parametrize(
    ("content", "filename", "reason"),
    [
        (lambda: ELF, "laporan.pdf", "elf"),
        (lambda: WINDOWS_EXE, "laporan.pdf", "exe"),
        (lambda: b"Ini hanya teks biasa, bukan PDF.\n" * 20, "laporan.pdf", "bukan jenis berkas yang diizinkan"),
        (png_bytes, "laporan.pdf", "png"),
        (pdf_bytes, "laporan.png", "pdf"),
        (lambda: zipped(("setup.exe", "MZ")), "laporan.docx", "zip"),
        (lambda: b"", "kosong.pdf", "kosong.pdf kosong"),
    ],
    ids=["elf-named-pdf", "exe-named-pdf", "text-named-pdf", "png-named-pdf", "pdf-named-png", "zip-named-docx",
         "empty"],
)
def test_a_disguised_or_empty_file_is_refused_by_its_content_and_nothing_is_stored(
    client: FlaskClient, engine_ctx: EngineContext, step_2: WorkItem, content: Callable[[], bytes], filename: str,
    reason: str
) -> None:
    login(client, "pembantu.dinkes")
    before = snapshot(engine_ctx)
    response = upload(client, step_2, content(), filename)
    assert response.status_code == 422
    message = " ".join(flash_messages(response))
    assert message.startswith("Ditolak:") and reason in message
    assert snapshot(engine_ctx) == before
    assert not engine_ctx.settings.upload_dir.exists() or not any(engine_ctx.settings.upload_dir.iterdir())


def zipped(*entries: tuple[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in entries:
            archive.writestr(name, text)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    """The parts by which a Word document is recognised."""
    return zipped(("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                   'content-types"/>'), ("_rels/.rels", "<Relationships/>"), ("word/document.xml", "<document/>"))


def odt_bytes() -> bytes:
    return zipped(("mimetype", "application/vnd.oasis.opendocument.text"), ("content.xml", "<office/>"))


@pytest.mark.parametrize(
    ("content", "filename", "media_type"),
    [
        (png_bytes, "foto.png", "image/png"),
        (docx_bytes, "surat keputusan.docx",
         "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (odt_bytes, "notulen.odt", "application/vnd.oasis.opendocument.text"),
    ],
    ids=["png", "docx", "odt"],
)
def test_images_and_office_documents_are_accepted_by_their_content(
    client: FlaskClient, engine_ctx: EngineContext, step_2: WorkItem, content: Callable[[], bytes], filename: str,
    media_type: str
) -> None:
    login(client, "pembantu.dinkes")
    assert upload(client, step_2, content(), filename).status_code == 200
    with engine_ctx.db.session() as session:
        assert session.query(Event).filter_by(type="attachment_added").one().payload["media_type"] == media_type


def test_a_file_over_the_configured_limit_is_refused_with_the_limit_in_the_message(
    client: FlaskClient, engine_ctx: EngineContext, step_2: WorkItem
) -> None:
    login(client, "pembantu.dinkes")
    before = snapshot(engine_ctx)
    oversized = pdf_bytes() + b"%" + b"0" * LIMIT
    response = upload(client, step_2, oversized, "besar.pdf")
    assert response.status_code == 422
    message = " ".join(flash_messages(response))
    assert message.startswith("Ditolak:") and "batasnya 64,0 KB" in message  # LIMIT in the reader's form
    assert snapshot(engine_ctx) == before


def test_a_request_far_over_the_limit_is_cut_off_with_413_before_it_is_read(
    client: FlaskClient, engine_ctx: EngineContext, step_2: WorkItem
) -> None:
    login(client, "pembantu.dinkes")
    before = snapshot(engine_ctx)
    response = upload(client, step_2, pdf_bytes() + b"0" * (LIMIT + 2 * 1024 * 1024), "sangat-besar.pdf")
    assert response.status_code == 413
    assert "Unggahan terlalu besar." in response.get_data(as_text=True)
    assert snapshot(engine_ctx) == before


def test_several_files_are_stored_all_or_none(client: FlaskClient, engine_ctx: EngineContext,
                                              step_2: WorkItem) -> None:
    login(client, "pembantu.dinkes")
    before = snapshot(engine_ctx)
    files = [(io.BytesIO(pdf_bytes()), "laporan.pdf"), (io.BytesIO(b"MZ" + b"\0" * 200), "lampiran.pdf")]
    refused = post(client, f"/tasks/{step_2.id}/attachments", {"file": files}, content_type="multipart/form-data")
    assert refused.status_code == 422 and "lampiran.pdf" in " ".join(flash_messages(refused))
    assert snapshot(engine_ctx) == before  # the good first file was not stored either
    files = [(io.BytesIO(pdf_bytes()), "laporan.pdf"), (io.BytesIO(png_bytes()), "foto.png")]
    stored = post(client, f"/tasks/{step_2.id}/attachments", {"file": files}, content_type="multipart/form-data")
    assert stored.status_code == 200
    assert snapshot(engine_ctx) != before
