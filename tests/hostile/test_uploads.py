"""Hostile uploads on a step: disguised types, path traversal, NUL and control characters in the name, very
long names, and one bad file among good ones. Each is refused with a message in Indonesian and nothing is
stored: no row, no event, no file."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient

from engine.context import EngineContext
from engine.store import WorkItem
from tests.webapp.conftest import login, post
from tests.webapp.pages import flash_messages, open_task, pdf_bytes, plan_item, snapshot, start_items

ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
HTML = b"<!doctype html><script>alert(1)</script>" * 10


@pytest.fixture
def step_2(engine_ctx: EngineContext) -> WorkItem:
    (item,) = start_items(engine_ctx, plan_item("Laporan keuangan semester I", "Dinas Kesehatan"))
    return open_task(engine_ctx, item.id)


def upload(client: FlaskClient, task: WorkItem, *files: tuple[bytes, str]) -> Any:
    return post(client, f"/tasks/{task.id}/attachments",
                {"file": [(io.BytesIO(content), name) for content, name in files]},
                content_type="multipart/form-data")


CASES = {
    "traversal": ([(pdf_bytes, "../../x.pdf")], "tidak boleh memuat folder"),
    # escaped as the multipart header needs: the server reads ..\..\windows\x.pdf
    "windows traversal": ([(pdf_bytes, "..\\\\..\\\\windows\\\\x.pdf")], "tidak boleh memuat folder"),
    "absolute path": ([(pdf_bytes, "/etc/cron.d/x.pdf")], "tidak boleh memuat folder"),
    "nul byte": ([(pdf_bytes, "laporan.pdf\x00.exe")], "karakter kendali"),
    "control characters": ([(pdf_bytes, "lapor\x1b[31man.pdf")], "karakter kendali"),
    "very long name": ([(pdf_bytes, "a" * 5000 + ".pdf")], "paling banyak 200 karakter"),
    "executable named pdf": ([(lambda: ELF, "laporan.pdf")], "elf"),
    "html named pdf": ([(lambda: HTML, "laporan.pdf")], "bukan jenis berkas yang diizinkan"),
    "pdf named html": ([(pdf_bytes, "laporan.html")], "html"),
    "one bad among good": ([(pdf_bytes, "baik.pdf"), (pdf_bytes, "../jahat.pdf")], "tidak boleh memuat folder"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_hostile_upload_is_refused_with_a_message_and_nothing_is_stored(
        case: str, client: FlaskClient, engine_ctx: EngineContext, step_2: WorkItem) -> None:
    files, reason = CASES[case]
    login(client, "pembantu.dinkes")
    before = snapshot(engine_ctx)
    response = upload(client, step_2, *[(content(), name) for content, name in files])
    assert response.status_code == 422, case
    message = " ".join(flash_messages(response))
    assert message.startswith("Ditolak:") and reason in message, (case, message)
    assert snapshot(engine_ctx) == before
    assert not engine_ctx.settings.upload_dir.exists() or not any(engine_ctx.settings.upload_dir.iterdir())
